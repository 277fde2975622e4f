#!/usr/bin/env bash
# Merges rounds of the scaling sweep into one CSV, per point the fastest round (least ms; GFLOP/s recomputed), and
# the largest FMA peak: perf/scaling-best.sh OUT.csv ROUND1.csv ROUND2.csv ...  (Trace's or libtorch's CSVs, not mixed).
# On a shared machine a neighbour's build slows some points of a round; the best of interleaved rounds is the
# machine's speed, as libtorch's own best-of-3 loops are.
set -euo pipefail
out=$1; shift
awk -F, -v OFS=, '
  FNR == 1 { if (NR == 1) header = $0; next }
  {
    key = $1 FS $2 FS $3 FS $4 FS $5
    if (!(key in row)) { order[++n] = key; row[key] = $0; next }
    split(row[key], best, FS)
    if ($1 == "peak") { if ($8 > best[8]) row[key] = $0; next }
    # ms columns: 7 (eager or libtorch) and 9 (traced); each followed by its GFLOP/s.
    for (c = 7; c <= NF; c += 2)
      if ($c != "" && (best[c] == "" || $c + 0 < best[c] + 0)) { best[c] = $c; best[c + 1] = sprintf("%.1f", $6 / $c * 1000) }
    s = best[1]; for (c = 2; c <= NF; c++) s = s OFS best[c]; row[key] = s
  }
  END { print header; for (i = 1; i <= n; i++) print row[order[i]] }' "$@" > "$out"
echo "wrote $out"
