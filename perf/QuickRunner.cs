using Trace.Kernels;

namespace Trace.Perf;

/// <summary>Prints the quick perf numbers: FMA peak, GEMM GFLOP/s by size and workload shape, elementwise bandwidth, W1–W7.</summary>
public static class QuickRunner
{
    /// <summary>
    /// Runs all quick measurements and writes one line per result; with <paramref name="jsonPath"/>, also the W rows as JSON;
    /// with <paramref name="only"/>, just those workloads; with <paramref name="profile"/>, each traced workload's per-node times.
    /// </summary>
    public static void Run(TextWriter o, string? jsonPath = null, string[]? only = null, bool profile = false)
    {
        o.WriteLine($"Trace quick perf — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, " +
                    $"Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "yes" : "no")}, .NET {Environment.Version}");
        if (only is null) Kernels(o);
        RunWorkloads(o, jsonPath, only, profile);
    }

    /// <summary>The FMA peak, then one row per GEMM (square n=256..2048, then the shapes W1–W7 issue): µs, GFLOP/s, % of peak.</summary>
    public static void Gemms(TextWriter o)
    {
        double peak = Peak.MeasureGflops();
        o.WriteLine($"FMA peak {peak:F1} GFLOP/s ({Environment.ProcessorCount} threads, Vector{Peak.Lanes * 32} FMAs, register-only)");
        IEnumerable<(GemmShape S, double Budget)> rows =
            [.. new[] { 256, 512, 1024, 2048 }.Select(n => (GemmShape.Square(n), 0.45)), .. GemmQuick.WorkloadShapes.Select(s => (s, 0.2))];
        foreach (var (s, budget) in rows)
        {
            double sec = GemmQuick.MedianSeconds(s, budget), gflops = s.Flops / sec / 1e9;
            o.WriteLine($"GEMM {s.Label,-24} {$"{s.M}×{s.N}×{s.K}",-16} {s.Layout,-18} {sec * 1e6,9:F1} µs {gflops,6:F1} GFLOP/s {100 * gflops / peak,3:F0}% of peak");
        }
    }

    private static void Kernels(TextWriter o)
    {
        Gemms(o);

        // The W1 shapes through the tensor API (matmul with a transposed weight view; linear with bias).
        Tensor.ManualSeed(1);
        var x = Tensor.Randn(64, 1000);
        var w = Tensor.Randn(100, 1000);
        var b = Tensor.Randn(100);
        double mmMs = Timing.MedianMs(() => x.Matmul(w.T));
        o.WriteLine($"matmul 64x1000 · (100x1000)ᵀ  {mmMs * 1000,8:F1} us  {2.0 * 64 * 1000 * 100 / mmMs / 1e6,6:F1} GFLOP/s");
        double linMs = Timing.MedianMs(() => Tensor.Linear(x, w, b));
        o.WriteLine($"linear 64x1000 -> 100 (+bias)  {linMs * 1000,8:F1} us  {2.0 * 64 * 1000 * 100 / linMs / 1e6,6:F1} GFLOP/s");

        const int N = 4 * 1024 * 1024;
        var a = Tensor.Randn(N);
        var c = Tensor.Randn(N);
        double bytes = 3.0 * 4 * N;
        double addMs = Timing.MedianMs(() => a.Add(c));
        o.WriteLine($"add 4M floats (eager, new output)     {addMs,7:F3} ms  {bytes / addMs / 1e6,6:F1} GB/s");
        var dst = new float[N];
        var (pa, pc) = (a.ToArray<float>(), c.ToArray<float>());
        double kMs = Timing.MedianMs(() => ParallelRange.Run(N, ParallelRange.ElementwiseGrain, (s, e) =>
            SpanKernels.Binary<float, AddOp<float>>(pa.AsSpan(s, e - s), pc.AsSpan(s, e - s), dst.AsSpan(s, e - s))));
        o.WriteLine($"add 4M floats (kernel, preallocated)  {kMs,7:F3} ms  {bytes / kMs / 1e6,6:F1} GB/s");
        double chainMs = Timing.MedianMs(() => _ = (a * 0.5 + c).Tanh() * a + c);
        o.WriteLine($"W4 tanh(a*0.5+b)*a+b, eager op by op  {chainMs,7:F3} ms");
        double sumMs = Timing.MedianMs(() => a.Sum());
        o.WriteLine($"sum 4M floats                         {sumMs,7:F3} ms  {4.0 * N / sumMs / 1e6,6:F1} GB/s");
    }

    private static void RunWorkloads(TextWriter o, string? jsonPath, string[]? only, bool profile)
    {

        o.WriteLine("Workloads (traced: fused compiled loops, compiled backward, planned buffers; W2/W3 as one Jit.TraceStep; trace = trace+compile+check, warm process):");
        var json = new List<string>();
        foreach (var make in Workloads.All)
        {
            if (only is not null && !only.Contains(make.Method.Name, StringComparer.OrdinalIgnoreCase)) continue;
            var wl = make();
            var cmp = Trace.Jit.Jit.Compare(wl.Eager, wl.Traced, wl.TraceMs);
            o.WriteLine($"{wl.Id}  eager {cmp.EagerMs:F3} ms  traced {cmp.TracedMs:F3} ms  speedup {cmp.Speedup:F2}x  trace {cmp.TraceMs:F1} ms   ({wl.What})");
            if (profile)
            {
                using var p = Trace.Jit.OpProfile.Start();
                for (int i = 0; i < 10; i++) wl.Traced();
                o.Write(p);
            }
            json.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"\"{wl.Id}\": {{\"eager_ms\": {cmp.EagerMs:F4}, \"traced_ms\": {cmp.TracedMs:F4}, \"trace_ms\": {cmp.TraceMs:F1}}}"));
        }
        if (jsonPath is not null) File.WriteAllText(jsonPath, "{" + string.Join(", ", json) + "}\n");
    }
}
