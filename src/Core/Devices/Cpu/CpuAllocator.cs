namespace Trace;

/// <summary>
/// Host memory: managed arrays. A compiled graph's memory plan may offer a planned buffer for the next
/// allocation of its element type and length on the thread (<see cref="Offered"/>); otherwise a new array.
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
