using System.Diagnostics;

namespace Trace.Jit;

/// <summary>Eager and traced timings of the same computation (medians over repeated runs after warm-up).</summary>
/// <param name="EagerMs">Median eager milliseconds per call.</param>
/// <param name="EagerSpreadMs">Interquartile range of the eager times.</param>
/// <param name="TracedMs">Median traced milliseconds per call.</param>
/// <param name="TracedSpreadMs">Interquartile range of the traced times.</param>
/// <param name="TraceMs">Time to trace, optimize and check the first specialization.</param>
/// <param name="Warmups">Untimed warm-up calls of each side before sampling (eager and traced alternating).</param>
/// <param name="Samples">Timed calls of each side the medians are taken over (eager and traced interleaved).</param>
public sealed record Comparison(double EagerMs, double EagerSpreadMs, double TracedMs, double TracedSpreadMs, double TraceMs,
    int Warmups, int Samples)
{
    /// <summary>Eager time over traced time.</summary>
    public double Speedup => EagerMs / TracedMs;

    /// <inheritdoc/>
    public override string ToString() =>
        $"eager {EagerMs:F3} ms (±{EagerSpreadMs / 2:F3})  traced {TracedMs:F3} ms (±{TracedSpreadMs / 2:F3})  speedup {Speedup:F2}x  trace+compile {TraceMs:F1} ms  (median of {Samples} after {Warmups} warm-up calls)";
}

public static partial class Jit
{
    /// <summary>
    /// Times <paramref name="step"/> eagerly and with <paramref name="tracedStep"/> (which may use a traced module),
    /// interleaving repetitions so that machine noise affects both alike. Both first warm up for at least
    /// <paramref name="warmup"/> runs and half of <paramref name="budgetMs"/>; samples then fill the rest of the budget.
    /// </summary>
    public static Comparison Compare(Action step, Action tracedStep, double traceMs, int warmup = 5, double budgetMs = 1000)
    {
        // Warm up for at least the requested count and half the budget: .NET compiles hot methods again, fully
        // optimized, only after they have run a while (tiered compilation), and that must not land in the samples.
        var warm = Stopwatch.StartNew();
        int warmups = 0;
        for (; warmups < warmup || (warm.Elapsed.TotalMilliseconds < budgetMs / 2 && warmups < 500); warmups++) { step(); tracedStep(); }
        var eager = new List<double>();
        var traced = new List<double>();
        var total = Stopwatch.StartNew();
        while (eager.Count < 7 || (total.Elapsed.TotalMilliseconds < budgetMs && eager.Count < 2000))
        {
            eager.Add(Time(step));
            traced.Add(Time(tracedStep));
        }
        var (em, es) = MedianAndIqr(eager);
        var (tm, ts) = MedianAndIqr(traced);
        return new Comparison(em, es, tm, ts, traceMs, warmups, eager.Count);
    }

    /// <summary>Traces <paramref name="model"/> on <paramref name="input"/> and compares eager and traced forward calls.</summary>
    public static Comparison Compare(Nn.Module model, Tensor input, int warmup = 5, double budgetMs = 1000)
    {
        var sw = Stopwatch.StartNew();
        var traced = Trace(model, input);
        double traceMs = sw.Elapsed.TotalMilliseconds;
        return Compare(() => model.Forward(input), () => traced.Forward(input), traceMs, warmup, budgetMs);
    }

    private static double Time(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static (double Median, double Iqr) MedianAndIqr(List<double> xs)
    {
        xs.Sort();
        double Q(double p) => xs[(int)Math.Round(p * (xs.Count - 1))];
        return (Q(0.5), Q(0.75) - Q(0.25));
    }
}
