namespace Trace.Perf.Gpu;

/// <summary>
/// Traced W1–W5 on <c>Device.Cuda()</c> (<see cref="DeviceWorkloads"/>: <c>Jit.Trace</c> for W1, W4, W5 and
/// <c>Jit.TraceStep</c> for W2, W3), each call in a <see cref="DisposeScope"/> and timed as the eager rows are. The first
/// traced call is checked against an eager call on the same inputs (a traced row whose results differ is a FAIL). A build
/// whose traced graphs cannot take CUDA tensors raises <see cref="NotSupportedException"/>: the row then says
/// "traced: not supported in this build: ..." and the run goes on.
/// </summary>
public static class TracedSection
{
    /// <summary>The prefix of a traced row's detail when the build refuses to trace CUDA tensors.</summary>
    public const string NotSupported = "traced: not supported in this build: ";

    /// <summary>Times each traced workload; records its median in <see cref="BenchContext.Times"/> (<see cref="Variant.CudaTraced"/>).</summary>
    public static void Run(BenchContext ctx)
    {
        var items = DeviceWorkloads.Items;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items[i];
            string name = $"{item.Id} {item.What}";
            if (ctx.SkipForBudget("traced", name, reserveSeconds: 5))
            {
                ctx.Times.Missing(item.Id, Variant.CudaTraced, "skipped");
                continue;
            }
            try
            {
                var traced = item.Traced(ctx.Sizes, Device.Cuda());
                var (pass, check) = Check(item, traced);
                var (t, h, m) = WorkloadSection.TimeInScopes(ctx, traced.Call, items.Count - i, warmedUp: 1);
                string speedup = ctx.Times.Get(item.Id, Variant.CudaEager) is { } eager ? $"{BenchReport.Number(eager / t.MedianMs)}x CUDA eager; " : "";
                ctx.Report.Add(new BenchRow("traced", name, pass ? "ok" : "FAIL", t.MedianMs, "ms",
                    $"{traced.How}; {speedup}trace+compile {BenchReport.Number(traced.TraceMs)} ms; {check}; {DeviceWorkloads.Describe(item.Id, ctx.Sizes)}; " +
                    $"{t.Describe()}; allocator {h} hits {m} misses"));
                if (pass) ctx.Times.Set(item.Id, Variant.CudaTraced, t.MedianMs);
                else ctx.Times.Missing(item.Id, Variant.CudaTraced, "FAIL");
            }
            catch (NotSupportedException e)
            {
                ctx.Report.Add(new BenchRow("traced", name, "unsupported", null, "", NotSupported + e.Message.ReplaceLineEndings(" ")));
                ctx.Times.Missing(item.Id, Variant.CudaTraced, "unsupported");
            }
            catch (Exception e) when (WorkloadSection.CanReport(e))
            {
                ctx.Report.Add(new BenchRow("traced", name, "error", null, "", WorkloadSection.Flat(e)));
                ctx.Times.Missing(item.Id, Variant.CudaTraced, "error");
            }
            finally
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
    }

    /// <summary>
    /// Compares the first traced call's results with the eager ones (|traced − eager| ≤ atol + rtol·|eager|); returns
    /// whether they match and a "checked against eager: ..." phrase for the detail column.
    /// </summary>
    public static (bool Pass, string Detail) Check(DeviceWorkloads.Item item, TracedWorkload traced)
    {
        var (maxAbs, worst) = CorrectnessCases.Compare(traced.Eager, traced.Traced, item.Rtol, item.Atol, $"{item.Id} traced vs eager");
        bool pass = worst <= 1;
        return (pass, $"{(pass ? "matches" : "DIFFERS FROM")} eager: max abs {BenchReport.Number(maxAbs)}, worst ratio {BenchReport.Number(worst)} " +
            $"(rtol {item.Rtol:G2}, atol {item.Atol:G2}) over {traced.Eager.Length} tensor{(traced.Eager.Length == 1 ? "" : "s")}");
    }
}
