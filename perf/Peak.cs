using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Perf;

/// <summary>
/// The machine's single-precision FMA peak: one thread per core, each running a register-only loop of independent
/// vector FMAs (Vector512, or Vector256 where Vector512 is not accelerated), so throughput, not latency, binds.
/// </summary>
public static class Peak
{
    private const int Accumulators = 12;   // FMA latency (4 cycles) × 2 pipes = 8 chains in flight needed; 12 leaves margin

    /// <summary>Lanes per vector of the FMA loop (16 with Vector512, else 8).</summary>
    public static int Lanes => Vector512.IsHardwareAccelerated ? 16 : 8;

    /// <summary>Measures the all-core peak in GFLOP/s (best of three ~0.1 s runs after a calibration run; about 0.3–0.4 s).</summary>
    public static double MeasureGflops()
    {
        // Calibrate on one thread so each timed run lasts ~0.1 s.
        long iters = 1 << 16;
        double s;
        while ((s = Run(1, iters)) < 0.02) iters *= 4;
        iters = Math.Max(iters, (long)(iters * 0.1 / s));
        int workers = Environment.ProcessorCount;
        double best = double.MaxValue;
        for (int r = 0; r < 3; r++) best = Math.Min(best, Run(workers, iters));
        return 2.0 * Accumulators * Lanes * iters * workers / best / 1e9;
    }

    /// <summary>Seconds for <paramref name="workers"/> threads, released together, to each run <paramref name="iters"/> loop iterations.</summary>
    private static double Run(int workers, long iters)
    {
        using var start = new Barrier(workers + 1);
        var sink = new float[workers];
        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            int id = w;
            threads[w] = new Thread(() =>
            {
                start.SignalAndWait();
                sink[id] = Vector512.IsHardwareAccelerated ? Loop512(iters) : Loop256(iters);
            }) { IsBackground = true };
            threads[w].Start();
        }
        start.SignalAndWait();
        long t0 = Stopwatch.GetTimestamp();
        foreach (var t in threads) t.Join();
        double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        if (float.IsNaN(sink.Sum())) throw new InvalidOperationException("FMA peak loop produced NaN.");
        return seconds;
    }

    // a ← a·m + c converges to c / (1 − m) = 1: no overflow, no denormals, and the result is used, so the loop stays.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Loop512(long iters)
    {
        var m = Vector512.Create(0.999f);
        var c = Vector512.Create(0.001f);
        Vector512<float> a0 = Vector512.Create(0.5f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
            a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iters; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float Loop256(long iters)
    {
        var m = Vector256.Create(0.999f);
        var c = Vector256.Create(0.001f);
        Vector256<float> a0 = Vector256.Create(0.5f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0,
            a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (long i = 0; i < iters; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
