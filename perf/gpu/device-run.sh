#!/usr/bin/env bash
# The whole GPU benchmark run on a GPU machine, from the repository root: PyTorch's reference (torch_bench.py) first,
# then Trace's app (.gpubench/Trace.GpuBench, published here beforehand with perf/gpu/publish.sh) given PyTorch's JSON,
# so that the app's report ends with the goal lines and the side-by-side table of both.
#   perf/gpu/device-run.sh [TOTAL_SECONDS]      # default 480: fits a 10-minute command with room to spare
# Results go under $OUT (the device tool's output folder; ./gpubench-results when OUT is unset):
#   $OUT/torch/torch_bench.json, torch_bench.txt, torch.log     PyTorch eager and torch.compile on CUDA, eager on the CPU
#   $OUT/app/gpubench.json and the Markdown table beside it, app.log   Trace: correctness, bandwidth, SGEMM, W1-W5 ...
#   $OUT/nvidia-smi.txt                                          the card as found
# Needs: the NVIDIA driver, python3 with torch (for the reference; without it the app still runs), no .NET.
# Exit code: the app's (0 ok, 1 a check failed or a row raised an error, 2 no usable CUDA device); PyTorch's failures
# are its rows' results and do not change it.
set -uo pipefail
cd "$(dirname "$0")/../.."
total="${1:-480}"
if ! [[ "$total" =~ ^[0-9]+$ ]] || [ "$total" -lt 120 ]; then
  echo "usage: perf/gpu/device-run.sh [TOTAL_SECONDS >= 120]" >&2
  exit 64
fi
out="${OUT:-$PWD/gpubench-results}"
app=.gpubench/Trace.GpuBench
if [ ! -f "$app" ]; then
  echo "device-run.sh: $app is missing: run perf/gpu/publish.sh on the build machine and send .gpubench/ along (the device tool: carry .gpubench)" >&2
  exit 66
fi
chmod +x "$app"
mkdir -p "$out/torch" "$out/app"

# Budgets: 35% for PyTorch (its compiles dominate), the rest for the app; each process is also stopped 30 s past its
# budget (the app's own watchdog allows 60 s of grace, torch_bench.py's compiles cannot be interrupted).
torch_budget=$((total * 35 / 100))
app_budget=$((total - torch_budget - 40))
echo "device-run: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), budgets: PyTorch ${torch_budget} s, Trace ${app_budget} s, results in $out"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1 || echo "nvidia-smi failed (see $out/nvidia-smi.txt)"
head -n 12 "$out/nvidia-smi.txt"

torch_json="$out/torch/torch_bench.json"
if python3 -c "import torch" 2>/dev/null; then
  echo "== PyTorch reference: python3 perf/gpu/torch_bench.py --budget-seconds $torch_budget"
  PYTHONUNBUFFERED=1 timeout -k 10 $((torch_budget + 30)) python3 perf/gpu/torch_bench.py --out "$out/torch" \
    --budget-seconds "$torch_budget" 2>&1 | tee "$out/torch/torch.log"
  echo "torch_bench.py exit code ${PIPESTATUS[0]}"
else
  echo "== PyTorch reference skipped: python3 cannot import torch" | tee "$out/torch/torch.log"
fi
torch_args=()
[ -f "$torch_json" ] && torch_args=(--torch "$torch_json")

echo "== Trace: $app --budget-seconds $app_budget ${torch_args[*]}"
timeout -k 10 $((app_budget + 90)) "$app" --budget-seconds "$app_budget" --out "$out/app" "${torch_args[@]}" 2>&1 | tee "$out/app/app.log"
rc=${PIPESTATUS[0]}

# The end of the output is what a device call returns: the goals and the side-by-side table once more, last.
echo
echo "== summary (full results under $out)"
grep -E '^(goal|summary:)' "$out/app/app.log"
sed -n '/^== side by side/,/^$/p' "$out/app/app.log"
[ -f "$out/torch/torch_bench.txt" ] && cat "$out/torch/torch_bench.txt"
echo "device-run: app exit code $rc, $(date -u '+%H:%M:%S UTC')"
exit "$rc"
