using ILGPU;
using ILGPU.Runtime;

namespace Trace.Perf.Gpu;

/// <summary>
/// The device's copy bandwidth (a driver device-to-device copy, and Trace's own copy kernel through <c>Clone</c>), SGEMM
/// n=256..4096 in GFLOP/s, and W4 (eager and traced) against one pass over its bytes at the measured copy bandwidth.
/// </summary>
public static class ThroughputSection
{
    /// <summary>Measures the copy bandwidth in GB/s (read + write bytes per second); null when it could not be measured.</summary>
    public static double? CopyBandwidth(BenchContext ctx)
    {
        long bytes = ctx.Tiny ? 1L << 20 : 1L << 30;
        double? driver = null;
        if (!ctx.SkipForBudget("bandwidth", "copy device-to-device (driver)", reserveSeconds: 10))
        {
            var pool = ctx.Gpu.Pool;
            var src = pool.Allocate(bytes, zeroed: true);
            var dst = pool.Allocate(bytes, zeroed: false);
            try
            {
                var t = ctx.Measure(() =>
                {
                    lock (ctx.Gpu.Gate) src.Buffer.View.CopyTo(ctx.Gpu.Stream, dst.Buffer.View);
                }, 8);
                driver = 2.0 * bytes / (t.MedianMs * 1e6);
                ctx.Report.Add(new BenchRow("bandwidth", "copy device-to-device (driver)", "ok", driver, "GB/s",
                    $"{bytes >> 20} MiB read + written; {t.Describe()}"));
            }
            finally
            {
                pool.Free(src);
                pool.Free(dst);
            }
        }
        if (!ctx.SkipForBudget("bandwidth", "copy kernel (Tensor.Clone)", reserveSeconds: 10))
        {
            var x = Tensor.Zeros([(int)(bytes / 4)], DType.Float32, Device.Cuda());
            try
            {
                var t = ctx.Measure(() =>
                {
                    using var scope = Tensor.NewDisposeScope();
                    x.Clone();
                }, 7);
                ctx.Report.Add(new BenchRow("bandwidth", "copy kernel (Tensor.Clone)", "ok", 2.0 * bytes / (t.MedianMs * 1e6), "GB/s",
                    $"{bytes >> 20} MiB float32 read + written; {t.Describe()}"));
            }
            finally
            {
                x.Storage.Dispose();
            }
        }
        return driver;
    }

    /// <summary>The SGEMM sizes: 256..4096 on a GPU (fewer with --quick), 32 and 64 on the CPU accelerator.</summary>
    public static int[] GemmSizes(bool tiny, bool quick) =>
        tiny ? [32, 64] : quick ? [256, 1024, 4096] : [256, 512, 1024, 2048, 4096];

    /// <summary>Times C = A·B in float32 for each size and reports GFLOP/s (2n³ flops per product).</summary>
    public static void Sgemm(BenchContext ctx)
    {
        var sizes = GemmSizes(ctx.Tiny, ctx.Options.Quick);
        for (int i = 0; i < sizes.Length; i++)
        {
            int n = sizes[i];
            string name = $"sgemm n={n}";
            if (ctx.SkipForBudget("sgemm", name, reserveSeconds: 10)) continue;
            var a = CorrectnessCases.Values(Device.Cuda(), [n, n], 31, 1);
            var b = CorrectnessCases.Values(Device.Cuda(), [n, n], 32, 1);
            try
            {
                var t = ctx.Measure(() =>
                {
                    using var scope = Tensor.NewDisposeScope();
                    a.Matmul(b);
                }, sizes.Length - i + 6);
                double gflops = 2.0 * n * n * (double)n / (t.MedianMs * 1e6);
                ctx.Report.Add(new BenchRow("sgemm", name, "ok", gflops, "GFLOP/s", $"float32 (n,n)@(n,n) through Tensor.Matmul; {t.Describe()}" +
                    (n == 4096 ? "; goal >= 50% of cuBLAS FP32 (torch.mm, TF32 off) on the same GPU" : "")));
            }
            catch (Exception e) when (WorkloadSection.CanReport(e))
            {
                ctx.Report.Add(new BenchRow("sgemm", name, WorkloadSection.CudaStatus(e), null, "", WorkloadSection.Flat(e)));
            }
            finally
            {
                a.Storage.Dispose();
                b.Storage.Dispose();
            }
        }
    }

    /// <summary>
    /// W4 in GB/s of one pass over its bytes (a and b read, the result written: 12 bytes per element), eager and traced
    /// where measured, and the eager time over that pass's time at the measured copy bandwidth (goal ≤ 6: eager W4 makes
    /// five passes; traced W4's goal, ≥ 70% of the copy bandwidth, is a goal line).
    /// </summary>
    public static void W4AgainstCopy(BenchContext ctx, double copyGBs)
    {
        int elements = ctx.Sizes.Elements;
        double bytes = 12.0 * elements;
        double onePassMs = bytes / (copyGBs * 1e6);
        if (ctx.Times.Get("W4", Variant.CudaEager) is { } eager)
        {
            ctx.Report.Add(new BenchRow("bandwidth", "W4 eager effective (one pass: 12 B/element)", "ok", bytes / (eager * 1e6), "GB/s",
                $"n={elements}, {BenchReport.Number(eager)} ms"));
            double ratio = eager / onePassMs;
            ctx.Report.Add(new BenchRow("bandwidth", "W4 eager time / one pass at copy bandwidth", ratio <= 6 ? "ok" : "below-goal", ratio, "x",
                $"one pass {BenchReport.Number(onePassMs)} ms at {BenchReport.Number(copyGBs)} GB/s; goal <= 6 (eager makes 5 passes)"));
        }
        if (ctx.Times.Get("W4", Variant.CudaTraced) is { } traced)
            ctx.Report.Add(new BenchRow("bandwidth", "W4 traced effective (one pass: 12 B/element)", "ok", bytes / (traced * 1e6), "GB/s",
                $"n={elements}, {BenchReport.Number(traced)} ms; {BenchReport.Number(100 * bytes / (traced * 1e6) / copyGBs)}% of the copy bandwidth"));
    }
}
