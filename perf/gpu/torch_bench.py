#!/usr/bin/env python3
"""PyTorch reference for the device benchmark (perf/gpu): W1-W5 of docs/BENCHMARKS.md, eager and torch.compile on CUDA,
eager on the CPU, on the same machine as Trace.GpuBench.

    python3 perf/gpu/torch_bench.py --out DIR [--budget-seconds 180] [--cpu-threads N] [--quick] [--tiny] [--no-compile]

Same shapes and dtypes (float32) as perf/WorkloadModels.cs; W1 and W4 run under no_grad (as the libtorch reference
does), W2/W3 are Adam (lr 1e-4) train steps, W5 is the GPT block written as Trace's is (explicit matmul, causal mask,
softmax), forward and backward of out.sum(), plus a row with F.scaled_dot_product_attention. Float32 matrix products
run in full FP32 (TF32 off), as Trace's GEMM does. CUDA rows are timed with CUDA events around each call after
warm-up (the host waits for each call's end event, as Trace's DeviceTimer does); CPU rows with perf_counter. Each row:
median of N with the interquartile range. A torch.compile error or a guard failure is reported in its row; the run
goes on. Rows that do not fit the time budget are reported as skipped. Writes DIR/torch_bench.json (after every row,
so a killed run leaves what it measured) and DIR/torch_bench.txt (the plain table, also printed).
Needs only python3 with torch (numpy is not used).
"""
import argparse
import datetime
import importlib
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback

import torch
import torch.nn as nn
import torch.nn.functional as F

JSON_FILE = "torch_bench.json"
TABLE_FILE = "torch_bench.txt"


# ---- workload definitions (docs/BENCHMARKS.md; sizes as perf/WorkloadModels.cs's WorkloadSizes) ----

STANDARD = dict(batch=64, features=1000, hidden=100, classes=10, elements=1 << 22, gpt_batch=8, gpt_t=128, gpt_c=256, gpt_heads=4)
TINY = dict(batch=4, features=32, hidden=8, classes=4, elements=4096, gpt_batch=1, gpt_t=8, gpt_c=16, gpt_heads=2)
LEARNING_RATE = 1e-4


class ParallelBlock(nn.Module):
    """Two linear layers of the same input, multiplied, clamped at 0 (the lecture's ParallelBlock)."""

    def __init__(self, d_in, d_out):
        super().__init__()
        self.linear1 = nn.Linear(d_in, d_out)
        self.linear2 = nn.Linear(d_in, d_out)

    def forward(self, x):
        return (self.linear1(x) * self.linear2(x)).clamp(min=0)


class GptBlock(nn.Module):
    """Pre-LayerNorm GPT block as perf/WorkloadModels.cs's GptBlock: causal self-attention and a 4x GELU MLP."""

    def __init__(self, channels, heads, max_t, sdpa=False):
        super().__init__()
        self.heads, self.sdpa = heads, sdpa
        self.ln1, self.ln2 = nn.LayerNorm(channels), nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, 3 * channels)
        self.proj = nn.Linear(channels, channels)
        self.fc = nn.Linear(channels, 4 * channels)
        self.fc_proj = nn.Linear(4 * channels, channels)
        self.gelu = nn.GELU()
        # True above the diagonal: masked (Trace: Ones(maxT, maxT).Tril().Eq(0)).
        self.register_buffer("causal", torch.ones(max_t, max_t).tril() == 0)

    def forward(self, x):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)

        def heads(z):
            return z.view(b, t, self.heads, d).transpose(1, 2)  # (B, H, T, D)

        q, k, v = heads(q), heads(k), heads(v)
        if self.sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = q.matmul(k.transpose(-2, -1)).mul(1.0 / math.sqrt(d))
            att = att.masked_fill(self.causal[:t, :t], float("-inf")).softmax(-1)
            y = att.matmul(v)
        y = y.transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc_proj(self.gelu(self.fc(self.ln2(x))))


def w4(a, b):
    return torch.tanh(a * 0.5 + b) * a + b


def build(wid, s, device, compiled):
    """The call to time for workload wid on device (a function of no arguments), eager or through torch.compile."""
    maybe = torch.compile if compiled else (lambda f: f)
    if wid == "W1":
        model = nn.Sequential(nn.Linear(s["features"], s["hidden"]), nn.ReLU(), nn.Linear(s["hidden"], s["features"])).to(device)
        x = torch.randn(s["batch"], s["features"], device=device)
        y = torch.randn(s["batch"], s["features"], device=device)
        f = maybe(lambda x, y: F.mse_loss(model(x), y))

        def call():
            with torch.no_grad():
                return f(x, y)
        return call
    if wid in ("W2", "W3"):
        if wid == "W2":
            model = nn.Sequential(nn.Linear(s["features"], s["hidden"]), nn.ReLU(), nn.Linear(s["hidden"], s["classes"]))
        else:
            model = nn.Sequential(ParallelBlock(s["features"], s["hidden"]), ParallelBlock(s["hidden"], s["hidden"]),
                                  nn.Linear(s["hidden"], s["classes"]))
        model = model.to(device)
        opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        x = torch.randn(s["batch"], s["features"], device=device)
        y = torch.randn(s["batch"], s["classes"], device=device)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return loss
        # Compiled: the whole step (dynamo breaks the graph at backward(); forward+loss, its AOT backward and the
        # optimizer's update are compiled), as Jit.TraceStep compiles the whole step.
        return maybe(step)
    if wid == "W4":
        a = torch.randn(s["elements"], device=device)
        b = torch.randn(s["elements"], device=device)
        f = maybe(w4)

        def call():
            with torch.no_grad():
                return f(a, b)
        return call
    if wid in ("W5", "W5-sdpa"):
        block = GptBlock(s["gpt_c"], s["gpt_heads"], s["gpt_t"], sdpa=wid == "W5-sdpa").to(device)
        x = torch.randn(s["gpt_batch"], s["gpt_t"], s["gpt_c"], device=device)
        fwd = maybe(block)

        def call():
            fwd(x).sum().backward()
            block.zero_grad(set_to_none=True)
        return call
    raise ValueError(f"unknown workload {wid}")


WHAT = {
    "W1": "MLP 1000->100->1000 + MSE, forward (no_grad)",
    "W2": "two-layer net, MSE, Adam, train step",
    "W3": "ParallelBlock net, MSE, Adam, train step",
    "W4": "tanh(a*0.5+b)*a+b, 4M floats, forward (no_grad)",
    "W5": "GPT block B=8 T=128 C=256, fwd+bwd of sum",
    "W5-sdpa": "GPT block as W5 with F.scaled_dot_product_attention",
}


# ---- timing ----

def summarize(times, warmups):
    times = sorted(times)
    n = len(times)

    def at(q):
        return times[int(round(q * (n - 1)))]
    return dict(median_ms=statistics.median(times), q1_ms=at(0.25), q3_ms=at(0.75), samples=n, warmup=warmups)


def measure(call, cuda, warmup, min_n, max_n, slice_s):
    """warmup untimed calls (at least one; fewer past half the slice), then timed calls until the slice is spent."""
    start = time.perf_counter()
    done = 0
    while done < warmup and (done == 0 or time.perf_counter() - start < slice_s / 2):
        call()
        done += 1
    times = []
    if cuda:
        torch.cuda.synchronize()
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    while len(times) < min_n or (len(times) < max_n and time.perf_counter() - start < slice_s):
        if cuda:
            begin.record()
            call()
            end.record()
            end.synchronize()
            times.append(begin.elapsed_time(end))
        else:
            t = time.perf_counter()
            call()
            times.append((time.perf_counter() - t) * 1000)
    return summarize(times, done)


def one_line(e):
    text = f"{type(e).__name__}: {e}".replace("\n", " ").replace("\r", " ")
    return text if len(text) <= 400 else text[:397] + "..."


# ---- the run ----

class Run:
    def __init__(self, args):
        self.args = args
        self.t0 = time.perf_counter()
        self.rows = []
        self.sizes = TINY if args.tiny else STANDARD
        self.cuda = torch.cuda.is_available()
        self.header = self.describe()

    def left(self):
        return self.args.budget_seconds - (time.perf_counter() - self.t0)

    def describe(self):
        h = dict(tool="torch_bench.py", started=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                 python=platform.python_version(), torch=torch.__version__, cuda_runtime=torch.version.cuda,
                 cpu_threads=torch.get_num_threads(), cpu_count=os.cpu_count(), budget_seconds=self.args.budget_seconds,
                 sizes="tiny" if self.args.tiny else "standard", quick=self.args.quick,
                 float32_matmul_precision=torch.get_float32_matmul_precision() if hasattr(torch, "get_float32_matmul_precision") else "n/a",
                 timing="CUDA events around each call after warm-up (host waits for each end event); CPU: perf_counter; median, IQR")
        if self.cuda:
            p = torch.cuda.get_device_properties(0)
            h.update(device=torch.cuda.get_device_name(0), capability=f"{p.major}.{p.minor}", device_memory_mib=p.total_memory >> 20)
        else:
            h.update(device="none: torch.cuda.is_available() is False")
        return h

    def add(self, row):
        row["elapsed_s"] = round(time.perf_counter() - self.t0, 1)
        self.rows.append(row)
        print(format_row(row), flush=True)
        self.write_json()

    def write_json(self):
        if self.args.out:
            os.makedirs(self.args.out, exist_ok=True)
            tmp = os.path.join(self.args.out, JSON_FILE + ".tmp")
            with open(tmp, "w") as f:
                json.dump(dict(header=self.header, rows=self.rows), f, indent=1)
            os.replace(tmp, os.path.join(self.args.out, JSON_FILE))

    def limits(self, cuda):
        """(warm-up, fewest, most samples, cap of one row's timing in s)."""
        if self.args.tiny:
            return (1, 3, 10, 0.3)
        if self.args.quick:
            return (3, 5, 50, 1.0) if cuda else (2, 5, 20, 1.5)
        return (10, 10, 300, 2.5) if cuda else (3, 7, 100, 4.0)

    def row(self, wid, backend, mode, weight_left):
        base = dict(id=wid, backend=backend, mode=mode, what=WHAT[wid])
        compiled = mode == "compile"
        cuda = backend == "cuda"
        reserve = 20.0 if compiled and not self.args.tiny else 2.0
        if self.left() < reserve:
            return self.add(dict(base, status="skipped", detail=f"time budget: {self.args.budget_seconds - self.left():.0f} s of {self.args.budget_seconds:.0f} s used"))
        if cuda and not self.cuda:
            return self.add(dict(base, status="unsupported", detail="no CUDA device: torch.cuda.is_available() is False"))
        if compiled and not hasattr(torch, "compile"):
            return self.add(dict(base, status="unsupported", detail=f"torch {torch.__version__} has no torch.compile"))
        if wid == "W5-sdpa" and not hasattr(F, "scaled_dot_product_attention"):
            return self.add(dict(base, status="unsupported", detail=f"torch {torch.__version__} has no F.scaled_dot_product_attention"))
        device = "cuda" if cuda else "cpu"
        extra = {}
        try:
            torch.manual_seed(0)
            if compiled:
                importlib.import_module("torch._dynamo").reset()  # each row compiles from scratch: its first-call time is its own
            call = build(wid, self.sizes, device, compiled)
            t = time.perf_counter()
            call()  # compiled: traces and compiles here (W2/W3: the step's graphs; recompiles land in the warm-up)
            if cuda:
                torch.cuda.synchronize()
            extra["first_call_s"] = round(time.perf_counter() - t, 3)
            warmup, lo, hi, cap = self.limits(cuda)
            slice_s = max(0.05, min(cap, self.left() / max(1.0, weight_left)))
            r = measure(call, cuda, warmup, lo, hi, slice_s)
            detail = f"median of {r['samples']} after {r['warmup'] + 1} warm-up, IQR {r['q1_ms']:.4g}-{r['q3_ms']:.4g} ms"
            if compiled:
                detail += f"; first call (compile) {extra['first_call_s']:.1f} s"
            self.add(dict(base, status="ok", **r, **extra, detail=detail))
        except Exception as e:  # a compile error or guard failure is this row's result, never the run's end
            if self.args.verbose:
                traceback.print_exc()
            self.add(dict(base, status="error", **extra, detail=one_line(e)))
        finally:
            if cuda:
                torch.cuda.empty_cache()

    def main(self):
        ids = ["W1", "W2", "W3", "W4", "W5", "W5-sdpa"]
        cpu_ids = ids[:5]
        plan = [(i, "cuda", "eager") for i in ids] + [(i, "cpu", "eager") for i in cpu_ids]
        if not self.args.no_compile:
            # W5 first: the compiles take most of the budget, and W5 is the comparison that matters most.
            plan += [(i, "cuda", "compile") for i in ["W5", "W4", "W1", "W2", "W3", "W5-sdpa"]]
        print(header_text(self.header), flush=True)
        print(format_row(None), flush=True)
        for n, (wid, backend, mode) in enumerate(plan):
            # Weights of what is left: a compile row is worth four timed rows of budget (its compile + its timing).
            weight_left = sum(4 if m == "compile" else 1 for _, _, m in plan[n:])
            self.row(wid, backend, mode, weight_left)
        table = table_text(self.header, self.rows, time.perf_counter() - self.t0)
        print()
        print(table, flush=True)
        if self.args.out:
            with open(os.path.join(self.args.out, TABLE_FILE), "w") as f:
                f.write(table + "\n")
            print(f"wrote {os.path.join(self.args.out, JSON_FILE)} and {os.path.join(self.args.out, TABLE_FILE)}", flush=True)
        return 0


def format_row(r):
    if r is None:
        return f"{'id':<8}  {'backend':<7}  {'mode':<8}  {'status':<11}  {'median ms':>10}  detail"
    v = f"{r['median_ms']:.4f}" if r.get("median_ms") is not None else "-"
    return f"{r['id']:<8}  {r['backend']:<7}  {r['mode']:<8}  {r['status']:<11}  {v:>10}  {r.get('detail', '')}"


def header_text(h):
    return "\n".join(f"{k}: {v}" for k, v in h.items())


def table_text(header, rows, elapsed):
    """The plain table: one line per workload, ms per call of each (backend, mode), '-' where not measured."""
    cols = [("cuda", "eager"), ("cuda", "compile"), ("cpu", "eager")]
    ms = {(r["id"], r["backend"], r["mode"]): r for r in rows}
    lines = [f"PyTorch {header['torch']} on {header.get('device')}, {header['cpu_threads']} CPU threads, ms per call (median)",
             f"{'workload':<9}  {'cuda eager':>11}  {'cuda compile':>12}  {'cpu eager':>10}"]
    for wid in ["W1", "W2", "W3", "W4", "W5", "W5-sdpa"]:
        cells = []
        for b, m in cols:
            r = ms.get((wid, b, m))
            cells.append(f"{r['median_ms']:.4f}" if r and r.get("median_ms") is not None else (r["status"] if r else "-"))
        lines.append(f"{wid:<9}  {cells[0]:>11}  {cells[1]:>12}  {cells[2]:>10}")
    lines.append(f"{sum(r['status'] == 'ok' for r in rows)} ok, {sum(r['status'] == 'error' for r in rows)} error, "
                 f"{sum(r['status'] == 'skipped' for r in rows)} skipped, {sum(r['status'] == 'unsupported' for r in rows)} unsupported, {elapsed:.1f} s")
    return "\n".join(lines)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="folder for torch_bench.json and torch_bench.txt")
    p.add_argument("--budget-seconds", type=float, default=180, help="time budget of the whole run (default 180)")
    p.add_argument("--cpu-threads", type=int, default=None, help="torch.set_num_threads for the CPU rows (default: all cores)")
    p.add_argument("--quick", action="store_true", help="fewer iterations")
    p.add_argument("--tiny", action="store_true", help="the tiny sizes of the CI mode (a check of the script, not a benchmark)")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    p.add_argument("--verbose", action="store_true", help="print the traceback of a failing row")
    a = p.parse_args(argv)
    if not a.budget_seconds > 0:
        p.error("--budget-seconds needs a positive number of seconds")
    if a.cpu_threads is not None and a.cpu_threads < 1:
        p.error("--cpu-threads needs a positive number")
    return a


def main(argv):
    args = parse(argv)
    torch.set_num_threads(args.cpu_threads or os.cpu_count() or 1)
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")  # full FP32, no TF32: Trace's GEMM is FP32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return Run(args).main()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
