namespace Trace;

/// <summary>The allocator of each device: the one place <see cref="Storage.Allocate"/> gets memory from.</summary>
public static class DeviceAllocators
{
    /// <summary>
    /// The allocator of <paramref name="device"/>; a device without one (no backend loaded for it) is a
    /// <see cref="NotSupportedException"/> naming the device.
    /// </summary>
    public static IDeviceAllocator For(Device device) => device.Type switch
    {
        DeviceType.Cpu => CpuAllocator.Instance,
        _ => throw new NotSupportedException($"Storage.Allocate: device {device} has no storage backend in this build; only cpu is available."),
    };
}
