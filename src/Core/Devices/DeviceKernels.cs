namespace Trace;

/// <summary>The kernel table of each device: where an op finds the kernel for its tensors' device.</summary>
internal static class DeviceKernels
{
    /// <summary>The devices whose kernel table serves every op of the op table (the registry test walks them).</summary>
    public static IReadOnlyList<IDeviceKernels> Registered { get; } = [CpuKernels.Instance, CudaKernels.Instance];

    /// <summary>
    /// The kernel table of <paramref name="device"/>, for the op named <paramref name="op"/>: a device without one
    /// is a <see cref="NotSupportedException"/> naming the op and the device.
    /// </summary>
    public static IDeviceKernels For(Device device, string op) => device.Type switch
    {
        DeviceType.Cpu => CpuKernels.Instance,
        DeviceType.Cuda when device.Index == 0 => CudaKernels.Instance,
        _ => throw new NotSupportedException($"{op}: no kernels for device {device} in this build (cpu and cuda:0 have kernel tables); move the tensors with .To(Device.Cpu)."),
    };
}
