#!/usr/bin/env python3
"""Markdown tables of a scaling sweep (perf/RESULTS.md): the W5 grid and square SGEMM, Trace beside libtorch.

Usage: perf/scaling-table.py TRACE.csv LIBTORCH.csv   (the CSVs of `perf -- --scaling` and `perf/libtorch/run.sh 2 scaling`).
"""
import csv
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


trace, torch = rows(sys.argv[1]), rows(sys.argv[2])
peak = max(float(r["eager_gflops"]) for r in trace if r["kind"] == "peak")
key = lambda r: (r["kind"], r["T"], r["C"], r["n"])
lt = {key(r): r for r in torch}

print(f"FMA peak {peak:.1f} GFLOP/s.\n")
print("| C | T | GFLOP | eager ms | traced ms | libtorch ms | eager GFLOP/s | traced GFLOP/s | libtorch GFLOP/s | traced % peak | traced ÷ libtorch |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in sorted((r for r in trace if r["kind"] == "w5"), key=lambda r: (int(r["C"]), int(r["T"]))):
    t = lt.get(key(r))
    tm = float(t["libtorch_ms"]) if t else None
    print(f"| {r['C']} | {r['T']} | {float(r['gflop']):.2f} | {float(r['eager_ms']):.1f} | {float(r['traced_ms']):.1f} | "
          f"{tm:.1f} | {float(r['eager_gflops']):.0f} | {float(r['traced_gflops']):.0f} | {float(t['libtorch_gflops']):.0f} | "
          f"{float(r['traced_gflops']) / peak:.0%} | {float(r['traced_ms']) / tm:.2f} |" if t else
          f"| {r['C']} | {r['T']} | {float(r['gflop']):.2f} | {float(r['eager_ms']):.1f} | {float(r['traced_ms']):.1f} | — | "
          f"{float(r['eager_gflops']):.0f} | {float(r['traced_gflops']):.0f} | — | {float(r['traced_gflops']) / peak:.0%} | — |")
print()
print("| n | Trace ms | Trace GFLOP/s | % peak | libtorch ms | libtorch GFLOP/s | Trace ÷ libtorch (time) |")
print("|---|---|---|---|---|---|---|")
for r in sorted((r for r in trace if r["kind"] == "gemm"), key=lambda r: int(r["n"])):
    t = lt.get(key(r))
    ms, g = float(r["eager_ms"]), float(r["eager_gflops"])
    if t:
        print(f"| {r['n']} | {ms:.3f} | {g:.0f} | {g / peak:.0%} | {float(t['libtorch_ms']):.3f} | {float(t['libtorch_gflops']):.0f} | {ms / float(t['libtorch_ms']):.2f} |")
    else:
        print(f"| {r['n']} | {ms:.3f} | {g:.0f} | {g / peak:.0%} | — | — | — |")
