namespace Trace.Kernels.Gpu;

/// <summary>
/// A snapshot of a <see cref="GpuMemoryPool"/>'s counters, PyTorch's names in brackets: bytes of blocks in use
/// (<c>memory_allocated</c>), bytes held from the driver including the cache (<c>memory_reserved</c>), the peak of the
/// first (<c>max_memory_allocated</c>), and how many requests the cache served (hits) or the driver (misses).
/// </summary>
/// <param name="AllocatedBytes">Bytes of blocks in use.</param>
/// <param name="ReservedBytes">Bytes held from the driver: in use plus cached.</param>
/// <param name="PeakAllocatedBytes">The largest <paramref name="AllocatedBytes"/> since creation or the last peak reset.</param>
/// <param name="Hits">Requests served from the cache.</param>
/// <param name="Misses">Requests that allocated from the driver.</param>
/// <param name="ActiveBlocks">Blocks in use.</param>
/// <param name="CachedBlocks">Free blocks kept for reuse.</param>
/// <param name="CacheFlushes">Times the cache was released to satisfy a request that did not fit.</param>
public readonly record struct GpuMemoryStats(
    long AllocatedBytes, long ReservedBytes, long PeakAllocatedBytes, long Hits, long Misses,
    int ActiveBlocks, int CachedBlocks, long CacheFlushes)
{
    /// <summary>The cached bytes (reserved but not in use).</summary>
    public long CachedBytes => ReservedBytes - AllocatedBytes;

    /// <summary>One line for error messages: allocated, reserved, cached.</summary>
    public override string ToString() =>
        $"{AllocatedBytes} bytes allocated in {ActiveBlocks} blocks, {ReservedBytes} bytes reserved ({CachedBytes} cached in {CachedBlocks} blocks), " +
        $"peak {PeakAllocatedBytes} bytes, {Hits} cache hits, {Misses} misses";
}
