using System.Diagnostics;

namespace Trace.Perf;

/// <summary>Median-of-repeats timing after warm-up, for the quick runner.</summary>
public static class Timing
{
    /// <summary>Median milliseconds per call of <paramref name="body"/>; repeats until ~<paramref name="budgetMs"/> ms are spent (at least 5 runs).</summary>
    public static double MedianMs(Action body, int warmup = 3, double budgetMs = 400)
    {
        for (int i = 0; i < warmup; i++) body();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (times.Count < 5 || (total.Elapsed.TotalMilliseconds < budgetMs && times.Count < 1000))
        {
            var sw = Stopwatch.StartNew();
            body();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}
