using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// A block of device memory handed out by a <see cref="GpuMemoryPool"/>: its size is the request rounded to the pool's
/// bucket. <see cref="GpuMemoryPool.Free"/> returns it to the pool's cache, not to the driver.
/// </summary>
public sealed class GpuBlock
{
    internal GpuBlock(GpuMemoryPool pool, MemoryBuffer1D<byte, Stride1D.Dense> buffer)
    {
        Pool = pool;
        Buffer = buffer;
    }

    /// <summary>The pool the block belongs to.</summary>
    public GpuMemoryPool Pool { get; }

    /// <summary>The device buffer.</summary>
    internal MemoryBuffer1D<byte, Stride1D.Dense> Buffer { get; }

    /// <summary>Size in bytes (the rounded bucket size).</summary>
    public long Size => Buffer.Length;

    /// <summary>True while handed out (between the pool's Allocate and Free).</summary>
    public bool InUse { get; internal set; }

    /// <summary>
    /// The first <paramref name="length"/> elements of the block as <typeparamref name="T"/>; an error when the device
    /// was disposed (its memory is gone) or the block was returned to the pool.
    /// </summary>
    internal ArrayView<T> View<T>(long length) where T : unmanaged
    {
        if (Pool.Device.IsDisposed)
            throw new InvalidOperationException($"GPU memory block of {Size} bytes: its device ({Pool.Device.Name}) was disposed or reset; tensors created on it before are gone.");
        if (Buffer.IsDisposed)
            throw new InvalidOperationException($"GPU memory block of {Size} bytes: its buffer was released to the driver while in use (a pool bug).");
        if (!InUse)
            throw new InvalidOperationException($"GPU memory block of {Size} bytes was returned to the pool and cannot be used.");
        return ((ArrayView<byte>)Buffer.View).Cast<T>().SubView(0, length);
    }
}
