namespace Trace;

/// <summary>
/// A flat buffer of elements that one or more tensors view. Storage is per device: the CPU keeps a
/// managed array; a GPU backend adds its own subclass without changing the tensor API.
/// </summary>
public abstract class Storage
{
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
    /// Allocates storage, zero-filled unless <paramref name="zeroed"/> is false (then the contents are
    /// unspecified, which saves a pass over memory for outputs that kernels overwrite entirely).
    /// </summary>
    public static Storage Allocate(DType dtype, int length, Device device, bool zeroed = true)
    {
        if (device.Type != DeviceType.Cpu)
            throw new NotSupportedException($"Storage.Allocate: device {device} has no storage backend in this build; only cpu is available.");
        return dtype switch
        {
            DType.Float32 => new CpuStorage<float>(Array<float>(length, zeroed)),
            DType.Float64 => new CpuStorage<double>(Array<double>(length, zeroed)),
            DType.Int64 => new CpuStorage<long>(Array<long>(length, zeroed)),
            DType.Int32 => new CpuStorage<int>(Array<int>(length, zeroed)),
            _ => new CpuStorage<bool>(Array<bool>(length, zeroed)),
        };
    }

    private static T[] Array<T>(int length, bool zeroed) where T : unmanaged
    {
        if (_offered is T[] planned && planned.Length == length)
        {
            _offered = null;
            if (zeroed) System.Array.Clear(planned);
            return planned;
        }
        return zeroed ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    [ThreadStatic] private static System.Array? _offered;

    /// <summary>
    /// A buffer the next allocation of its element type and length on this thread takes instead of a new
    /// array (then the offer is withdrawn). A compiled graph's memory plan offers a planned buffer before
    /// each op that produces an intermediate; whatever takes it — the op's output, or a temporary of the
    /// op — is dead by the time the plan hands the buffer out again.
    /// </summary>
    internal static System.Array? Offered
    {
        get => _offered;
        set => _offered = value;
    }
}

/// <summary>Host storage backed by a managed array.</summary>
public sealed class CpuStorage<T>(T[] data) : Storage where T : unmanaged
{
    /// <summary>The elements.</summary>
    public T[] Data { get; } = data;

    /// <inheritdoc/>
    public override DType DType { get; } = DTypes.Of<T>();

    /// <inheritdoc/>
    public override Device Device => Device.Cpu;

    /// <inheritdoc/>
    public override int Length => Data.Length;
}
