using System.Runtime.CompilerServices;

namespace Trace.Kernels.Gpu;

/// <summary>Eight ints passed by value to a kernel (shapes and strides of up to <see cref="GpuLayout.MaxRank"/> dims).</summary>
public struct Dims8
{
    /// <summary>The values.</summary>
    public int D0, D1, D2, D3, D4, D5, D6, D7;

    /// <summary>Value <paramref name="d"/> (0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly int Get(int d) => d switch
    {
        0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, 5 => D5, 6 => D6, _ => D7,
    };

    internal static Dims8 From(ReadOnlySpan<int> v)
    {
        var r = default(Dims8);
        if (v.Length > 0) r.D0 = v[0];
        if (v.Length > 1) r.D1 = v[1];
        if (v.Length > 2) r.D2 = v[2];
        if (v.Length > 3) r.D3 = v[3];
        if (v.Length > 4) r.D4 = v[4];
        if (v.Length > 5) r.D5 = v[5];
        if (v.Length > 6) r.D6 = v[6];
        if (v.Length > 7) r.D7 = v[7];
        return r;
    }
}

/// <summary>
/// The iteration space of a strided kernel, passed by value: a shape of up to <see cref="MaxRank"/> dims (after
/// merging dims that are contiguous in every operand and dropping size-1 dims) and the element strides and offsets of
/// up to four operands (operand 0 is the output). A broadcast operand has stride 0 in its broadcast dims.
/// </summary>
public struct GpuLayout
{
    /// <summary>The most dims a strided kernel takes (after merging).</summary>
    public const int MaxRank = 8;

    /// <summary>Number of dims.</summary>
    public int Rank;
    /// <summary>Sizes.</summary>
    public Dims8 Shape;
    /// <summary>Strides of operands 0..3.</summary>
    public Dims8 S0, S1, S2, S3;
    /// <summary>Offsets of operands 0..3.</summary>
    public int O0, O1, O2, O3;

    /// <summary>Element offsets of linear index <paramref name="i"/> in operands 0 and 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Offsets(int i, out int a, out int b)
    {
        a = O0; b = O1;
        for (int d = Rank - 1; d >= 0; d--)
        {
            int n = Shape.Get(d), c = i % n;
            i /= n;
            a += c * S0.Get(d); b += c * S1.Get(d);
        }
    }

    /// <summary>Element offsets of linear index <paramref name="i"/> in operands 0, 1 and 2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Offsets(int i, out int a, out int b, out int c)
    {
        a = O0; b = O1; c = O2;
        for (int d = Rank - 1; d >= 0; d--)
        {
            int n = Shape.Get(d), k = i % n;
            i /= n;
            a += k * S0.Get(d); b += k * S1.Get(d); c += k * S2.Get(d);
        }
    }

    /// <summary>Element offsets of linear index <paramref name="i"/> in operands 0..3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Offsets(int i, out int a, out int b, out int c, out int e)
    {
        a = O0; b = O1; c = O2; e = O3;
        for (int d = Rank - 1; d >= 0; d--)
        {
            int n = Shape.Get(d), k = i % n;
            i /= n;
            a += k * S0.Get(d); b += k * S1.Get(d); c += k * S2.Get(d); e += k * S3.Get(d);
        }
    }

    /// <summary>
    /// The layout of <paramref name="shape"/> with the operands' <paramref name="strides"/> and <paramref name="offsets"/>
    /// (1 to 4 operands): size-1 dims dropped, dims contiguous in every operand merged. True in <paramref name="dense"/>
    /// when every operand is then one run of stride 1 (the contiguous fast path applies). A layout still above
    /// <see cref="MaxRank"/> dims is a <see cref="NotSupportedException"/> naming <paramref name="op"/>.
    /// </summary>
    public static GpuLayout Create(ReadOnlySpan<int> shape, int[][] strides, ReadOnlySpan<int> offsets, string op, out bool dense)
    {
        int k = strides.Length;
        var dims = new List<int>(shape.Length);
        var st = new List<int[]>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            var s = new int[k];
            for (int j = 0; j < k; j++) s[j] = strides[j][d];
            int last = dims.Count - 1;
            if (last >= 0 && Mergeable(st[last], s, shape[d]))
            {
                dims[last] *= shape[d];
                st[last] = s;
            }
            else
            {
                dims.Add(shape[d]);
                st.Add(s);
            }
        }
        if (dims.Count > MaxRank)
            throw new NotSupportedException($"{op}: a strided layout of {dims.Count} dims after merging (shape [{string.Join(", ", shape.ToArray())}]) exceeds the GPU kernels' {MaxRank}; make the operands contiguous first.");
        dense = dims.Count == 0 || (dims.Count == 1 && st[0].All(x => x == 1));
        var l = new GpuLayout { Rank = dims.Count, Shape = Dims8.From(dims.ToArray()) };
        Span<int> col = stackalloc int[MaxRank];
        for (int j = 0; j < k; j++)
        {
            for (int d = 0; d < dims.Count; d++) col[d] = st[d][j];
            var ds = Dims8.From(col[..dims.Count]);
            switch (j)
            {
                case 0: l.S0 = ds; l.O0 = offsets[0]; break;
                case 1: l.S1 = ds; l.O1 = offsets[1]; break;
                case 2: l.S2 = ds; l.O2 = offsets[2]; break;
                default: l.S3 = ds; l.O3 = offsets[3]; break;
            }
        }
        return l;
    }

    /// <summary>True when the outer dim (strides <paramref name="outer"/>) continues the inner one of size <paramref name="n"/> in every operand.</summary>
    private static bool Mergeable(int[] outer, int[] inner, int n)
    {
        for (int j = 0; j < outer.Length; j++)
            if (outer[j] != inner[j] * n) return false;
        return true;
    }
}
