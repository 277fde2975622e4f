namespace Trace;

/// <summary>How the memory of an in-place op's input relates to that of the tensor it writes (PyTorch's <c>MemOverlapStatus</c>).</summary>
internal enum Overlap
{
    /// <summary>No element is shared.</summary>
    None,
    /// <summary>The same elements in the same order: each is read and written at the same index, which is safe.</summary>
    Full,
    /// <summary>Both are dense and share some elements at different indices: PyTorch's error.</summary>
    Partial,
    /// <summary>Their memory ranges intersect but a view is strided, so the elements may or may not be shared.</summary>
    TooHard,
}

/// <summary>
/// The aliasing checks of in-place writes, as PyTorch's TensorIterator makes them: a written-to tensor whose
/// elements repeat (a stride-0 dim of size &gt; 1, from <c>Expand</c>) is refused, as is an input that is dense and
/// partially overlaps it. An exact alias (<c>a.Add_(a)</c>) and disjoint views run as they are; an input whose
/// overlap cannot be decided cheaply is read through a copy, so that the result is that of the unaliased op.
/// </summary>
internal static class MemOverlap
{
    private const string InternalMessage = "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.";
    private const string PartialMessage = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.";

    /// <summary>Throws when <paramref name="dst"/> has a dim of size &gt; 1 and stride 0 (PyTorch's <c>assert_no_internal_overlap</c>).</summary>
    public static void CheckWritable(Tensor dst, string op)
    {
        if (dst.Numel <= 1) return;
        for (int d = 0; d < dst.Dim; d++)
            if (dst._shape[d] > 1 && dst._strides[d] == 0)
                throw new ArgumentException($"{op}: {InternalMessage} (written-to tensor of shape {Shapes.Format(dst._shape)} with strides {Shapes.Format(dst._strides)})");
    }

    /// <summary>
    /// The tensor to read in place of <paramref name="input"/> while writing <paramref name="dst"/>: the input
    /// itself, or a copy when the overlap is too hard to decide. Throws PyTorch's error on a partial overlap.
    /// </summary>
    public static Tensor ReadableInput(Tensor dst, Tensor input, string op)
    {
        switch (Status(dst, input))
        {
            case Overlap.Partial:
                throw new ArgumentException($"{op}: {PartialMessage} (written-to tensor of shape {Shapes.Format(dst._shape)} at offset {dst.StorageOffset} with strides {Shapes.Format(dst._strides)}; " +
                    $"input of shape {Shapes.Format(input._shape)} at offset {input.StorageOffset} with strides {Shapes.Format(input._strides)})");
            case Overlap.TooHard:
                var copy = new Tensor((int[])input._shape.Clone(), input.DType, input.Device);
                Tensor.CopyStrided(copy, input, op);
                return copy;
            default:
                return input;
        }
    }

    /// <summary>How <paramref name="b"/>'s elements relate to <paramref name="a"/>'s (PyTorch's <c>get_overlap_status</c>).</summary>
    public static Overlap Status(Tensor a, Tensor b)
    {
        if (ReferenceEquals(a, b)) return Overlap.Full;
        if (!ReferenceEquals(a.Storage, b.Storage) || a.Numel == 0 || b.Numel == 0) return Overlap.None;
        var (aLo, aHi) = Extent(a);
        var (bLo, bHi) = Extent(b);
        if (aHi < bLo || bHi < aLo) return Overlap.None;
        if (a.StorageOffset == b.StorageOffset && a._shape.AsSpan().SequenceEqual(b._shape) && a._strides.AsSpan().SequenceEqual(b._strides))
            return Overlap.Full;
        return IsNonOverlappingAndDense(a) && IsNonOverlappingAndDense(b) ? Overlap.Partial : Overlap.TooHard;
    }

    /// <summary>The lowest and highest storage index the (non-empty) view reaches.</summary>
    private static (long Lo, long Hi) Extent(Tensor t)
    {
        long lo = t.StorageOffset, hi = t.StorageOffset;
        for (int d = 0; d < t.Dim; d++)
        {
            long span = (long)(t._shape[d] - 1) * t._strides[d];
            if (span < 0) lo += span;
            else hi += span;
        }
        return (lo, hi);
    }

    /// <summary>
    /// True when the elements fill a contiguous range exactly once in some order of the dims (PyTorch's
    /// <c>is_non_overlapping_and_dense</c>): sorted by stride, each stride is the product of the smaller dims' sizes.
    /// </summary>
    private static bool IsNonOverlappingAndDense(Tensor t)
    {
        var dims = Enumerable.Range(0, t.Dim).Where(d => t._shape[d] != 1).OrderBy(d => t._strides[d]).ToArray();
        long expected = 1;
        foreach (int d in dims)
        {
            if (t._strides[d] != expected) return false;
            expected *= t._shape[d];
        }
        return true;
    }
}
