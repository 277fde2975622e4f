using System.Numerics;

namespace Trace.Kernels;

/// <summary>Row kernel for y = op(x): operands (y, x); contiguous rows take the vector path.</summary>
public readonly struct UnaryRows<T, TOp>(T[] y, T[] x) : IRowKernel where T : unmanaged where TOp : IUnaryOp<T>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        if (st[0] == 1 && st[1] == 1)
        {
            SpanKernels.Unary<T, TOp>(x.AsSpan(off[1], n), y.AsSpan(off[0], n));
            return;
        }
        for (int i = 0, o = off[0], a = off[1]; i < n; i++, o += st[0], a += st[1]) y[o] = TOp.Apply(x[a]);
    }
}

/// <summary>Row kernel for y = op(a, b): operands (y, a, b); unit and zero (broadcast) strides are vectorized.</summary>
public readonly struct BinaryRows<T, TOp>(T[] y, T[] a, T[] b) : IRowKernel where T : unmanaged where TOp : IBinaryOp<T>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        if (st[0] == 1)
        {
            var ys = y.AsSpan(off[0], n);
            if (st[1] == 1 && st[2] == 1) { SpanKernels.Binary<T, TOp>(a.AsSpan(off[1], n), b.AsSpan(off[2], n), ys); return; }
            if (st[1] == 1 && st[2] == 0) { SpanKernels.BinaryScalarRight<T, TOp>(a.AsSpan(off[1], n), b[off[2]], ys); return; }
            if (st[1] == 0 && st[2] == 1) { SpanKernels.BinaryScalarLeft<T, TOp>(a[off[1]], b.AsSpan(off[2], n), ys); return; }
        }
        for (int i = 0, o = off[0], p = off[1], q = off[2]; i < n; i++, o += st[0], p += st[1], q += st[2])
            y[o] = TOp.Apply(a[p], b[q]);
    }
}

/// <summary>Row kernel for y = (a cmp b) into a bool buffer: operands (y, a, b).</summary>
public readonly struct CompareRows<T, TOp>(bool[] y, T[] a, T[] b) : IRowKernel where T : unmanaged where TOp : ICompareOp<T>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        for (int i = 0, o = off[0], p = off[1], q = off[2]; i < n; i++, o += st[0], p += st[1], q += st[2])
            y[o] = TOp.Apply(a[p], b[q]);
    }
}

/// <summary>Row kernel for y = cond ? a : b: operands (y, cond, a, b).</summary>
public readonly struct WhereRows<T>(T[] y, bool[] cond, T[] a, T[] b) : IRowKernel where T : unmanaged
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        for (int i = 0, o = off[0], c = off[1], p = off[2], q = off[3]; i < n; i++, o += st[0], c += st[1], p += st[2], q += st[3])
            y[o] = cond[c] ? a[p] : b[q];
    }
}

/// <summary>Row kernel copying between strided buffers of one element type: operands (dst, src).</summary>
public readonly struct CopyRows<T>(T[] dst, T[] src) : IRowKernel where T : unmanaged
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        if (st[0] == 1 && st[1] == 1) { src.AsSpan(off[1], n).CopyTo(dst.AsSpan(off[0], n)); return; }
        if (st[0] == 1 && st[1] == 0) { dst.AsSpan(off[0], n).Fill(src[off[1]]); return; }
        for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1]) dst[o] = src[p];
    }
}

/// <summary>Row kernel converting between numeric element types (truncating, like a C cast): operands (dst, src).</summary>
public readonly struct ConvertRows<TSrc, TDst>(TDst[] dst, TSrc[] src) : IRowKernel
    where TSrc : unmanaged, INumberBase<TSrc> where TDst : unmanaged, INumberBase<TDst>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1])
            dst[o] = TDst.CreateTruncating(src[p]);
    }
}

/// <summary>Row kernel for bool → numeric (true → 1): operands (dst, src).</summary>
public readonly struct FromBoolRows<TDst>(TDst[] dst, bool[] src) : IRowKernel where TDst : unmanaged, INumberBase<TDst>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1])
            dst[o] = src[p] ? TDst.One : TDst.Zero;
    }
}

/// <summary>Row kernel for numeric → bool (nonzero → true; NaN → true): operands (dst, src).</summary>
public readonly struct ToBoolRows<TSrc>(bool[] dst, TSrc[] src) : IRowKernel where TSrc : unmanaged, INumberBase<TSrc>
{
    /// <inheritdoc/>
    public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
    {
        for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1])
            dst[o] = !TSrc.IsZero(src[p]);
    }
}
