#!/usr/bin/env bash
# Trace beside libtorch in the same minutes: ROUNDS interleaved rounds of the libtorch reference (perf/libtorch/run.sh)
# and Trace's quick runner, then the goals of docs/BENCHMARKS.md (median traced ÷ libtorch per workload).
# Usage: perf/compare.sh [rounds=3] [threads=2]. Writes the raw outputs to $TMPDIR/trace-compare-<time>/ (default /tmp).
# libtorch needs TorchSharp-cpu (~480 MB download on first use, never inside the repository; see perf/libtorch/README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-3}
threads=${2:-2}
out=${TMPDIR:-/tmp}/trace-compare-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
dotnet build -c Release -v q "$here/Trace.Perf.csproj" >/dev/null
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: libtorch, then Trace ($(uptime | sed 's/.*load/load/'))"
  "$here/libtorch/run.sh" "$threads" > "$out/libtorch-$r.txt"
  dotnet run -c Release --no-build --project "$here" -- --quick > "$out/trace-$r.txt"
done
dotnet run -c Release --no-build --project "$here" -- --goals "$out"
