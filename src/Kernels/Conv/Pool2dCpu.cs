using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// CPU 2-D pooling over dense planes (<see cref="Pool2dArgs"/>): max pooling with the flat index (h·W + w) of each
/// maximum — NaN wins, as PyTorch's kernel — and its backward (each gradient added at its index); average and
/// adaptive average pooling and their backward, written as a gather over the covering windows so that it needs no
/// scatter. Planes split across cores.
/// </summary>
public static class Pool2dCpu
{
    /// <summary>y and indices (Planes × OH × OW) = the max of each window of x and where it is.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> indices, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        a.Check("max_pool2d");
        Require(a, x.Length, y.Length, indices.Length, "max_pool2d");
        var g = a;
        unsafe
        {
            fixed (T* px = x, py = y)
            fixed (long* pi = indices)
            {
                nint xp = (nint)px, yp = (nint)py, ip = (nint)pi;
                ParallelRange.Run(g.Planes, Grain(g), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                        MaxPlane(new ReadOnlySpan<T>((T*)xp + (long)p * g.H * g.W, g.H * g.W), new Span<T>((T*)yp + (long)p * g.OH * g.OW, g.OH * g.OW),
                            new Span<long>((long*)ip + (long)p * g.OH * g.OW, g.OH * g.OW), g);
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlane<T>(ReadOnlySpan<T> xs, Span<T> ys, Span<long> idxs, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a is { KH: 2, KW: 2, SH: 2, SW: 2, PH: 0, PW: 0, DH: 1, DW: 1 } && 2 * a.OH <= a.H && 2 * a.OW <= a.W)
        {
            MaxPlane2x2(xs, ys, idxs, a.W, a.OH, a.OW);
            return;
        }
        // Geometry in locals, and each window's in-plane rows and columns computed once (no per-element bounds tests).
        int hIn = a.H, wIn = a.W, oh = a.OH, ow = a.OW, kh = a.KH, kw = a.KW, sh = a.SH, sw = a.SW, ph = a.PH, pw = a.PW, dh = a.DH, dw = a.DW;
        // The in-plane columns [j0, j1) of every window, once per plane (integer divisions are costly per output).
        Span<int> cols = ow <= 512 ? stackalloc int[2 * ow] : new int[2 * ow];
        for (int c = 0; c < ow; c++)
        {
            int w0 = c * sw - pw;
            cols[2 * c] = w0 >= 0 ? 0 : (-w0 + dw - 1) / dw;
            cols[2 * c + 1] = Math.Min(kw, (wIn - w0 + dw - 1) / dw);
        }
        fixed (T* x = xs, y = ys)
        fixed (long* idx = idxs)
        fixed (int* jr = cols)
        {
            for (int r = 0; r < oh; r++)
            {
                int h0 = r * sh - ph;
                int i0 = h0 >= 0 ? 0 : (-h0 + dh - 1) / dh, i1 = Math.Min(kh, (hIn - h0 + dh - 1) / dh);
                for (int c = 0; c < ow; c++)
                {
                    int w0 = c * sw - pw, j0 = jr[2 * c], j1 = jr[2 * c + 1];
                    // PyTorch's kernel starts its running maximum at the window's first in-plane element.
                    T best = T.NegativeInfinity;
                    long at = (long)(h0 + i0 * dh) * wIn + w0 + j0 * dw;
                    for (int i = i0; i < i1; i++)
                    {
                        int row = (h0 + i * dh) * wIn + w0;
                        for (int j = j0; j < j1; j++)
                        {
                            int e = row + j * dw;
                            T v = x[e];
                            bool take = v > best | T.IsNaN(v);   // no branch: which element wins is data-dependent
                            best = take ? v : best;
                            at = take ? e : at;
                        }
                    }
                    y[r * ow + c] = best;
                    idx[r * ow + c] = at;
                }
            }
        }
    }

    /// <summary>
    /// The common 2×2, stride-2 pooling without padding, whole windows only: four loads and three selects per output,
    /// in PyTorch's scan order (row by row, a later element wins only when greater or NaN).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPlane2x2<T>(ReadOnlySpan<T> xs, Span<T> ys, Span<long> idxs, int w, int oh, int ow) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The selects run in vector registers (one lane used): the JIT turns a scalar floating-point select into a
        // branch, which random data mispredicts half the time. The winner's offset in the window travels as a T.
        var one = Vector128.CreateScalarUnsafe(T.One);
        var below = Vector128.CreateScalarUnsafe(T.CreateTruncating(w));
        var belowRight = Vector128.CreateScalarUnsafe(T.CreateTruncating(w + 1));
        fixed (T* x = xs, y = ys)
        fixed (long* idx = idxs)
        {
            for (int r = 0; r < oh; r++)
            {
                T* top = x + 2 * r * w, bottom = top + w;
                T* yr = y + r * ow;
                long* ir = idx + r * ow;
                long rowStart = 2L * r * w;
                for (int c = 0; c < ow; c++)
                {
                    var best = Vector128.CreateScalarUnsafe(top[2 * c]);
                    var at = Vector128<T>.Zero;
                    Take(ref best, ref at, Vector128.CreateScalarUnsafe(top[2 * c + 1]), one);
                    Take(ref best, ref at, Vector128.CreateScalarUnsafe(bottom[2 * c]), below);
                    Take(ref best, ref at, Vector128.CreateScalarUnsafe(bottom[2 * c + 1]), belowRight);
                    yr[c] = best.ToScalar();
                    ir[c] = rowStart + 2 * c + long.CreateTruncating(at.ToScalar());
                }
            }
        }
    }

    /// <summary>best, at = v, offset where v is greater than best or NaN (a later NaN wins, as PyTorch's scan).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<T>(ref Vector128<T> best, ref Vector128<T> at, Vector128<T> v, Vector128<T> offset)
    {
        var take = Vector128.GreaterThan(v, best) | ~Vector128.Equals(v, v);
        best = Vector128.ConditionalSelect(take, v, best);
        at = Vector128.ConditionalSelect(take, offset, at);
    }

    /// <summary>gx (Planes × H × W, zeroed by the caller) += g at each window's index.</summary>
    /// <exception cref="ArgumentException">An index outside its plane (never produced by <see cref="MaxForward{T}"/>).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> indices, Span<T> gx, in Pool2dArgs a) where T : unmanaged, INumber<T>
    {
        a.Check("max_pool2d_backward");
        Require(a, gx.Length, g.Length, indices.Length, "max_pool2d_backward");
        int plane = a.H * a.W, outs = a.OH * a.OW;
        var q = a;
        long bad = -1;   // the position of an index outside its plane (checked in the same pass as the scatter)
        unsafe
        {
            fixed (T* pg = g, px = gx)
            fixed (long* pi = indices)
            {
                nint gp = (nint)pg, xp = (nint)px, ip = (nint)pi;
                ParallelRange.Run(q.Planes, Grain(q), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                    {
                        T* src = (T*)gp + (long)p * outs, dst = (T*)xp + (long)p * plane;
                        long* at = (long*)ip + (long)p * outs;
                        for (int o = 0; o < outs; o++)
                        {
                            long i = at[o];
                            if ((ulong)i >= (ulong)plane)
                            {
                                Interlocked.CompareExchange(ref bad, (long)p * outs + o, -1);
                                break;
                            }
                            dst[i] += src[o];
                        }
                    }
                });
            }
        }
        if (bad >= 0)
            throw new ArgumentException($"max_pool2d_backward: index {indices[(int)bad]} at {bad} is outside its plane of {a.H}×{a.W}.");
    }

    /// <summary>y (Planes × OH × OW) = the mean of each (adaptive) average-pooling window of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgForward<T>(ReadOnlySpan<T> x, Span<T> y, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        a.Check("avg_pool2d");
        Require(a, x.Length, y.Length, y.Length, "avg_pool2d");
        var g = a;
        unsafe
        {
            fixed (T* px = x, py = y)
            {
                nint xp = (nint)px, yp = (nint)py;
                ParallelRange.Run(g.Planes, Grain(g), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                    {
                        T* src = (T*)xp + (long)p * g.H * g.W, dst = (T*)yp + (long)p * g.OH * g.OW;
                        for (int oh = 0; oh < g.OH; oh++)
                        {
                            g.Rows(oh, out int h0, out int h1, out _);
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                g.Cols(ow, out int w0, out int w1, out _);
                                T sum = T.Zero;
                                for (int h = h0; h < h1; h++)
                                for (int w = w0; w < w1; w++) sum += src[h * g.W + w];
                                dst[oh * g.OW + ow] = sum / T.CreateTruncating(g.Divisor(oh, ow));
                            }
                        }
                    }
                });
            }
        }
    }

    /// <summary>gx (Planes × H × W) = Σ over the windows covering each input of g / divisor (overwrites gx).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AvgBackward<T>(ReadOnlySpan<T> g, Span<T> gx, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        a.Check("avg_pool2d_backward");
        Require(a, gx.Length, g.Length, g.Length, "avg_pool2d_backward");
        var q = a;
        unsafe
        {
            fixed (T* pg = g, px = gx)
            {
                nint gp = (nint)pg, xp = (nint)px;
                ParallelRange.Run(q.Planes, Grain(q), (s, e) =>
                {
                    for (int p = s; p < e; p++)
                    {
                        T* src = (T*)gp + (long)p * q.OH * q.OW, dst = (T*)xp + (long)p * q.H * q.W;
                        for (int h = 0; h < q.H; h++)
                        for (int w = 0; w < q.W; w++) dst[h * q.W + w] = AvgGradAt(src, h, w, q);
                    }
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe T AvgGradAt<T>(T* g, int h, int w, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        a.Covering(h, false, out int oh0, out int oh1);
        a.CoveringCols(w, false, out int ow0, out int ow1);
        T sum = T.Zero;
        for (int oh = oh0; oh < oh1; oh++)
        {
            a.Rows(oh, out int h0, out int h1, out _);
            if (h < h0 || h >= h1) continue;
            for (int ow = ow0; ow < ow1; ow++)
            {
                a.Cols(ow, out int w0, out int w1, out _);
                if (w >= w0 && w < w1) sum += g[oh * a.OW + ow] / T.CreateTruncating(a.Divisor(oh, ow));
            }
        }
        return sum;
    }

    private static int Grain(in Pool2dArgs a) => Math.Max(1, (1 << 15) / Math.Max(1, a.H * a.W));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Require(in Pool2dArgs a, long input, long output, long indices, string op)
    {
        if (input < (long)a.Planes * a.H * a.W || output < (long)a.Planes * a.OH * a.OW || indices < (long)a.Planes * a.OH * a.OW)
            throw new ArgumentException($"{op}: spans of {input}, {output}, {indices} elements are shorter than {a.Planes} planes of {a.H}×{a.W} into {a.OH}×{a.OW}.");
    }
}
