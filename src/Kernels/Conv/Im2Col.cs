using System.Numerics;
using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// CPU im2col and col2im (<see cref="Conv2dArgs"/> layout) over dense NCHW spans. im2col writes each column-matrix row
/// (c, kh, kw) as OH runs of OW elements — a contiguous copy between zero-filled edges when the stride along W is 1 —
/// and col2im adds them back (the adjoint: overlapping windows sum). Both split across cores by image and channel.
/// </summary>
public static class Im2Col
{
    /// <summary>cols[n] (ColRows × L) = the column matrix of x[n], for every image.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> cols, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        a.Check("im2col");
        Require(x.Length, (long)a.N * a.ImageSize, cols.Length, (long)a.N * a.ColRows * a.L, "im2col");
        var g = a;
        unsafe
        {
            fixed (T* px = x, pc = cols)
            {
                nint xp = (nint)px, cp = (nint)pc;
                ParallelRange.Run(g.N * g.C, Grain(g), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                    {
                        int n = p / g.C, c = p % g.C;
                        var src = new ReadOnlySpan<T>((T*)xp + (long)n * g.ImageSize + (long)c * g.H * g.W, g.H * g.W);
                        var dst = new Span<T>((T*)cp + ((long)n * g.ColRows + (long)c * g.KH * g.KW) * g.L, g.KH * g.KW * g.L);
                        Plane(src, dst, g);
                    }
                });
            }
        }
    }

    /// <summary>The column matrix (ColRows × L) of one image (C × H × W), channel plane by plane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Image<T>(ReadOnlySpan<T> image, Span<T> cols, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        int plane = a.H * a.W, rows = a.KH * a.KW * a.L;
        for (int c = 0; c < a.C; c++) Plane(image.Slice(c * plane, plane), cols.Slice(c * rows, rows), a);
    }

    /// <summary>The column-matrix rows of one channel plane (KH·KW rows of L).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Plane<T>(ReadOnlySpan<T> src, Span<T> dst, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        for (int kh = 0; kh < a.KH; kh++)
        for (int kw = 0; kw < a.KW; kw++)
        {
            var row = dst.Slice((kh * a.KW + kw) * a.L, a.L);
            // Output columns ow whose input column ow·SW − PW + kw·DW lies in [0, W): [lo, hi).
            int shift = kw * a.DW - a.PW;
            int lo = shift >= 0 ? 0 : Math.Min(a.OW, (-shift + a.SW - 1) / a.SW);
            int hi = Math.Max(lo, Math.Min(a.OW, a.W - shift <= 0 ? 0 : (a.W - shift + a.SW - 1) / a.SW));
            for (int oh = 0; oh < a.OH; oh++)
            {
                var o = row.Slice(oh * a.OW, a.OW);
                int ih = oh * a.SH - a.PH + kh * a.DH;
                if ((uint)ih >= (uint)a.H) { o.Clear(); continue; }
                var line = src.Slice(ih * a.W, a.W);
                o[..lo].Clear();
                if (a.SW == 1) line.Slice(lo + shift, hi - lo).CopyTo(o[lo..hi]);
                else for (int ow = lo; ow < hi; ow++) o[ow] = line[ow * a.SW + shift];
                o[hi..].Clear();
            }
        }
    }

    /// <summary>x[n] += the adjoint of im2col applied to cols[n]: each column-matrix element added to the input it was read from.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the geometry needs.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward<T>(ReadOnlySpan<T> cols, Span<T> x, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        a.Check("col2im");
        Require(x.Length, (long)a.N * a.ImageSize, cols.Length, (long)a.N * a.ColRows * a.L, "col2im");
        var g = a;
        unsafe
        {
            fixed (T* px = x, pc = cols)
            {
                nint xp = (nint)px, cp = (nint)pc;
                ParallelRange.Run(g.N * g.C, Grain(g), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                    {
                        int n = p / g.C, c = p % g.C;
                        var dst = new Span<T>((T*)xp + (long)n * g.ImageSize + (long)c * g.H * g.W, g.H * g.W);
                        var src = new ReadOnlySpan<T>((T*)cp + ((long)n * g.ColRows + (long)c * g.KH * g.KW) * g.L, g.KH * g.KW * g.L);
                        AddPlane(src, dst, g);
                    }
                });
            }
        }
    }

    /// <summary>image (C × H × W), overwritten = the adjoint of <see cref="Image{T}"/> applied to one image's column matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ImageBackward<T>(ReadOnlySpan<T> cols, Span<T> image, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        int plane = a.H * a.W, rows = a.KH * a.KW * a.L;
        image[..(a.C * plane)].Clear();
        for (int c = 0; c < a.C; c++) AddPlane(cols.Slice(c * rows, rows), image.Slice(c * plane, plane), a);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddPlane<T>(ReadOnlySpan<T> src, Span<T> dst, in Conv2dArgs a) where T : unmanaged, INumber<T>
    {
        for (int kh = 0; kh < a.KH; kh++)
        for (int kw = 0; kw < a.KW; kw++)
        {
            var row = src.Slice((kh * a.KW + kw) * a.L, a.L);
            // The output columns [lo, hi) that read inside the plane, as in Plane: no per-element bounds test.
            int shift = kw * a.DW - a.PW;
            int lo = shift >= 0 ? 0 : Math.Min(a.OW, (-shift + a.SW - 1) / a.SW);
            int hi = Math.Max(lo, Math.Min(a.OW, a.W - shift <= 0 ? 0 : (a.W - shift + a.SW - 1) / a.SW));
            for (int oh = 0; oh < a.OH; oh++)
            {
                int ih = oh * a.SH - a.PH + kh * a.DH;
                if ((uint)ih >= (uint)a.H) continue;
                var line = dst.Slice(ih * a.W, a.W);
                var o = row.Slice(oh * a.OW, a.OW);
                if (a.SW == 1) AddTo(line.Slice(lo + shift, hi - lo), o[lo..hi]);
                else for (int ow = lo; ow < hi; ow++) line[ow * a.SW + shift] += o[ow];
            }
        }
    }

    /// <summary>dst += src, vectorized.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<T>(Span<T> dst, ReadOnlySpan<T> src) where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i + Vector<T>.Count <= dst.Length; i += Vector<T>.Count)
                (new Vector<T>(dst[i..]) + new Vector<T>(src[i..])).CopyTo(dst[i..]);
        for (; i < dst.Length; i++) dst[i] += src[i];
    }

    /// <summary>Planes per worker: enough column elements (about 64K) to pay for a worker.</summary>
    private static int Grain(in Conv2dArgs a) => Math.Max(1, (1 << 16) / Math.Max(1, a.KH * a.KW * a.L));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Require(long x, long needX, long cols, long needCols, string op)
    {
        if (x < needX || cols < needCols)
            throw new ArgumentException($"{op}: spans of {x} and {cols} elements are shorter than the geometry's {needX} input and {needCols} column elements.");
    }
}
