using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// CUDA memory: blocks from the process's GPU caching allocator (<see cref="GpuMemoryPool"/>), freed deterministically
/// back into the cache by <see cref="Storage.Dispose"/> or a <see cref="DisposeScope"/>.
/// </summary>
public sealed class CudaAllocator : IDeviceAllocator
{
    /// <summary>The allocator of <c>cuda:0</c>.</summary>
    public static CudaAllocator Instance { get; } = new();

    private CudaAllocator() { }

    /// <inheritdoc/>
    public Device Device => Device.Cuda(0);

    /// <summary>The allocator of <paramref name="device"/> (a CUDA device): an error naming it when it is not usable.</summary>
    internal static CudaAllocator For(Device device)
    {
        Gpu(device, "Storage.Allocate");
        return Instance;
    }

    /// <summary>The GPU behind <paramref name="device"/>: an error saying why when CUDA is unavailable or the index does not exist.</summary>
    internal static GpuDevice Gpu(Device device, string op)
    {
        if (!GpuRuntime.IsAvailable)
            throw new NotSupportedException($"{op}: device {device} is not available: {GpuRuntime.UnavailableReason}");
        if (device.Index >= GpuRuntime.DeviceCount)
            throw new NotSupportedException($"{op}: device {device} does not exist: Trace sees {GpuRuntime.DeviceCount} CUDA device(s) (cuda:0 only).");
        return GpuRuntime.Device;
    }

    /// <inheritdoc/>
    public Storage Allocate(DType dtype, int length, bool zeroed)
    {
        var gpu = Gpu(Device, "Storage.Allocate");
        var block = gpu.Pool.Allocate((long)length * dtype.ElementSize(), zeroed);
        return dtype switch
        {
            DType.Float32 => new CudaStorage<float>(gpu, block, length, Device),
            DType.Float64 => new CudaStorage<double>(gpu, block, length, Device),
            DType.Int64 => new CudaStorage<long>(gpu, block, length, Device),
            DType.Int32 => new CudaStorage<int>(gpu, block, length, Device),
            _ => new CudaStorage<bool>(gpu, block, length, Device),
        };
    }
}
