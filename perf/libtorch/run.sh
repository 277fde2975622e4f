#!/usr/bin/env bash
# libtorch (TorchSharp-cpu 0.107 = libtorch 2.10, CPU) timings of the benchmark workloads W1-W7 and SGEMM, with the
# shapes of docs/BENCHMARKS.md. Usage: perf/libtorch/run.sh [threads]   (default 2, as in the README's table);
# perf/libtorch/run.sh THREADS scaling [FILE.csv] runs the scaling grid of `perf -- --scaling` instead (see README.md).
# Builds in a temp folder ($TMPDIR, default /tmp), never inside the repository: the TorchSharp-cpu package brings
# ~480 MB of native libraries, which is why this app is not in Trace.sln and CI never builds it.
# libLibTorchSharp.so 0.107 wants GLIBCXX_3.4.32 for one symbol (std::ios_base_library_init, GCC 13); Debian 12 ships
# GCC 12, so the script supplies that symbol from a tiny shim library and weakens the version requirement
# (needs g++, patchelf and python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v patchelf >/dev/null || { apt-get update -qq && apt-get install -y -qq patchelf; } >/dev/null 2>&1 ||
  { echo "patchelf missing (apt-get install patchelf)"; exit 1; }
command -v g++ >/dev/null || { echo "g++ missing (apt-get install g++)"; exit 1; }
src=${TMPDIR:-/tmp}/trace-libtorch-src
out=${TMPDIR:-/tmp}/trace-libtorch-bin
mkdir -p "$src"
cp "$here/Program.cs" "$here/TsAnchor.csproj" "$src/"
(cd "$src" && dotnet build -c Release -v q -o "$out" >/dev/null)
lib=$(find "$out" -name libLibTorchSharp.so | head -n 1)
if ! grep -q iosinit <(patchelf --print-needed "$lib"); then
  g++ -shared -fPIC -O2 -o "$(dirname "$lib")/libiosinit.so" -x c++ - <<'CPP'
#include <ios>
namespace std { void ios_base_library_init() { static std::ios_base::Init init; } }
CPP
  patchelf --clear-symbol-version _ZSt21ios_base_library_initv "$lib"
  patchelf --add-needed libiosinit.so --set-rpath '$ORIGIN' "$lib"
  python3 "$here/weakver.py" "$lib" GLIBCXX_3.4.32
fi
echo "libtorch reference (TorchSharp-cpu 0.107 / libtorch 2.10), $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores, threads ${1:-2}"
dotnet "$out"/TsAnchor.dll "$@"
