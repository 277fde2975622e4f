using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Trace.Kernels.Gpu;

/// <summary>
/// A caching allocator in front of the driver's allocations (ILGPU's <c>Allocate1D</c> is <c>cuMemAlloc</c>), after
/// PyTorch's CUDACachingAllocator: requests are rounded to a bucket (512 B below 1 MB, 2 MB granularity above); a freed
/// block goes to its bucket's cache and serves the next request of that bucket. Everything runs on the device's one
/// stream, so a block freed after the kernels that used it were queued is safe for any kernel queued later (stream
/// order). When the driver (or the injectable <see cref="Limit"/>) refuses a request, the cache is released and the
/// request retried once; then it is a <see cref="GpuOutOfMemoryException"/> naming the bytes and the pool state.
/// </summary>
public sealed class GpuMemoryPool
{
    /// <summary>Requests below this size are rounded to <see cref="SmallGranularity"/>.</summary>
    public const long SmallLimit = 1 << 20;

    /// <summary>The rounding of small requests.</summary>
    public const long SmallGranularity = 512;

    /// <summary>The rounding of requests of <see cref="SmallLimit"/> or more.</summary>
    public const long LargeGranularity = 2 << 20;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, Stack<GpuBlock>> _cache = [];
    // Blocks in use, held here too: a storage the garbage collector finds unreachable returns its block from its
    // finalizer, and ILGPU's buffer (which has a finalizer of its own) must not be freed before that.
    private readonly HashSet<GpuBlock> _live = new(ReferenceEqualityComparer.Instance);
    private long _allocated, _reserved, _peak, _hits, _misses, _flushes;
    private int _active, _cached;

    internal GpuMemoryPool(GpuDevice device) => Device = device;

    /// <summary>The device whose memory this pool hands out.</summary>
    public GpuDevice Device { get; }

    /// <summary>
    /// When set, the most bytes the pool may reserve from the driver; a request beyond it behaves as the driver's
    /// out-of-memory (for tests of that path, and to cap a process's share of a GPU).
    /// </summary>
    public long? Limit { get; set; }

    /// <summary>The bucket size of a request of <paramref name="bytes"/> bytes.</summary>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes < SmallLimit) return Math.Max(SmallGranularity, (bytes + SmallGranularity - 1) / SmallGranularity * SmallGranularity);
        return (bytes + LargeGranularity - 1) / LargeGranularity * LargeGranularity;
    }

    /// <summary>The pool's counters now.</summary>
    public GpuMemoryStats Stats
    {
        get { lock (_gate) return StatsLocked(); }
    }

    private GpuMemoryStats StatsLocked() => new(_allocated, _reserved, _peak, _hits, _misses, _active, _cached, _flushes);

    /// <summary>Resets <see cref="GpuMemoryStats.PeakAllocatedBytes"/> to the bytes in use now.</summary>
    public void ResetPeak()
    {
        lock (_gate) _peak = _allocated;
    }

    /// <summary>
    /// A block of at least <paramref name="bytes"/> bytes, zero-filled (on the stream) unless <paramref name="zeroed"/>
    /// is false. A request that does not fit even after releasing the cache is a <see cref="GpuOutOfMemoryException"/>.
    /// </summary>
    public GpuBlock Allocate(long bytes, bool zeroed)
    {
        ObjectDisposedException.ThrowIf(Device.IsDisposed, Device);
        long size = RoundSize(bytes);
        GpuBlock block;
        lock (_gate)
        {
            if (_cache.TryGetValue(size, out var bucket) && bucket.Count > 0)
            {
                block = bucket.Pop();
                _cached--;
                _hits++;
            }
            else
            {
                block = AllocateNewLocked(bytes, size);
                _misses++;
                _reserved += size;
            }
            block.InUse = true;
            _live.Add(block);
            _active++;
            _allocated += size;
            _peak = Math.Max(_peak, _allocated);
        }
        if (zeroed && bytes > 0)
            lock (Device.Gate) block.Buffer.View.SubView(0, bytes).MemSetToZero(Device.Stream);
        return block;
    }

    private GpuBlock AllocateNewLocked(long bytes, long size)
    {
        var failure = TryDriver(size, out var buffer);
        if (failure is not null && _cached > 0)
        {
            ReleaseCacheLocked();
            _flushes++;
            failure = TryDriver(size, out buffer);
        }
        if (failure is not null || buffer is null)
        {
            var stats = StatsLocked();
            string limit = Limit is { } l ? $"a pool limit of {l} bytes" : $"{Device.TotalMemory} bytes of device memory";
            throw new GpuOutOfMemoryException(
                $"GPU out of memory on {Device.Name}: tried to allocate {bytes} bytes (a {size}-byte block) with {limit}; " +
                $"the pool holds {stats} after releasing its cache. Free tensors (Dispose, DisposeScope) or call EmptyCache, then retry.",
                bytes, stats, failure as Exception);
        }
        return new GpuBlock(this, buffer);
    }

    /// <summary>Asks the driver for <paramref name="size"/> bytes: null on success, else what refused it.</summary>
    private object? TryDriver(long size, out MemoryBuffer1D<byte, Stride1D.Dense>? buffer)
    {
        buffer = null;
        if (Limit is { } limit && _reserved + size > limit) return "limit";
        try
        {
            buffer = Device.Accelerator.Allocate1D<byte>(size);
            return null;
        }
        catch (Exception e) when (e is OutOfMemoryException or CudaException)
        {
            return e;
        }
    }

    /// <summary>Returns <paramref name="block"/> to its bucket's cache (a block of a disposed device is dropped).</summary>
    public void Free(GpuBlock block)
    {
        if (!ReferenceEquals(block.Pool, this))
            throw new ArgumentException("GpuMemoryPool.Free: the block belongs to another pool.", nameof(block));
        lock (_gate)
        {
            if (!block.InUse) throw new InvalidOperationException($"GpuMemoryPool.Free: the block of {block.Size} bytes was already freed.");
            block.InUse = false;
            _live.Remove(block);
            _active--;
            _allocated -= block.Size;
            if (Device.IsDisposed) { _reserved -= block.Size; return; }
            if (!_cache.TryGetValue(block.Size, out var bucket)) _cache[block.Size] = bucket = new Stack<GpuBlock>();
            bucket.Push(block);
            _cached++;
        }
    }

    /// <summary>Gives every cached (free) block back to the driver, as <c>torch.cuda.empty_cache()</c>; blocks in use stay.</summary>
    public void EmptyCache()
    {
        if (Device.IsDisposed) return;
        lock (_gate) ReleaseCacheLocked();
    }

    private void ReleaseCacheLocked()
    {
        // Kernels queued earlier may still use a cached block: wait for them before the driver frees it.
        lock (Device.Gate) Device.Stream.Synchronize();
        foreach (var bucket in _cache.Values)
            while (bucket.Count > 0)
            {
                var b = bucket.Pop();
                _reserved -= b.Size;
                b.Buffer.Dispose();
            }
        _cache.Clear();
        _cached = 0;
    }

    /// <summary>Frees the cache when the device is disposed (blocks in use die with the accelerator).</summary>
    internal void ReleaseAll()
    {
        lock (_gate)
        {
            foreach (var bucket in _cache.Values)
                while (bucket.Count > 0) bucket.Pop().Buffer.Dispose();
            _cache.Clear();
            _cached = 0;
            _live.Clear();
        }
    }
}
