namespace Trace.Perf.Gpu;

/// <summary>Where a workload ran and how: Trace on CUDA or the CPU, eager or traced.</summary>
public enum Variant
{
    /// <summary>Eager on <c>Device.Cuda()</c>.</summary>
    CudaEager,

    /// <summary>Traced on <c>Device.Cuda()</c>.</summary>
    CudaTraced,

    /// <summary>Eager on the CPU.</summary>
    CpuEager,

    /// <summary>Traced on the CPU.</summary>
    CpuTraced,
}

/// <summary>
/// The medians the sections measured (ms per call, by workload id and <see cref="Variant"/>), and why a variant has
/// none (its row's status); the goal lines and the side-by-side table read them.
/// </summary>
public sealed class WorkloadTimes
{
    private readonly Dictionary<(string, Variant), double> _ms = [];
    private readonly Dictionary<(string, Variant), string> _why = [];

    /// <summary>Records a median.</summary>
    public void Set(string id, Variant v, double ms) => _ms[(id, v)] = ms;

    /// <summary>Records why <paramref name="id"/> has no median for <paramref name="v"/>: the row's status (unsupported, error, skipped, FAIL).</summary>
    public void Missing(string id, Variant v, string status) => _why[(id, v)] = status;

    /// <summary>The median, or null.</summary>
    public double? Get(string id, Variant v) => _ms.TryGetValue((id, v), out double ms) ? ms : null;

    /// <summary>Why there is no median: the row's status, or "-" when nothing was recorded.</summary>
    public string Why(string id, Variant v) => _why.TryGetValue((id, v), out var w) ? w : "-";
}
