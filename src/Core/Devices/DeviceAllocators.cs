namespace Trace;

/// <summary>The allocator of each device: the one place <see cref="Storage.Allocate"/> gets memory from.</summary>
public static class DeviceAllocators
{
    /// <summary>
    /// The allocator of <paramref name="device"/>; a device that is not usable (no CUDA device, or an index that does
    /// not exist) is a <see cref="NotSupportedException"/> naming the device and why.
    /// </summary>
    public static IDeviceAllocator For(Device device) => device.Type switch
    {
        DeviceType.Cpu => CpuAllocator.Instance,
        DeviceType.Cuda => CudaAllocator.For(device),
        _ => throw new NotSupportedException($"Storage.Allocate: device {device} has no storage backend in this build."),
    };
}
