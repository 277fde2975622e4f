namespace Trace.Perf.Gpu;

/// <summary>
/// The GPU goals of issue 12 as PASS/MISS lines (n/a, with the reason, when a number is missing) and the side-by-side
/// table of every workload: Trace on CUDA eager and traced, PyTorch on CUDA eager and compiled, both on the CPU, and
/// the CPU-over-GPU ratios. Goals are reported, never asserted: MISS does not fail the run.
/// </summary>
public static class GoalSection
{
    /// <summary>W4 traced must move its bytes at this share of the measured copy bandwidth or more.</summary>
    public const double W4BandwidthShare = 0.7;

    /// <summary>W1 and W4 traced must be this many times faster than Trace's CUDA eager or more.</summary>
    public const double TracedSpeedup = 2;

    /// <summary>Adds the goal rows (section "goal").</summary>
    /// <param name="ctx">The run.</param>
    /// <param name="copyGBs">The measured device-to-device copy bandwidth (bytes read + written per second), or null.</param>
    /// <param name="torch">PyTorch's results on the same machine (<c>--torch</c>), or null.</param>
    /// <param name="torchWhy">Why there are none, when <paramref name="torch"/> is null.</param>
    public static void Goals(BenchContext ctx, double? copyGBs, TorchResults? torch, string torchWhy)
    {
        var times = ctx.Times;
        double bytes = 12.0 * ctx.Sizes.Elements;
        const string w4Name = "W4 traced >= 70% of the device copy bandwidth";
        if (times.Get("W4", Variant.CudaTraced) is not { } w4)
            NotAvailable(ctx, w4Name, $"W4 traced: {times.Why("W4", Variant.CudaTraced)}");
        else if (copyGBs is not { } copy)
            NotAvailable(ctx, w4Name, "the copy bandwidth was not measured");
        else
        {
            double gbs = bytes / (w4 * 1e6), share = gbs / copy;
            Goal(ctx, w4Name, share >= W4BandwidthShare, 100 * share, "%",
                $"{BenchReport.Number(bytes / 1e6)} MB (a, b read, result written) in {BenchReport.Number(w4)} ms = {BenchReport.Number(gbs)} GB/s; " +
                $"copy {BenchReport.Number(copy)} GB/s");
        }
        foreach (var id in (string[])["W1", "W4"])
        {
            string name = $"{id} traced >= {TracedSpeedup:G}x Trace CUDA eager";
            if (times.Get(id, Variant.CudaTraced) is not { } traced) NotAvailable(ctx, name, $"{id} traced: {times.Why(id, Variant.CudaTraced)}");
            else if (times.Get(id, Variant.CudaEager) is not { } eager) NotAvailable(ctx, name, $"{id} eager: {times.Why(id, Variant.CudaEager)}");
            else Goal(ctx, name, eager / traced >= TracedSpeedup, eager / traced, "x",
                $"eager {BenchReport.Number(eager)} ms / traced {BenchReport.Number(traced)} ms");
        }
        const string w5Name = "W5 traced <= PyTorch CUDA eager";
        if (times.Get("W5", Variant.CudaTraced) is not { } w5) NotAvailable(ctx, w5Name, $"W5 traced: {times.Why("W5", Variant.CudaTraced)}");
        else if (torch is null) NotAvailable(ctx, w5Name, torchWhy);
        else if (torch.Ms("W5", "cuda", "eager") is not { } pt)
            NotAvailable(ctx, w5Name, $"PyTorch W5 cuda eager: {torch.Get("W5", "cuda", "eager")?.Status ?? "not in the file"}");
        else Goal(ctx, w5Name, w5 <= pt, w5 / pt, "x", $"traced {BenchReport.Number(w5)} ms / PyTorch eager {BenchReport.Number(pt)} ms" +
            (torch.Ms("W5", "cuda", "compile") is { } pc ? $"; PyTorch torch.compile {BenchReport.Number(pc)} ms" : ""));
    }

    private static void Goal(BenchContext ctx, string name, bool pass, double value, string unit, string detail) =>
        ctx.Report.Add(new BenchRow("goal", name, pass ? "PASS" : "MISS", value, unit, detail + (ctx.Tiny ? "; CPU accelerator: not a GPU number" : "")));

    private static void NotAvailable(BenchContext ctx, string name, string why) =>
        ctx.Report.Add(new BenchRow("goal", name, "n/a", null, "", why));

    /// <summary>The side-by-side table's columns.</summary>
    public static readonly string[] Columns =
    [
        "workload", "Trace CUDA eager", "Trace CUDA traced", "traced speedup", "PyTorch CUDA eager", "PyTorch CUDA compile",
        "Trace CPU eager", "Trace CPU traced", "PyTorch CPU eager", "CPU/GPU Trace traced", "CPU/GPU PyTorch eager",
    ];

    /// <summary>Prints and records the side-by-side table (ms per call; W5-sdpa is PyTorch's alone).</summary>
    public static void SideBySide(BenchContext ctx, TorchResults? torch)
    {
        var t = ctx.Times;
        string Ms(double? ms, string why) => ms is { } v ? BenchReport.Number(v) : why;
        string Ratio(double? a, double? b) => a is { } x && b is { } y ? BenchReport.Number(x / y) + "x" : "-";
        string Torch(string id, string backend, string mode) =>
            torch is null ? "-" : torch.Get(id, backend, mode) is { } r ? (r is { Status: "ok", MedianMs: { } ms } ? BenchReport.Number(ms) : r.Status) : "-";
        var rows = new List<string[]>();
        foreach (var item in DeviceWorkloads.Items)
        {
            string id = item.Id;
            var (ce, ct, pe, pt) = (t.Get(id, Variant.CudaEager), t.Get(id, Variant.CudaTraced), t.Get(id, Variant.CpuEager), t.Get(id, Variant.CpuTraced));
            rows.Add([id, Ms(ce, t.Why(id, Variant.CudaEager)), Ms(ct, t.Why(id, Variant.CudaTraced)), Ratio(ce, ct),
                Torch(id, "cuda", "eager"), Torch(id, "cuda", "compile"),
                Ms(pe, t.Why(id, Variant.CpuEager)), Ms(pt, t.Why(id, Variant.CpuTraced)), Torch(id, "cpu", "eager"),
                Ratio(pt, ct), Ratio(torch?.Ms(id, "cpu", "eager"), torch?.Ms(id, "cuda", "eager"))]);
        }
        if (torch is not null)
            rows.Add(["W5-sdpa", "-", "-", "-", Torch("W5-sdpa", "cuda", "eager"), Torch("W5-sdpa", "cuda", "compile"), "-", "-", "-", "-", "-"]);
        ctx.Report.Table(new BenchTable(
            $"side by side, ms per call (median){(ctx.Tiny ? " - CPU accelerator, tiny sizes: not GPU numbers" : "")}" +
            (torch is null ? "; no PyTorch results" : $"; PyTorch: {torch.Describe()}"), Columns, rows));
    }
}
