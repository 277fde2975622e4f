namespace Trace.Kernels.Gpu;

/// <summary>
/// Device memory ran out: even after the pool released its cache, the request did not fit. The message names the
/// bytes asked for and the pool's state; the pool stays usable (free tensors, or call EmptyCache, and retry).
/// </summary>
public sealed class GpuOutOfMemoryException : OutOfMemoryException
{
    /// <summary>Creates the exception.</summary>
    public GpuOutOfMemoryException(string message, long requestedBytes, GpuMemoryStats stats, Exception? inner = null)
        : base(message, inner)
    {
        RequestedBytes = requestedBytes;
        Stats = stats;
    }

    /// <summary>The bytes that were asked for.</summary>
    public long RequestedBytes { get; }

    /// <summary>The pool's counters when the request failed.</summary>
    public GpuMemoryStats Stats { get; }
}
