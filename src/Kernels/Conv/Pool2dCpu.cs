using System.Numerics;

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

    private static void MaxPlane<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> idx, in Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int oh = 0; oh < a.OH; oh++)
        {
            int h0 = oh * a.SH - a.PH;
            // The first row and column inside the plane, as PyTorch's kernel starts its running max there.
            int hs = h0, ws;
            while (hs < 0) hs += a.DH;
            for (int ow = 0; ow < a.OW; ow++)
            {
                int w0 = ow * a.SW - a.PW;
                ws = w0;
                while (ws < 0) ws += a.DW;
                T best = T.NegativeInfinity;
                long at = (long)hs * a.W + ws;
                for (int i = 0; i < a.KH; i++)
                {
                    int h = h0 + i * a.DH;
                    if ((uint)h >= (uint)a.H) continue;
                    for (int j = 0; j < a.KW; j++)
                    {
                        int w = w0 + j * a.DW;
                        if ((uint)w >= (uint)a.W) continue;
                        T v = x[h * a.W + w];
                        if (v > best || T.IsNaN(v))
                        {
                            best = v;
                            at = h * a.W + w;
                        }
                    }
                }
                y[oh * a.OW + ow] = best;
                idx[oh * a.OW + ow] = at;
            }
        }
    }

    /// <summary>gx (Planes × H × W, zeroed by the caller) += g at each window's index.</summary>
    /// <exception cref="ArgumentException">An index outside its plane (never produced by <see cref="MaxForward{T}"/>).</exception>
    public static void MaxBackward<T>(ReadOnlySpan<T> g, ReadOnlySpan<long> indices, Span<T> gx, in Pool2dArgs a) where T : unmanaged, INumber<T>
    {
        a.Check("max_pool2d_backward");
        Require(a, gx.Length, g.Length, indices.Length, "max_pool2d_backward");
        int plane = a.H * a.W, outs = a.OH * a.OW;
        for (int i = 0; i < (long)a.Planes * outs; i++)
            if ((ulong)indices[i] >= (ulong)plane)
                throw new ArgumentException($"max_pool2d_backward: index {indices[i]} at {i} is outside its plane of {a.H}×{a.W}.");
        var q = a;
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
                        for (int o = 0; o < outs; o++) dst[at[o]] += src[o];
                    }
                });
            }
        }
    }

    /// <summary>y (Planes × OH × OW) = the mean of each (adaptive) average-pooling window of x.</summary>
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

    private static void Require(in Pool2dArgs a, long input, long output, long indices, string op)
    {
        if (input < (long)a.Planes * a.H * a.W || output < (long)a.Planes * a.OH * a.OW || indices < (long)a.Planes * a.OH * a.OW)
            throw new ArgumentException($"{op}: spans of {input}, {output}, {indices} elements are shorter than {a.Planes} planes of {a.H}×{a.W} into {a.OH}×{a.OW}.");
    }
}
