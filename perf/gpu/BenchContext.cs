using Trace.Kernels.Gpu;

namespace Trace.Perf.Gpu;

/// <summary>What every section of a run shares: options, report, timer, budget, the device, whether sizes are tiny, and the medians measured.</summary>
public sealed record BenchContext(BenchOptions Options, BenchReport Report, DeviceTimer Timer, Budget Budget, GpuDevice Gpu, bool Tiny)
{
    /// <summary>The workload medians measured so far, for the goals and the side-by-side table.</summary>
    public WorkloadTimes Times { get; } = new();

    /// <summary>The workload sizes of this run: the definition on a GPU, tiny on the CPU accelerator.</summary>
    public WorkloadSizes Sizes => Tiny ? WorkloadSizes.Tiny : WorkloadSizes.Standard;

    /// <summary>Untimed warm-up calls, and the fewest and most timed calls, per measurement.</summary>
    public (int Warmup, int Min, int Max) Iterations =>
        Tiny ? (Options.Quick ? (1, 1, 1) : (1, 3, 10)) : Options.Quick ? (2, 5, 30) : (5, 10, 200);

    /// <summary>The most one measurement may take, in milliseconds, before the budget's share is applied.</summary>
    public double CapMs => Tiny ? 2000 : Options.Quick ? 1500 : 5000;

    /// <summary>
    /// Times <paramref name="body"/> within its share of what is left (one of <paramref name="itemsLeft"/> items);
    /// <paramref name="warmedUp"/> untimed calls already made (a training workload's setup step) count as warm-up.
    /// </summary>
    public Timing Measure(Action body, int itemsLeft, Action? afterWarmup = null, int warmedUp = 0)
    {
        var (warmup, min, max) = Iterations;
        var t = Timer.Measure(body, Math.Max(0, warmup - warmedUp), min, max, Budget.SliceMs(itemsLeft, CapMs), afterWarmup);
        return t with { Warmups = t.Warmups + warmedUp };
    }

    /// <summary>True (and a "skipped" row added) when the budget is spent, keeping <paramref name="reserveSeconds"/> for the rest.</summary>
    public bool SkipForBudget(string section, string name, double reserveSeconds = 0)
    {
        if (!Budget.Spent(reserveSeconds)) return false;
        Report.Add(new BenchRow(section, name, "skipped", null, "", $"time budget: {Budget.ElapsedSeconds:F0} s of {Options.BudgetSeconds:F0} s used"));
        return true;
    }

    /// <summary>
    /// True for the error an op without a CUDA kernel raises: a <see cref="NotSupportedException"/>, reported as
    /// "unsupported", never as a crash.
    /// </summary>
    public static bool IsUnsupported(Exception e) => e is NotSupportedException;
}
