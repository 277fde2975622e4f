using Trace.Kernels.Gpu;
using Trace.Optim;
using static Trace.Perf.WorkloadModels;

namespace Trace.Perf.Gpu;

/// <summary>
/// Eager W1–W5 on <c>Device.Cuda()</c> (docs/BENCHMARKS.md; models, data and step bodies from <see cref="WorkloadModels"/>),
/// each call in a <see cref="DisposeScope"/> so its temporaries go back to the caching allocator at once, and the
/// allocator's hit rate over the timed steps of the training workloads (goal ≥ 99%).
/// </summary>
public static class WorkloadSection
{
    /// <summary>
    /// A workload: its id, what it is, whether it trains, and its setup, which returns the call to time. A training
    /// workload's setup makes one step outside any scope (it creates the optimizer's state and compiles the kernels); that
    /// step counts as a warm-up.
    /// </summary>
    public sealed record Item(string Id, string What, bool Training, Func<WorkloadSizes, Action> Setup);

    private static Device Cuda => Device.Cuda();

    /// <summary>W1–W5 as set up on the CUDA device.</summary>
    public static IReadOnlyList<Item> Items { get; } =
    [
        new("W1", "MLP F->H->F + MSE, forward", false, s =>
        {
            var (model, x, y) = W1(s, new Generator(1));
            model.To(Cuda);
            var (xd, yd) = (x.To(Cuda), y.To(Cuda));
            return () => W1Loss(model, xd, yd);
        }),
        new("W2", "two-layer net, MSE, Adam, train step", true, s => Train(W2Model, s, new Generator(2))),
        new("W3", "ParallelBlock net, MSE, Adam, train step", true, s => Train(W3Model, s, new Generator(3))),
        new("W4", "tanh(a*0.5+b)*a+b, forward", false, s =>
        {
            var (a, b) = W4Data(s, new Generator(4));
            var (ad, bd) = (a.To(Cuda), b.To(Cuda));
            return () => W4(ad, bd);
        }),
        new("W5", "GPT block, fwd+bwd of sum", true, s =>
        {
            var (block, x) = W5(s, new Generator(5));
            block.To(Cuda);
            var xd = x.To(Cuda);
            W5Step(block, block.Forward, xd);
            return () => W5Step(block, block.Forward, xd);
        }),
    ];

    private static Action Train(Func<WorkloadSizes, Generator, Nn.Module> build, WorkloadSizes s, Generator g)
    {
        var model = build(s, g).To(Cuda);
        var (x, y) = TrainData(s, g);
        var (xd, yd) = (x.To(Cuda), y.To(Cuda));
        var opt = new Adam(model.Parameters(), lr: LearningRate);
        TrainStep(model, opt, xd, yd);   // the setup step: state made, kernels compiled
        opt.ZeroGrad();                  // its gradients are garbage now, returned before the steady state is counted
        return () => TrainStep(model, opt, xd, yd);
    }

    /// <summary>The sizes of a workload row: "N=64 F=1000 ..." for the detail column.</summary>
    public static string Describe(string id, WorkloadSizes s) => id switch
    {
        "W1" or "W2" or "W3" => $"N={s.Batch} F={s.Features} H={s.Hidden} C={s.Classes}",
        "W4" => $"n={s.Elements}",
        _ => $"B={s.GptBatch} T={s.GptT} C={s.GptC} heads={s.GptHeads}",
    };

    /// <summary>
    /// Times each workload and reports its median; returns W4's median (null if it did not run) for the bandwidth
    /// comparison. Adds one allocator row per training workload and one for all of them together.
    /// </summary>
    public static double? Run(BenchContext ctx)
    {
        var sizes = ctx.Tiny ? WorkloadSizes.Tiny : WorkloadSizes.Standard;
        double? w4 = null;
        long hits = 0, misses = 0;
        for (int i = 0; i < Items.Count; i++)
        {
            var item = Items[i];
            string name = $"{item.Id} {item.What}";
            if (ctx.SkipForBudget("workload", name, reserveSeconds: 5)) continue;
            try
            {
                var step = item.Setup(sizes);
                // The setup's own temporaries (made outside any scope) go back to the cache before the steady state is counted.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GpuMemoryStats before = default;
                var t = ctx.Measure(() =>
                {
                    using var scope = Tensor.NewDisposeScope();
                    step();
                }, Items.Count - i, () => before = ctx.Gpu.Pool.Stats, warmedUp: item.Training ? 1 : 0);
                var after = ctx.Gpu.Pool.Stats;
                long h = after.Hits - before.Hits, m = after.Misses - before.Misses;
                ctx.Report.Add(new BenchRow("workload", name, "ok", t.MedianMs, "ms",
                    $"{Describe(item.Id, sizes)}; {t.Describe()}; allocator {h} hits {m} misses"));
                if (item.Id == "W4") w4 = t.MedianMs;
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
            }
            finally
            {
                // Models and data of this workload become garbage: their blocks return to the cache now, not mid-measurement later.
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
        if (hits + misses > 0) AddHitRate(ctx, "training steady-state hit rate (all)", hits, misses, null);
        return w4;
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
