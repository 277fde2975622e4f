using JitApi = Trace.Jit.Jit;

namespace Trace.Perf.Gpu;

/// <summary>
/// W1–W5 on the CPU of the same machine, eager and traced (<see cref="DeviceWorkloads"/> on <c>Device.Cpu</c>), for the
/// CPU-vs-GPU comparison: timed as the CPU quick runner times them (<c>Jit.Compare</c>: eager and traced calls alternate,
/// warm-up, then medians), with fewer calls. Trace's CPU kernels use every core (<c>ParallelRange.MaxWorkers</c>).
/// </summary>
public static class CpuSection
{
    /// <summary>The timing budget of one workload (both variants together), in ms, before the budget's share is applied.</summary>
    private static double CapMs(BenchContext ctx) => ctx.Tiny ? 150 : ctx.Options.Quick ? 1000 : 2500;

    /// <summary>Times each workload eagerly and traced on the CPU; records both medians in <see cref="BenchContext.Times"/>.</summary>
    public static void Run(BenchContext ctx)
    {
        var items = DeviceWorkloads.Items;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string eagerName = $"{item.Id} {item.What}";
            if (ctx.SkipForBudget("cpu-eager", eagerName, reserveSeconds: 5))
            {
                ctx.Times.Missing(item.Id, Variant.CpuEager, "skipped");
                ctx.Times.Missing(item.Id, Variant.CpuTraced, "skipped");
                continue;
            }
            try
            {
                var eager = item.Eager(ctx.Sizes, Device.Cpu);
                TracedWorkload? traced = null;
                string? tracedError = null;
                try
                {
                    traced = item.Traced(ctx.Sizes, Device.Cpu);
                }
                catch (Exception e) when (WorkloadSection.CanReport(e))
                {
                    tracedError = $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" ");
                }
                // Checked before timing: a traced output may be a planned buffer that later calls overwrite.
                var (pass, check) = traced is null ? (false, "") : TracedSection.Check(item, traced);
                // Without a traced module, the eager calls alternate with a call that does nothing.
                var c = JitApi.Compare(eager, traced?.Call ?? (static () => { }), traced?.TraceMs ?? 0, warmup: ctx.Tiny ? 1 : 3,
                    budgetMs: ctx.Budget.SliceMs(items.Count - i, CapMs(ctx)));
                string timing = $"median of {c.Samples} after {c.Warmups} warm-up, " +
                    (traced is null ? "eager alone" : "eager and traced alternating (Jit.Compare)");
                ctx.Report.Add(new BenchRow("cpu-eager", eagerName, "ok", c.EagerMs, "ms",
                    $"{DeviceWorkloads.Describe(item.Id, ctx.Sizes)}; {timing}, IQR {BenchReport.Number(c.EagerSpreadMs)} ms wide"));
                ctx.Times.Set(item.Id, Variant.CpuEager, c.EagerMs);
                if (traced is null)
                {
                    ctx.Report.Add(new BenchRow("cpu-traced", eagerName, "error", null, "", tracedError!));
                    ctx.Times.Missing(item.Id, Variant.CpuTraced, "error");
                    continue;
                }
                ctx.Report.Add(new BenchRow("cpu-traced", eagerName, pass ? "ok" : "FAIL", c.TracedMs, "ms",
                    $"{traced.How}; {BenchReport.Number(c.Speedup)}x CPU eager; trace+compile {BenchReport.Number(c.TraceMs)} ms; {check}; {timing}, " +
                    $"IQR {BenchReport.Number(c.TracedSpreadMs)} ms wide"));
                if (pass) ctx.Times.Set(item.Id, Variant.CpuTraced, c.TracedMs);
                else ctx.Times.Missing(item.Id, Variant.CpuTraced, "FAIL");
            }
            catch (Exception e) when (WorkloadSection.CanReport(e))
            {
                ctx.Report.Add(new BenchRow("cpu-eager", eagerName, "error", null, "", $"{e.GetType().Name}: {e.Message}".ReplaceLineEndings(" ")));
                ctx.Times.Missing(item.Id, Variant.CpuEager, "error");
                ctx.Times.Missing(item.Id, Variant.CpuTraced, "error");
            }
            finally
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
    }
}
