using Trace.Kernels.Gpu;

namespace Trace.Perf.Gpu;

/// <summary>
/// Eager W1–W5 on <c>Device.Cuda()</c> (docs/BENCHMARKS.md; <see cref="DeviceWorkloads"/>), each call in a
/// <see cref="DisposeScope"/> so its temporaries go back to the caching allocator at once, and the allocator's hit rate
/// over the timed steps of the training workloads (goal ≥ 99%).
/// </summary>
public static class WorkloadSection
{
    private static Device Cuda => Device.Cuda();

    /// <summary>
    /// Times each workload and records its median in <see cref="BenchContext.Times"/> (<see cref="Variant.CudaEager"/>).
    /// Adds one allocator row per training workload and one for all of them together.
    /// </summary>
    public static void Run(BenchContext ctx)
    {
        var items = DeviceWorkloads.Items;
        long hits = 0, misses = 0;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string name = $"{item.Id} {item.What}";
            if (ctx.SkipForBudget("workload", name, reserveSeconds: 5))
            {
                ctx.Times.Missing(item.Id, Variant.CudaEager, "skipped");
                continue;
            }
            try
            {
                var step = item.Eager(ctx.Sizes, Cuda);
                var (t, h, m) = TimeInScopes(ctx, step, items.Count - i, item.Training ? 1 : 0);
                ctx.Report.Add(new BenchRow("workload", name, "ok", t.MedianMs, "ms",
                    $"{DeviceWorkloads.Describe(item.Id, ctx.Sizes)}; {t.Describe()}; allocator {h} hits {m} misses"));
                ctx.Times.Set(item.Id, Variant.CudaEager, t.MedianMs);
                if (item.Training)
                {
                    hits += h;
                    misses += m;
                    AddHitRate(ctx, $"{item.Id} steady-state hit rate", h, m, t.Samples);
                }
            }
            catch (Exception e) when (CanReport(e))
            {
                ctx.Report.Add(new BenchRow("workload", name, CudaStatus(e), null, "", Flat(e)));
                ctx.Times.Missing(item.Id, Variant.CudaEager, CudaStatus(e));
            }
            finally
            {
                // Models and data of this workload become garbage: their blocks return to the cache now, not mid-measurement later.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        if (hits + misses > 0) AddHitRate(ctx, "training steady-state hit rate (all)", hits, misses, null);
    }

    /// <summary>
    /// Times <paramref name="call"/> on the device, each call in a <see cref="DisposeScope"/>, as one of
    /// <paramref name="itemsLeft"/> items; returns the timing and the allocator's hits and misses over the timed calls.
    /// </summary>
    public static (Timing Timing, long Hits, long Misses) TimeInScopes(BenchContext ctx, Action call, int itemsLeft, int warmedUp)
    {
        // The setup's own temporaries (made outside any scope) go back to the cache before the steady state is counted.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GpuMemoryStats before = default;
        var t = ctx.Measure(() =>
        {
            using var scope = Tensor.NewDisposeScope();
            call();
        }, itemsLeft, () => before = ctx.Gpu.Pool.Stats, warmedUp);
        var after = ctx.Gpu.Pool.Stats;
        return (t, after.Hits - before.Hits, after.Misses - before.Misses);
    }

    private static void AddHitRate(BenchContext ctx, string name, long hits, long misses, int? steps)
    {
        double rate = hits + misses == 0 ? 100 : 100.0 * hits / (hits + misses);
        ctx.Report.Add(new BenchRow("allocator", name, rate >= 99 ? "ok" : "below-goal", rate, "%",
            $"{hits} hits, {misses} misses{(steps is { } s ? $" over {s} timed steps" : "")}; goal >= 99%"));
    }

    /// <summary>Errors a row reports instead of ending the run (everything but out-of-memory of the host).</summary>
    public static bool CanReport(Exception e) => e is not OutOfMemoryException;

    /// <summary>"unsupported" for an op without a CUDA kernel, else "error".</summary>
    public static string CudaStatus(Exception e) => BenchContext.IsUnsupported(e) ? "unsupported" : "error";

    /// <summary>The exception's type and message on one line ("unsupported: ..." rows carry the message as given).</summary>
    public static string Flat(Exception e) =>
        (BenchContext.IsUnsupported(e) ? e.Message : $"{e.GetType().Name}: {e.Message}").ReplaceLineEndings(" ");
}
