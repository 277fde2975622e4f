using ILGPU;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>What every CUDA storage offers the CUDA kernels, whatever its element type.</summary>
internal interface ICudaStorage
{
    /// <summary>The device memory block.</summary>
    GpuBlock Block { get; }

    /// <summary>The GPU the block lives on.</summary>
    GpuDevice Gpu { get; }
}

/// <summary>
/// Storage on a CUDA device: a block from the device's caching allocator (<see cref="GpuMemoryPool"/>) holding
/// <see cref="Storage.Length"/> elements of <typeparamref name="T"/> (bool as one byte). <see cref="Storage.Dispose"/>,
/// its <see cref="DisposeScope"/>, or at the latest the finalizer returns the block to the cache.
/// </summary>
public sealed class CudaStorage<T> : Storage, ICudaStorage where T : unmanaged
{
    private GpuBlock? _block;

    internal CudaStorage(GpuDevice gpu, GpuBlock block, int length, Device device)
    {
        Gpu = gpu;
        _block = block;
        Length = length;
        Device = device;
    }

    /// <inheritdoc/>
    public override DType DType { get; } = DTypes.Of<T>();

    /// <inheritdoc/>
    public override Device Device { get; }

    /// <inheritdoc/>
    public override int Length { get; }

    /// <summary>The GPU the block lives on.</summary>
    public GpuDevice Gpu { get; }

    /// <summary>The device memory block.</summary>
    public GpuBlock Block => _block ?? throw new ObjectDisposedException(nameof(CudaStorage<T>), $"a {DType.TorchName()} storage on {Device} was disposed and holds no memory.");

    /// <summary>The elements as a device view of <typeparamref name="TDev"/> (the element type itself, or byte for bool).</summary>
    internal ArrayView<TDev> View<TDev>() where TDev : unmanaged => Block.View<TDev>(Length);

    /// <inheritdoc/>
    protected override void Release()
    {
        var b = Interlocked.Exchange(ref _block, null);
        if (b is not null)
        {
            b.Pool.Free(b);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Returns the block to the cache when the storage was never disposed.</summary>
    ~CudaStorage()
    {
        var b = Interlocked.Exchange(ref _block, null);
        if (b is not null && b.InUse) b.Pool.Free(b);
    }
}
