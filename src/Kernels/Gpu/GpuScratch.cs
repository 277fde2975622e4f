using ILGPU;

namespace Trace.Kernels.Gpu;

/// <summary>
/// A temporary device buffer of <typeparamref name="T"/> from the device's pool, for a launch's side data (partials of a
/// full reduction, an uploaded inverse index). Disposing returns it to the pool; with one stream, work queued later
/// that reuses the block runs after the launches that read it. Take it before entering <see cref="GpuDevice.Gate"/>
/// and dispose it after leaving (the pool's lock comes before the device's).
/// </summary>
internal readonly struct GpuScratch<T> : IDisposable where T : unmanaged
{
    private readonly GpuBlock _block;

    /// <summary>A buffer of <paramref name="length"/> (at least one) elements, contents unspecified.</summary>
    public GpuScratch(GpuDevice d, long length)
    {
        length = Math.Max(1, length);
        _block = d.Pool.Allocate(length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>(), zeroed: false);
        View = _block.View<T>(length);
    }

    /// <summary>The buffer.</summary>
    public ArrayView<T> View { get; }

    /// <summary>Returns the block to the pool.</summary>
    public void Dispose() => _block.Pool.Free(_block);
}
