using System.Diagnostics;
using Trace.Kernels;

namespace Trace.Perf;

/// <summary>Quick single-precision GEMM throughput check (square, contiguous row-major operands).</summary>
public static class GemmQuick
{
    /// <summary>
    /// Times C = A·B for n×n matrices at each size and returns GFLOP/s (2·n³ flops per call), the median of
    /// several timed repetitions after warm-up (repetition count adapts so each size takes about half a second).
    /// </summary>
    public static IReadOnlyList<(int N, double Gflops)> Run(int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var results = new List<(int N, double Gflops)>(sizes.Length);
        foreach (int n in sizes)
        {
            var rng = new Random(n);
            var a = new float[(long)n * n];
            var b = new float[(long)n * n];
            var c = new float[(long)n * n];
            for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
            for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);

            void Once() => Gemm.Sgemm(n, n, n, 1f, a, n, 1, b, n, 1, 0f, c, n);

            // Warm up: JIT tiers, thread pool, packing buffers.
            var warm = Stopwatch.StartNew();
            int warmRuns = 0;
            while (warmRuns < 3 || (warm.ElapsedMilliseconds < 200 && warmRuns < 100))
            {
                Once();
                warmRuns++;
            }

            double once = warm.Elapsed.TotalSeconds / warmRuns;
            int reps = (int)Math.Clamp(0.5 / Math.Max(once, 1e-9), 5, 200);
            var times = new double[reps];
            for (int r = 0; r < reps; r++)
            {
                long t0 = Stopwatch.GetTimestamp();
                Once();
                times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            }

            Array.Sort(times);
            double median = times[reps / 2];
            results.Add((n, 2.0 * n * n * (double)n / median / 1e9));
        }

        return results;
    }
}
