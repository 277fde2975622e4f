namespace Trace;

/// <summary>
/// Allocates the storage of one device. Every tensor buffer comes from its device's allocator
/// (<see cref="DeviceAllocators.For(Device)"/>); storage it hands out is released deterministically by
/// <see cref="Storage.Dispose"/> or by the <see cref="DisposeScope"/> it was created in.
/// </summary>
public interface IDeviceAllocator
{
    /// <summary>The device whose memory this allocator hands out.</summary>
    Device Device { get; }

    /// <summary>
    /// A buffer of <paramref name="length"/> elements of <paramref name="dtype"/>, zero-filled unless
    /// <paramref name="zeroed"/> is false (then its contents are unspecified).
    /// </summary>
    Storage Allocate(DType dtype, int length, bool zeroed);
}
