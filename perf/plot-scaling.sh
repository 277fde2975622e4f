#!/usr/bin/env bash
# Plots the scaling sweep: perf/plot-scaling.sh [trace.csv] [libtorch.csv] [out.png]
# (defaults perf/scaling/trace.csv, perf/scaling/libtorch.csv, perf/scaling.png). The CSVs come from
# `dotnet run -c Release --project perf -- --scaling` and `perf/libtorch/run.sh 2 scaling`.
# Left panel: W5 GFLOP/s against C, one colour per T, traced (solid) / eager (dashed) / libtorch (dotted);
# right panel: square GEMM GFLOP/s against n, Trace and libtorch. Both draw the measured FMA peak.
# Needs gnuplot (apt-get install -y gnuplot-nox).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
trace=${1:-$here/scaling/trace.csv}
torch=${2:-$here/scaling/libtorch.csv}
out=${3:-$here/scaling.png}
command -v gnuplot >/dev/null || { echo "gnuplot missing (apt-get install -y gnuplot-nox)"; exit 1; }
peak=$(awk -F, '$1 == "peak" { print $8 }' "$trace")
[ -n "$peak" ] || { echo "$trace has no peak row"; exit 1; }
gnuplot <<GP
set terminal pngcairo size 1500,700 font "DejaVu Sans,11"
set output "$out"
set datafile separator ","
set multiplot layout 1,2 title "Trace vs libtorch on 2 cores (AMD EPYC Zen 5, AVX-512), FP32 — measured FMA peak $peak GFLOP/s"
set logscale x 2
set grid
set key below box font ",9" maxrows 4
set ylabel "GFLOP/s"
set bmargin 9
set yrange [0:${peak}*1.08]

set title "W5 GPT block fwd+bwd, B=8, 4 heads (GFLOP/s vs C)"
set xlabel "channels C"
set xrange [100:1300]
set xtics (128, 256, 512, 1024)
# One T's rows, in C order (a filter, so that each line's points are consecutive).
w5(f, t) = sprintf("< awk -F, '\$1 == \"w5\" && \$3 == %d' %s", t, f)
c1 = "#1f77b4"; c2 = "#ff7f0e"; c3 = "#2ca02c"; c4 = "#d62728"
plot $peak with lines lc "black" lw 2 dt 1 title "FMA peak", \
  for [i=1:4] w5("$trace", 32*2**i) using 4:10 with linespoints lw 2 pt 7 dt 1 lc rgb word(c1." ".c2." ".c3." ".c4, i) title sprintf("traced T=%d", 32*2**i), \
  for [i=1:4] w5("$trace", 32*2**i) using 4:8 with linespoints lw 1.5 pt 6 dt 2 lc rgb word(c1." ".c2." ".c3." ".c4, i) title sprintf("eager T=%d", 32*2**i), \
  for [i=1:4] w5("$torch", 32*2**i) using 4:8 with linespoints lw 1.5 pt 4 dt 3 lc rgb word(c1." ".c2." ".c3." ".c4, i) title sprintf("libtorch T=%d", 32*2**i)

set title "Square SGEMM n×n·n×n (GFLOP/s vs n)"
set xlabel "n"
set xrange [48:5500]
set xtics (64, 128, 256, 512, 1024, 2048, 4096)
set key below box font ",10" maxrows 4
gemm(f) = sprintf("< awk -F, '\$1 == \"gemm\"' %s", f)
plot $peak with lines lc "black" lw 2 title "FMA peak", \
  gemm("$trace") using 5:8 with linespoints lw 2 pt 7 lc rgb c1 title "Trace Gemm.Sgemm", \
  gemm("$torch") using 5:8 with linespoints lw 2 pt 4 dt 3 lc rgb c4 title "libtorch mm"
unset multiplot
GP
echo "wrote $out"
