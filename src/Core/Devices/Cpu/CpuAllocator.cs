namespace Trace;

/// <summary>
/// Host memory: managed arrays, freed by the garbage collector (<see cref="Storage.Dispose"/> drops the reference early).
/// Buffers that outlive a call, such as a compiled graph's planned intermediates, are allocated once by their owner and
/// handed to ops explicitly (out= forms), not through the allocator.
/// </summary>
public sealed class CpuAllocator : IDeviceAllocator
{
    /// <summary>The process-wide CPU allocator.</summary>
    public static CpuAllocator Instance { get; } = new();

    private CpuAllocator() { }

    /// <inheritdoc/>
    public Device Device => Device.Cpu;

    /// <inheritdoc/>
    public Storage Allocate(DType dtype, int length, bool zeroed) => dtype switch
    {
        DType.Float32 => new CpuStorage<float>(Array<float>(length, zeroed)),
        DType.Float64 => new CpuStorage<double>(Array<double>(length, zeroed)),
        DType.Int64 => new CpuStorage<long>(Array<long>(length, zeroed)),
        DType.Int32 => new CpuStorage<int>(Array<int>(length, zeroed)),
        _ => new CpuStorage<bool>(Array<bool>(length, zeroed)),
    };

    private static T[] Array<T>(int length, bool zeroed) where T : unmanaged =>
        zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length);
}
