using System.Diagnostics;
using ILGPU.Runtime;
using Trace.Kernels.Gpu;

namespace Trace.Perf.Gpu;

/// <summary>The median and quartiles of timed calls, in milliseconds, and how many calls were timed after how many warm-ups.</summary>
public readonly record struct Timing(double MedianMs, double Q1Ms, double Q3Ms, int Samples, int Warmups)
{
    /// <summary>"n=…, warm-up …, IQR …–… ms" for the detail column.</summary>
    public string Describe() =>
        $"median of {Samples} after {Warmups} warm-up, IQR {BenchReport.Number(Q1Ms)}-{BenchReport.Number(Q3Ms)} ms";
}

/// <summary>
/// Times calls on the device. On a GPU: CUDA events (ILGPU profiling markers) recorded on the device's stream before and
/// after each call, so the time is the device's, from the first queued kernel to the last. On ILGPU's CPU accelerator,
/// which has no device events, a Stopwatch around each call followed by a stream synchronize.
/// </summary>
public sealed class DeviceTimer(GpuDevice device)
{
    /// <summary>True when times come from CUDA events.</summary>
    public bool UsesDeviceEvents => !device.OnCpuAccelerator;

    /// <summary>How times are taken, for the report's header.</summary>
    public string Method => UsesDeviceEvents
        ? "CUDA events (ILGPU profiling markers on the compute stream), after warm-up, medians"
        : "Stopwatch around each call plus a stream synchronize (ILGPU CPU accelerator: no device events), after warm-up, medians";

    /// <summary>Milliseconds of one call of <paramref name="body"/>.</summary>
    public double Once(Action body)
    {
        if (!UsesDeviceEvents)
        {
            device.Synchronize();
            var sw = Stopwatch.StartNew();
            body();
            device.Synchronize();
            return sw.Elapsed.TotalMilliseconds;
        }
        using var start = Marker();
        body();
        using var end = Marker();
        return end.MeasureFrom(start).TotalMilliseconds;   // waits for the end marker
    }

    private ProfilingMarker Marker()
    {
        lock (device.Gate) return device.Stream.AddProfilingMarker();
    }

    /// <summary>
    /// <paramref name="warmup"/> untimed calls (fewer, but at least one if any, when they overrun <paramref name="budgetMs"/>), then timed
    /// calls until the budget is spent: at least <paramref name="minSamples"/>, at most <paramref name="maxSamples"/>.
    /// <paramref name="afterWarmup"/>, when given, runs between the two (to snapshot counters of the steady state).
    /// </summary>
    public Timing Measure(Action body, int warmup, int minSamples, int maxSamples, double budgetMs, Action? afterWarmup = null)
    {
        var total = Stopwatch.StartNew();
        int warm = 0;
        while (warm < warmup && (warm == 0 || total.Elapsed.TotalMilliseconds < budgetMs / 2))
        {
            body();
            warm++;
        }
        device.Synchronize();
        afterWarmup?.Invoke();
        var times = new List<double>();
        while (times.Count < minSamples || (times.Count < maxSamples && total.Elapsed.TotalMilliseconds < budgetMs))
            times.Add(Once(body));
        times.Sort();
        double At(double q) => times[(int)Math.Round(q * (times.Count - 1))];
        return new Timing(times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2,
            At(0.25), At(0.75), times.Count, warm);
    }
}

/// <summary>The run's hard time budget.</summary>
public sealed class Budget(double seconds)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Seconds since the run started.</summary>
    public double ElapsedSeconds => _clock.Elapsed.TotalSeconds;

    /// <summary>Seconds left (negative once overrun).</summary>
    public double LeftSeconds => seconds - ElapsedSeconds;

    /// <summary>True once less than <paramref name="reserveSeconds"/> is left.</summary>
    public bool Spent(double reserveSeconds = 0) => LeftSeconds <= reserveSeconds;

    /// <summary>The milliseconds one of <paramref name="itemsLeft"/> items may take, at most <paramref name="capMs"/>.</summary>
    public double SliceMs(int itemsLeft, double capMs) => Math.Max(0, Math.Min(capMs, LeftSeconds * 1000 / Math.Max(1, itemsLeft)));
}
