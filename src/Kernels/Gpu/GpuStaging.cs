using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Trace.Kernels.Gpu;

/// <summary>
/// A device's page-locked staging area for host↔device copies: <see cref="BufferCount"/> page-locked host buffers of
/// <see cref="ChunkBytes"/> bytes, used in turn. An upload copies the host data into a buffer (so the caller's memory
/// may go away at once), queues the asynchronous copy to the device and moves on to the next chunk; it returns once
/// the last chunk is queued, without waiting for the device. A download queues the device→buffer copy after the work
/// queued before it, waits for that copy (a read synchronizes) and copies out; with several chunks the next chunk's
/// copy is queued before the previous one is copied out. Before a buffer is refilled, the host waits for the copy
/// that last read or wrote it (a CUDA event per buffer; on ILGPU's CPU accelerator, whose copies complete at once, a
/// stream synchronize). The buffers are allocated on first use and freed with the device (on the CPU accelerator ILGPU
/// cannot page-lock and hands out plain pinned arrays: the same code path, without DMA); they are host
/// memory, so they are not part of the device pool's statistics (<see cref="GpuMemoryPool.Stats"/>).
/// Callers hold the device's <see cref="GpuDevice.Gate"/>.
/// </summary>
public sealed class GpuStaging : IDisposable
{
    /// <summary>The default chunk: 4 MB per buffer.</summary>
    public const int DefaultChunkBytes = 4 << 20;

    /// <summary>Buffers used in turn (one being filled or drained by the host while the device copies the other).</summary>
    public const int BufferCount = 2;

    private readonly GpuDevice _device;
    private readonly PageLockedArray1D<byte>?[] _buffers = new PageLockedArray1D<byte>?[BufferCount];
    private readonly IntPtr[] _events = new IntPtr[BufferCount];
    private readonly bool[] _pending = new bool[BufferCount];
    private int _next, _chunkBytes = DefaultChunkBytes;
    private long _chunks, _waits;

    internal GpuStaging(GpuDevice device) => _device = device;

    /// <summary>Bytes per buffer (and per chunk of a transfer).</summary>
    public int ChunkBytes => _chunkBytes;

    /// <summary>Page-locked host bytes held now (0 before the first transfer and after disposal).</summary>
    public long PinnedBytes
    {
        get { lock (_device.Gate) return _buffers.Sum(b => b?.Length ?? 0); }
    }

    /// <summary>Chunks copied through the staging buffers so far, both directions.</summary>
    public long Chunks => Interlocked.Read(ref _chunks);

    /// <summary>Times a buffer's refill waited for the device copy that still used it (the reuse guard).</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>
    /// Test knob: sets the chunk size (a positive multiple of 8 bytes, so every element type fits whole elements), after
    /// waiting for the copies in flight and freeing the current buffers (the next transfer allocates new ones).
    /// </summary>
    internal void SetChunkBytesForTests(int bytes)
    {
        if (bytes <= 0 || bytes % 8 != 0)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "GPU staging: the chunk size must be a positive multiple of 8 bytes.");
        lock (_device.Gate)
        {
            Release();
            _chunkBytes = bytes;
        }
    }

    /// <summary>Queues the copy of <paramref name="src"/> into the device run <paramref name="dst"/> (same length in bytes).</summary>
    internal void Upload(ReadOnlySpan<byte> src, ArrayView<byte> dst)
    {
        for (long off = 0; off < src.Length; off += _chunkBytes)
        {
            int len = (int)Math.Min(_chunkBytes, src.Length - off);
            int b = Take();
            var buffer = Buffer(b);
            src.Slice((int)off, len).CopyTo(buffer.Span);
            buffer.ArrayView.SubView(0, len).CopyTo(_device.Stream, dst.SubView(off, len));
            Record(b);
        }
    }

    /// <summary>Copies the device run <paramref name="src"/> into <paramref name="dst"/> after the work queued before it, and waits for it.</summary>
    internal void Download(ArrayView<byte> src, Span<byte> dst)
    {
        int previous = -1, previousLength = 0;
        long previousOffset = 0;
        for (long off = 0; off < dst.Length; off += _chunkBytes)
        {
            int len = (int)Math.Min(_chunkBytes, dst.Length - off);
            int b = Take();
            src.SubView(off, len).CopyTo(_device.Stream, Buffer(b).ArrayView.SubView(0, len));
            Record(b);
            if (previous >= 0) CopyOut(previous, dst.Slice((int)previousOffset, previousLength));
            (previous, previousOffset, previousLength) = (b, off, len);
        }
        if (previous >= 0) CopyOut(previous, dst.Slice((int)previousOffset, previousLength));
    }

    private void CopyOut(int b, Span<byte> dst)
    {
        Wait(b, counted: false);
        Buffer(b).Span[..dst.Length].CopyTo(dst);
    }

    /// <summary>The next buffer in turn, once the copy that last used it has completed.</summary>
    private int Take()
    {
        int b = _next;
        _next = (_next + 1) % BufferCount;
        Wait(b, counted: true);
        Interlocked.Increment(ref _chunks);
        return b;
    }

    private PageLockedArray1D<byte> Buffer(int b)
    {
        if (_buffers[b] is { } buffer) return buffer;
        buffer = _device.Accelerator.AllocatePageLocked1D<byte>(_chunkBytes, uninitialized: true);
        _buffers[b] = buffer;
        if (_device.Stream is CudaStream)
        {
            using var binding = _device.Accelerator.BindScoped();
            CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.CreateEvent(out _events[b], CudaEventFlags.CU_EVENT_DISABLE_TIMING));
        }
        return buffer;
    }

    /// <summary>Marks buffer <paramref name="b"/> as used by the copy just queued.</summary>
    private void Record(int b)
    {
        _pending[b] = true;
        if (_device.Stream is CudaStream cuda)
        {
            using var binding = _device.Accelerator.BindScoped();
            CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.RecordEvent(_events[b], cuda.StreamPtr));
        }
    }

    /// <summary>Waits for the copy queued last on buffer <paramref name="b"/>, if it may still run.</summary>
    private void Wait(int b, bool counted)
    {
        if (!_pending[b]) return;
        if (counted) Interlocked.Increment(ref _waits);
        if (_device.Stream is CudaStream)
        {
            using var binding = _device.Accelerator.BindScoped();
            CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.SynchronizeEvent(_events[b]));
        }
        else
        {
            _device.Stream.Synchronize();
        }
        _pending[b] = false;
    }

    /// <summary>Waits for the copies in flight, then frees the buffers and their events.</summary>
    private void Release()
    {
        for (int b = 0; b < BufferCount; b++)
        {
            Wait(b, counted: false);
            if (_events[b] != IntPtr.Zero)
            {
                using var binding = _device.Accelerator.BindScoped();
                CudaException.ThrowIfFailed(CudaAPI.CurrentAPI.DestroyEvent(_events[b]));
                _events[b] = IntPtr.Zero;
            }
            _buffers[b]?.Dispose();
            _buffers[b] = null;
        }
        _next = 0;
    }

    /// <summary>
    /// Waits for the copies in flight and frees the buffers (the device calls this before it disposes its accelerator);
    /// a later transfer on a live device allocates them again.
    /// </summary>
    public void Dispose()
    {
        lock (_device.Gate) Release();
    }
}
