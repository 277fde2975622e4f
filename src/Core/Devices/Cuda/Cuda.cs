using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA device, as <c>torch.cuda</c>: availability, the device's name and capability, and the caching allocator's
/// statistics. Trace drives one GPU (<c>cuda:0</c>) through ILGPU; only the NVIDIA driver is needed, no CUDA toolkit.
/// </summary>
public static class Cuda
{
    /// <summary>True when a usable CUDA device exists (<c>torch.cuda.is_available()</c>).</summary>
    public static bool IsAvailable => GpuRuntime.IsAvailable;

    /// <summary>Why CUDA is unavailable (no driver library, no device, an unsupported architecture), or null when it is available.</summary>
    public static string? UnavailableReason => GpuRuntime.UnavailableReason;

    /// <summary>Number of CUDA devices Trace can use: 0 or 1.</summary>
    public static int DeviceCount => GpuRuntime.DeviceCount;

    private static GpuDevice Gpu(string api) => CudaAllocator.Gpu(Device.Cuda(0), api);

    /// <summary>The device's name (<c>torch.cuda.get_device_name()</c>).</summary>
    public static string DeviceName(int device = 0) => Gpu("Cuda.DeviceName", device).Name;

    /// <summary>The compute capability, (major, minor) (<c>torch.cuda.get_device_capability()</c>).</summary>
    public static (int Major, int Minor) DeviceCapability(int device = 0) => Gpu("Cuda.DeviceCapability", device).ComputeCapability;

    /// <summary>The CUDA driver's version.</summary>
    public static string DriverVersion => Gpu("Cuda.DriverVersion").DriverVersion;

    /// <summary>The device's total memory in bytes.</summary>
    public static long TotalMemory => Gpu("Cuda.TotalMemory").TotalMemory;

    /// <summary>
    /// Bytes of device memory held by tensors (<c>torch.cuda.memory_allocated()</c>; blocks rounded to the allocator's
    /// buckets). The page-locked staging buffers of host transfers are host memory and not counted here or in
    /// <see cref="MemoryReserved"/> (<see cref="GpuStaging.PinnedBytes"/>).
    /// </summary>
    public static long MemoryAllocated() => Gpu("Cuda.MemoryAllocated").Pool.Stats.AllocatedBytes;

    /// <summary>Bytes held from the driver, in use or cached (<c>torch.cuda.memory_reserved()</c>).</summary>
    public static long MemoryReserved() => Gpu("Cuda.MemoryReserved").Pool.Stats.ReservedBytes;

    /// <summary>The peak of <see cref="MemoryAllocated"/> (<c>torch.cuda.max_memory_allocated()</c>).</summary>
    public static long MaxMemoryAllocated() => Gpu("Cuda.MaxMemoryAllocated").Pool.Stats.PeakAllocatedBytes;

    /// <summary>Resets <see cref="MaxMemoryAllocated"/> to the bytes in use now (<c>torch.cuda.reset_peak_memory_stats()</c>).</summary>
    public static void ResetPeakMemoryStats() => Gpu("Cuda.ResetPeakMemoryStats").Pool.ResetPeak();

    /// <summary>The caching allocator's counters: allocated, reserved, peak, cache hits and misses (<c>torch.cuda.memory_stats()</c>).</summary>
    public static GpuMemoryStats MemoryStats() => Gpu("Cuda.MemoryStats").Pool.Stats;

    /// <summary>Gives the cached free blocks back to the driver (<c>torch.cuda.empty_cache()</c>); memory held by tensors stays.</summary>
    public static void EmptyCache() => Gpu("Cuda.EmptyCache").Pool.EmptyCache();

    /// <summary>Waits for every queued kernel and copy (<c>torch.cuda.synchronize()</c>).</summary>
    public static void Synchronize() => Gpu("Cuda.Synchronize").Synchronize();

    private static GpuDevice Gpu(string api, int device) => CudaAllocator.Gpu(Device.Cuda(device), api);
}
