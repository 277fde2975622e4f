#!/usr/bin/env bash
# Publishes the GPU benchmark app (perf/gpu) self-contained and trimmed for linux-x64 into .gpubench/ at the repository
# root (git-ignored), to run on a GPU machine that has the NVIDIA driver but no .NET SDK:
#   perf/gpu/publish.sh            # -> .gpubench/Trace.GpuBench (one compressed file) and its size
#   .gpubench/Trace.GpuBench --out results
# Options of the app: --quick, --budget-seconds N (default 300), --out DIR, --cpu-accelerator (no GPU; tiny sizes).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.gpubench"
rm -rf "$out"
# Self-contained, trimmed (with ILGPU's and Trace's assemblies rooted), invariant globalization and one compressed file:
# the settings are in Trace.GpuBench.csproj, conditioned on a RuntimeIdentifier, so they apply to the app alone
# (passing -p:PublishTrimmed=true here would reach the libraries too and turn their trim analysis on).
dotnet publish "$root/perf/gpu/Trace.GpuBench.csproj" -c Release -r linux-x64 -o "$out" "$@"
du -sh "$out"
ls -l "$out"
