namespace Trace;

/// <summary>
/// A flat buffer of elements that one or more tensors view. Storage is per device: the CPU keeps a
/// managed array; a GPU backend adds its own subclass without changing the tensor API.
/// </summary>
public abstract class Storage : IDisposable
{
    /// <summary>Registers the new buffer with the innermost <see cref="DisposeScope"/> of this thread, if any.</summary>
    protected Storage() => DisposeScope.Current?.Track(this);

    /// <summary>Element type.</summary>
    public abstract DType DType { get; }

    /// <summary>Device the buffer lives on.</summary>
    public abstract Device Device { get; }

    /// <summary>Number of elements.</summary>
    public abstract int Length { get; }

    /// <summary>Bumped by every in-place write; autograd uses it to detect stale saved tensors.</summary>
    public int Version { get; internal set; }

    private static long _allocated;

    /// <summary>
    /// Allocation order, process-wide: storage with a smaller serial existed first (the JIT tells state that existed
    /// before a trace — captured buffers — from temporaries the traced code created).
    /// </summary>
    internal long Serial { get; } = Interlocked.Increment(ref _allocated);

    /// <summary>The serial the next storage will get.</summary>
    internal static long NextSerial => Interlocked.Read(ref _allocated) + 1;

    /// <summary>
    /// Allocates storage from <paramref name="device"/>'s allocator (<see cref="DeviceAllocators.For(Device)"/>),
    /// zero-filled unless <paramref name="zeroed"/> is false (then the contents are unspecified, which saves a
    /// pass over memory for outputs that kernels overwrite entirely).
    /// </summary>
    public static Storage Allocate(DType dtype, int length, Device device, bool zeroed = true) =>
        DeviceAllocators.For(device).Allocate(dtype, length, zeroed);

    /// <summary>True once the buffer was released; every op on a tensor viewing it then fails.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Releases the buffer now (device memory is freed deterministically); later use is an error naming the op.</summary>
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
    }

    /// <summary>Frees the device memory (the CPU drops its array reference).</summary>
    protected abstract void Release();

    /// <summary>Fails with an error naming <paramref name="op"/> when this storage was disposed.</summary>
    internal void CheckAlive(string op)
    {
        if (IsDisposed)
            throw new ObjectDisposedException(nameof(Storage), $"{op}: a {DType.TorchName()} tensor on {Device} whose storage was disposed (by Storage.Dispose or its DisposeScope) cannot be used.");
    }
}

/// <summary>Host storage backed by a managed array.</summary>
public sealed class CpuStorage<T>(T[] data) : Storage where T : unmanaged
{
    private T[]? _data = data;

    /// <summary>The elements.</summary>
    public T[] Data => _data ?? throw new ObjectDisposedException(nameof(CpuStorage<T>), $"a {DType.TorchName()} cpu storage was disposed and holds no data.");

    /// <inheritdoc/>
    public override DType DType { get; } = DTypes.Of<T>();

    /// <inheritdoc/>
    public override Device Device => Device.Cpu;

    /// <inheritdoc/>
    public override int Length { get; } = data.Length;

    /// <inheritdoc/>
    protected override void Release() => _data = null;
}
