using System.Globalization;
using Trace.Nn;

namespace Trace.Perf;

/// <summary>
/// How cost grows: W5 (the GPT block, forward + backward, B=8, 4 heads) over C × T, eager and traced, and square SGEMM
/// over n, each as ms per call and achieved GFLOP/s against the measured FMA peak; printed as a table and written as CSV.
/// </summary>
public static class Scaling
{
    /// <summary>The W5 grid's channel counts.</summary>
    public static readonly int[] Channels = [128, 256, 512, 1024];

    /// <summary>The W5 grid's sequence lengths.</summary>
    public static readonly int[] Lengths = [64, 128, 256, 512];

    /// <summary>The square GEMM sizes.</summary>
    public static readonly int[] GemmSizes = [64, 128, 256, 512, 1024, 2048, 4096];

    /// <summary>The CSV header (the libtorch app writes the same key columns, then libtorch_ms, libtorch_gflops).</summary>
    public const string Header = "kind,B,T,C,n,gflop,eager_ms,eager_gflops,traced_ms,traced_gflops,trace_ms";

    /// <summary>
    /// W5's FLOPs per forward + backward call: the four linears 2·B·T·(3C² + C² + 4C² + 4C²) and attention's two batched
    /// products 2·2·B·T²·C forward (the causal mask does not shorten them), the backward counted as twice the forward.
    /// </summary>
    public static double W5Flops(int b, int t, int c) => 3 * (2.0 * b * t * 12.0 * c * c + 4.0 * b * (double)t * t * c);

    /// <summary>Runs the sweep (a few minutes), printing one row per point, and writes the CSV to <paramref name="csvPath"/>.</summary>
    public static void Run(TextWriter o, string csvPath)
    {
        ArgumentNullException.ThrowIfNull(o);
        var inv = CultureInfo.InvariantCulture;
        var started = DateTime.UtcNow;
        o.WriteLine($"Trace scaling sweep — {started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load {Load()}, " +
                    $"Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "yes" : "no")}, .NET {Environment.Version}");
        double peak = Peak.MeasureGflops();
        o.WriteLine($"FMA peak {peak:F1} GFLOP/s");
        var rows = new List<string> { Header, "" };   // the peak row is filled in at the end

        o.WriteLine($"W5 B=8 heads=4 fwd+bwd  {"C",5} {"T",4} {"GFLOP",7} {"eager ms",9} {"GFLOP/s",8} {"traced ms",9} {"GFLOP/s",8} {"% peak",6} {"trace ms",8}");
        const int B = 8;
        foreach (int c in Channels)
            foreach (int t in Lengths)
            {
                var (eagerMs, tracedMs, traceMs) = TimeW5(B, t, c);
                double flops = W5Flops(B, t, c), eg = flops / eagerMs / 1e6, tg = flops / tracedMs / 1e6;
                o.WriteLine($"W5                      {c,5} {t,4} {flops / 1e9,7:F2} {eagerMs,9:F2} {eg,8:F1} {tracedMs,9:F2} {tg,8:F1} {100 * tg / peak,5:F0}% {traceMs,8:F0}");
                rows.Add(string.Create(inv, $"w5,{B},{t},{c},,{flops / 1e9:F4},{eagerMs:F3},{eg:F1},{tracedMs:F3},{tg:F1},{traceMs:F0}"));
                GC.Collect();
            }

        o.WriteLine($"GEMM square             {"n",5} {"GFLOP",12} {"ms",9} {"GFLOP/s",8} {"% peak",6}");
        foreach (int n in GemmSizes)
        {
            var s = GemmShape.Square(n);
            double sec = GemmQuick.MedianSeconds(s, n >= 2048 ? 2.0 : 0.6), g = s.Flops / sec / 1e9;
            o.WriteLine($"GEMM                    {n,5} {s.Flops / 1e9,12:F4} {sec * 1e3,9:F3} {g,8:F1} {100 * g / peak,5:F0}%");
            rows.Add(string.Create(inv, $"gemm,,,,{n},{s.Flops / 1e9:F4},{sec * 1e3:F4},{g:F1},,,"));
        }

        // On a shared machine a neighbour can take a core during the first probe: the CSV keeps the better of two.
        double endPeak = Peak.MeasureGflops();
        o.WriteLine($"FMA peak at the end {endPeak:F1} GFLOP/s (the CSV keeps the larger)");
        rows[1] = string.Create(inv, $"peak,,,,,,,{Math.Max(peak, endPeak):F1},,,");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csvPath))!);
        File.WriteAllLines(csvPath, rows);
        o.WriteLine($"wrote {csvPath}; {(DateTime.UtcNow - started).TotalSeconds:F0} s, load {Load()}");
    }

    /// <summary>
    /// Median eager and traced ms per W5 call at (B, T, C) (interleaved by <see cref="Jit.Jit.Compare(Action, Action, double, int, double)"/>,
    /// its budget scaled to the call's cost), and the trace+compile ms.
    /// </summary>
    private static (double EagerMs, double TracedMs, double TraceMs) TimeW5(int b, int t, int c)
    {
        var sizes = WorkloadSizes.Standard with { GptBatch = b, GptT = t, GptC = c, GptHeads = 4 };
        var (block, x) = WorkloadModels.W5(sizes, new Generator(5));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        WorkloadModels.W5Step(block, block.Forward, x);   // first call: .NET's JIT of the eager kernels, outside the trace time
        double firstMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var traced = Jit.Jit.Trace(block, x);
        double traceMs = sw.Elapsed.TotalMilliseconds;
        // ~7 interleaved samples of the biggest point (~1 s per call), up to a second's worth of small ones.
        double budget = Math.Clamp(firstMs * 8, 800, 4000);
        var cmp = Jit.Jit.Compare(() => WorkloadModels.W5Step(block, block.Forward, x), () => WorkloadModels.W5Step(block, traced.Forward, x),
            traceMs, warmup: 2, budgetMs: budget);
        return (cmp.EagerMs, cmp.TracedMs, cmp.TraceMs);
    }

    private static string Load()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}
