using System.Runtime.CompilerServices;

namespace Trace.Kernels.Gpu;

/// <summary>
/// One tensor of a multi-tensor launch (<see cref="GpuChunk{TSlot}"/>): its views and per-tensor scalars, and where its
/// elements sit in the chunk's concatenated element range.
/// </summary>
public interface IGpuChunkSlot
{
    /// <summary>The tensor's element count.</summary>
    int Length { get; }

    /// <summary>The index of the tensor's first element in the chunk's concatenated range (set by <see cref="GpuChunk{TSlot}.TryAdd"/>).</summary>
    int Start { get; set; }
}

/// <summary>
/// The tensors of one multi-tensor launch, passed to the kernel by value (PyTorch's <c>multi_tensor_apply</c> design:
/// ILGPU has no arrays of views, so the chunk is <see cref="Capacity"/> slot fields read through a switch). The slots'
/// elements form one range of <see cref="Total"/> elements, slot k's at [Start, Start + Length), which a grid-stride
/// launch covers. A slot of 5 views and two float64 scalars is 104 bytes of kernel parameter in PTX, so 16 of them
/// stay well inside CUDA's 4 KB parameter limit.
/// </summary>
/// <typeparam name="TSlot">The slot type (views and scalars of one tensor).</typeparam>
public struct GpuChunk<TSlot> where TSlot : struct, IGpuChunkSlot
{
    /// <summary>The most tensors one launch updates.</summary>
    public const int Capacity = 16;

    /// <summary>Slots in use (0..<see cref="Capacity"/>).</summary>
    public int Count;

    /// <summary>Elements of all slots together.</summary>
    public int Total;

    /// <summary>The slots; only the first <see cref="Count"/> are set.</summary>
    public TSlot S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15;

    /// <summary>Slot <paramref name="k"/> (0..<see cref="Capacity"/> − 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly TSlot Get(int k) => k switch
    {
        0 => S0, 1 => S1, 2 => S2, 3 => S3, 4 => S4, 5 => S5, 6 => S6, 7 => S7,
        8 => S8, 9 => S9, 10 => S10, 11 => S11, 12 => S12, 13 => S13, 14 => S14, _ => S15,
    };

    /// <summary>
    /// Appends <paramref name="slot"/> after the slots in use, its <see cref="IGpuChunkSlot.Start"/> set to the running
    /// total; false (the chunk unchanged) when the chunk is full or the total would pass <see cref="int.MaxValue"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A slot with a negative length.</exception>
    public bool TryAdd(TSlot slot)
    {
        if (slot.Length < 0) throw new ArgumentException($"GPU multi-tensor chunk: a tensor of negative length {slot.Length}.", nameof(slot));
        if (Count == Capacity || Total > int.MaxValue - slot.Length) return false;
        slot.Start = Total;
        switch (Count)
        {
            case 0: S0 = slot; break;
            case 1: S1 = slot; break;
            case 2: S2 = slot; break;
            case 3: S3 = slot; break;
            case 4: S4 = slot; break;
            case 5: S5 = slot; break;
            case 6: S6 = slot; break;
            case 7: S7 = slot; break;
            case 8: S8 = slot; break;
            case 9: S9 = slot; break;
            case 10: S10 = slot; break;
            case 11: S11 = slot; break;
            case 12: S12 = slot; break;
            case 13: S13 = slot; break;
            case 14: S14 = slot; break;
            default: S15 = slot; break;
        }
        Count++;
        Total += slot.Length;
        return true;
    }

    /// <summary>
    /// The first element of [<paramref name="start"/>, <paramref name="end"/>) that thread <paramref name="thread"/> of a
    /// grid-stride launch of <paramref name="stride"/> threads takes in the chunk's concatenated range (its elements are
    /// thread, thread + stride, ...), or <paramref name="end"/> when it takes none there.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int First(int thread, int start, int end, int stride)
    {
        if (thread >= start) return thread < end ? thread : end;
        long first = thread + (start - thread + (long)stride - 1) / stride * stride;
        return first < end ? (int)first : end;
    }
}
