using Trace.Ops;

namespace Trace.Jit;

/// <summary>Small queries shared by the passes.</summary>
internal static class PassUtil
{
    /// <summary>An in-place op (<c>aten::add_</c>): it mutates its first input and returns it.</summary>
    public static bool IsInPlace(Node n) => n.Has(OpTraits.InPlace);

    /// <summary>True when writing to the output of <paramref name="n"/> may write to its first input (views and in-place ops).</summary>
    public static bool MayAliasFirstInput(Node n) => IsInPlace(n) || n.Has(OpTraits.View);

    /// <summary>
    /// The graph input an in-place node writes to (its first input, followed up through views and earlier in-place
    /// ops), or null when it writes to a value the graph computed.
    /// </summary>
    public static Value? WrittenInput(Node n)
    {
        if (!IsInPlace(n) || n.Inputs.Count == 0) return null;
        var v = n.Inputs[0];
        while (v.Node is { } p)
        {
            if (!MayAliasFirstInput(p) || p.Inputs.Count == 0) return null;
            v = p.Inputs[0];
        }
        return v;
    }

    /// <summary>True when <paramref name="n"/> always makes a new tensor no input aliases (fusion groups do too): a memory plan may place it.</summary>
    public static bool IsFresh(Node n) => n.Kind == "prim::FusionGroup" || n.Has(OpTraits.FreshOutput);

    /// <summary>A value produced by <c>prim::Constant</c>.</summary>
    public static bool IsConstant(Value v) => v.Node is { Kind: "prim::Constant" };

    /// <summary>The value of an int constant, or null.</summary>
    public static long? IntConstant(Value v) => v.Node is { Kind: "prim::Constant", Attribute: long l } ? l : null;

    /// <summary>The number of a scalar constant (int or float, not bool), or null.</summary>
    public static double? NumberConstant(Value v) => v.Node is { Kind: "prim::Constant" } c
        ? c.Attribute switch { long l => l, double d => d, _ => null }
        : null;

    /// <summary>The elements of an int list: a <c>prim::ListConstruct</c> of int constants or an <c>int[]</c> constant; else null.</summary>
    public static long[]? IntList(Value v)
    {
        if (v.Node is { Kind: "prim::Constant", Attribute: long[] a }) return a;
        if (v.Node is not { Kind: "prim::ListConstruct" } list) return null;
        var r = new long[list.Inputs.Count];
        for (int i = 0; i < r.Length; i++)
        {
            if (IntConstant(list.Inputs[i]) is not { } x) return null;
            r[i] = x;
        }
        return r;
    }

    /// <summary>
    /// The sizes of a size list (a <c>prim::ListConstruct</c> of int constants and <c>prim::SymInt</c> nodes) as
    /// <see cref="TensorType"/> entries — a symbolic size as its code, so that it compares equal to a type's dim with
    /// the same expression; null for anything else or a negative constant.
    /// </summary>
    public static long[]? SizeList(Value v)
    {
        if (IntList(v) is { } constant) return constant.All(x => x is >= 0 and <= int.MaxValue) ? constant : null;
        if (v.Node is not { Kind: "prim::ListConstruct" } list) return null;
        var r = new long[list.Inputs.Count];
        for (int i = 0; i < r.Length; i++)
        {
            var e = list.Inputs[i];
            if (IntConstant(e) is long c and >= 0 and <= int.MaxValue) r[i] = c;
            else if (e.Node is { Kind: SymbolicScalar.IntKind } sym) r[i] = SymbolicDims.Encode(SymbolicScalar.Expression(sym));
            else return null;
        }
        return r;
    }

    /// <summary>True when the tensor type is laid out contiguously (row-major), at every size of its symbolic dims.</summary>
    public static bool IsContiguous(TensorType t) => SymbolicDims.IsContiguous(t.Shape, t.Strides);

    /// <summary>
    /// Values an in-place op may write to: the first input of every in-place op, followed up through ops
    /// whose output may alias their first input. Passes must not merge, fold or reorder reads of these.
    /// </summary>
    public static HashSet<Value> MutatedValues(Graph g)
    {
        var mutated = new HashSet<Value>();
        foreach (var n in g.Nodes)
        {
            if (!IsInPlace(n) || n.Inputs.Count == 0) continue;
            var v = n.Inputs[0];
            while (mutated.Add(v) && v.Node is { } p && MayAliasFirstInput(p) && p.Inputs.Count > 0) v = p.Inputs[0];
        }
        return mutated;
    }

    /// <summary>True when two tensor constants have the same dtype, shape, device and bit-identical values (a device's are read back: trace and compile time only).</summary>
    public static bool SameTensor(Tensor a, Tensor b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.DType != b.DType || !a.Shape.SequenceEqual(b.Shape) || a.Device != b.Device) return false;
        using var _ = Dispatch.Internal();
        return a.DType switch
        {
            DType.Float32 => SameBits<float>(a, b),
            DType.Float64 => SameBits<double>(a, b),
            DType.Int64 => SameBits<long>(a, b),
            DType.Int32 => SameBits<int>(a, b),
            _ => SameBits<bool>(a, b),
        };
    }

    private static bool SameBits<T>(Tensor a, Tensor b) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.ToArray<T>().AsSpan())
            .SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.ToArray<T>().AsSpan()));
}
