using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// Convolution and pooling kernels, one thread per output element, no atomics: im2col (one thread per column-matrix
/// element) and col2im (one thread per input element, adding the at most KH·KW column elements read from it, in the
/// CPU loop's order); max pooling with indices and its backward (one thread per input, scanning the windows that cover
/// it for its index); average and adaptive average pooling and their backward likewise. Geometry in
/// <see cref="Conv2dArgs"/> and <see cref="Pool2dArgs"/>, shared with the CPU kernels; views start at the tensors' data.
/// </summary>
public static class GpuConv
{
    internal static void Im2ColKernel<T>(Index1D e, ArrayView<T> x, ArrayView<T> cols, Conv2dArgs a) where T : unmanaged
    {
        int per = a.ColRows * a.L, n = e / per, rest = e - n * per, row = rest / a.L, col = rest - row * a.L;
        int src = a.Source(row, col);
        cols[e] = src < 0 ? default : x[n * a.ImageSize + src];
    }

    internal static void Col2ImKernel<T, N>(Index1D e, ArrayView<T> cols, ArrayView<T> x, Conv2dArgs a) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int plane = a.H * a.W, img = e / a.ImageSize, rest = e - img * a.ImageSize, c = rest / plane, hw = rest - c * plane, ih = hw / a.W, iw = hw - ih * a.W;
        T s = N.Zero();
        for (int kh = 0; kh < a.KH; kh++)
        {
            int h = ih + a.PH - kh * a.DH;
            if (h < 0 || h % a.SH != 0 || h / a.SH >= a.OH) continue;
            for (int kw = 0; kw < a.KW; kw++)
            {
                int w = iw + a.PW - kw * a.DW;
                if (w < 0 || w % a.SW != 0 || w / a.SW >= a.OW) continue;
                s = N.Add(s, cols[(img * a.ColRows + (c * a.KH + kh) * a.KW + kw) * a.L + h / a.SH * a.OW + w / a.SW]);
            }
        }
        x[e] = s;
    }

    internal static void MaxKernel<T, N>(Index1D e, ArrayView<T> x, ArrayView<T> y, ArrayView<long> idx, Pool2dArgs a) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int outs = a.OH * a.OW, p = e / outs, rest = e - p * outs, oh = rest / a.OW, ow = rest - oh * a.OW;
        int h0 = oh * a.SH - a.PH, w0 = ow * a.SW - a.PW, hs = h0, ws = w0;
        while (hs < 0) hs += a.DH;
        while (ws < 0) ws += a.DW;
        T best = N.Lowest();
        long at = (long)hs * a.W + ws;
        int plane = p * a.H * a.W;
        for (int i = 0; i < a.KH; i++)
        {
            int h = h0 + i * a.DH;
            if (h < 0 || h >= a.H) continue;
            for (int j = 0; j < a.KW; j++)
            {
                int w = w0 + j * a.DW;
                if (w < 0 || w >= a.W) continue;
                T v = x[plane + h * a.W + w];
                if (N.Gt(v, best) || N.IsNaN(v))
                {
                    best = v;
                    at = h * a.W + w;
                }
            }
        }
        y[e] = best;
        idx[e] = at;
    }

    internal static void MaxBackwardKernel<T, N>(Index1D e, ArrayView<T> g, ArrayView<long> idx, ArrayView<T> gx, Pool2dArgs a) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int plane = a.H * a.W, p = e / plane, hw = e - p * plane, h = hw / a.W, w = hw - h * a.W;
        a.Covering(h, true, out int oh0, out int oh1);
        a.CoveringCols(w, true, out int ow0, out int ow1);
        int outs = p * a.OH * a.OW;
        T s = N.Zero();
        for (int oh = oh0; oh < oh1; oh++)
        for (int ow = ow0; ow < ow1; ow++)
        {
            int o = outs + oh * a.OW + ow;
            if (idx[o] == hw) s = N.Add(s, g[o]);
        }
        gx[e] = s;
    }

    internal static void AvgKernel<T, R>(Index1D e, ArrayView<T> x, ArrayView<T> y, Pool2dArgs a) where T : unmanaged where R : struct, IGpuReal<T>
    {
        int outs = a.OH * a.OW, p = e / outs, rest = e - p * outs, oh = rest / a.OW, ow = rest - oh * a.OW;
        a.Rows(oh, out int h0, out int h1, out _);
        a.Cols(ow, out int w0, out int w1, out _);
        int plane = p * a.H * a.W;
        T s = R.Zero();
        for (int h = h0; h < h1; h++)
        for (int w = w0; w < w1; w++) s = R.Add(s, x[plane + h * a.W + w]);
        y[e] = R.Div(s, R.Of(a.Divisor(oh, ow)));
    }

    internal static void AvgBackwardKernel<T, R>(Index1D e, ArrayView<T> g, ArrayView<T> gx, Pool2dArgs a) where T : unmanaged where R : struct, IGpuReal<T>
    {
        int plane = a.H * a.W, p = e / plane, hw = e - p * plane, h = hw / a.W, w = hw - h * a.W;
        a.Covering(h, false, out int oh0, out int oh1);
        a.CoveringCols(w, false, out int ow0, out int ow1);
        int outs = p * a.OH * a.OW;
        T s = R.Zero();
        for (int oh = oh0; oh < oh1; oh++)
        {
            a.Rows(oh, out int h0, out int h1, out _);
            if (h < h0 || h >= h1) continue;
            for (int ow = ow0; ow < ow1; ow++)
            {
                a.Cols(ow, out int w0, out int w1, out _);
                if (w >= w0 && w < w1) s = R.Add(s, R.Div(g[outs + oh * a.OW + ow], R.Of(a.Divisor(oh, ow))));
            }
        }
        gx[e] = s;
    }

    /// <summary>Queues cols = im2col(x) for every image (float32 or float64).</summary>
    public static void Im2Col<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> cols, in Conv2dArgs a) where T : unmanaged
    {
        a.Check("GPU im2col");
        long n = (long)a.N * a.ColRows * a.L;
        Require(x.Length >= (long)a.N * a.ImageSize && cols.Length >= n, "GPU im2col");
        if (n == 0) return;
        lock (d.Gate) d.Kernel(("conv", "im2col", typeof(T)), acc => acc.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, Conv2dArgs>(Im2ColKernel<T>))(d.Stream, (int)n, x, cols, a);
    }

    /// <summary>Queues x = col2im(cols) (overwriting x) for every image (float32 or float64).</summary>
    public static void Col2Im<T>(GpuDevice d, ArrayView<T> cols, ArrayView<T> x, in Conv2dArgs a) where T : unmanaged
    {
        a.Check("GPU col2im");
        long n = (long)a.N * a.ImageSize;
        Require(x.Length >= n && cols.Length >= (long)a.N * a.ColRows * a.L, "GPU col2im");
        if (n == 0) return;
        lock (d.Gate)
            d.Kernel(("conv", "col2im", typeof(T)), acc => Real<T, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, Conv2dArgs>>(
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, Conv2dArgs>(Col2ImKernel<float, F32>),
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, Conv2dArgs>(Col2ImKernel<double, F64>), "GPU col2im"))(d.Stream, (int)n, cols, x, a);
    }

    /// <summary>Queues max pooling: y and idx (Planes × OH × OW) from x.</summary>
    public static void MaxPool<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, ArrayView<long> idx, in Pool2dArgs a) where T : unmanaged
    {
        a.Check("GPU max_pool2d");
        long outs = (long)a.Planes * a.OH * a.OW;
        Require(x.Length >= (long)a.Planes * a.H * a.W && y.Length >= outs && idx.Length >= outs, "GPU max_pool2d");
        if (outs == 0) return;
        lock (d.Gate)
            d.Kernel(("pool", "max", typeof(T)), acc => Real<T, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, Pool2dArgs>>(
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<long>, Pool2dArgs>(MaxKernel<float, F32>),
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<long>, Pool2dArgs>(MaxKernel<double, F64>), "GPU max_pool2d"))(d.Stream, (int)outs, x, y, idx, a);
    }

    /// <summary>Queues max pooling's backward: gx (Planes × H × W, overwritten) from g and the forward's indices (checked by the caller).</summary>
    public static void MaxPoolBackward<T>(GpuDevice d, ArrayView<T> g, ArrayView<long> idx, ArrayView<T> gx, in Pool2dArgs a) where T : unmanaged
    {
        a.Check("GPU max_pool2d_backward");
        long ins = (long)a.Planes * a.H * a.W, outs = (long)a.Planes * a.OH * a.OW;
        Require(gx.Length >= ins && g.Length >= outs && idx.Length >= outs, "GPU max_pool2d_backward");
        if (ins == 0) return;
        lock (d.Gate)
            d.Kernel(("pool", "max_backward", typeof(T)), acc => Real<T, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, Pool2dArgs>>(
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<long>, ArrayView<float>, Pool2dArgs>(MaxBackwardKernel<float, F32>),
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<long>, ArrayView<double>, Pool2dArgs>(MaxBackwardKernel<double, F64>), "GPU max_pool2d_backward"))(d.Stream, (int)ins, g, idx, gx, a);
    }

    /// <summary>Queues (adaptive) average pooling: y (Planes × OH × OW) from x.</summary>
    public static void AvgPool<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, in Pool2dArgs a) where T : unmanaged
    {
        a.Check("GPU avg_pool2d");
        long outs = (long)a.Planes * a.OH * a.OW;
        Require(x.Length >= (long)a.Planes * a.H * a.W && y.Length >= outs, "GPU avg_pool2d");
        if (outs == 0) return;
        lock (d.Gate)
            d.Kernel(("pool", "avg", typeof(T)), acc => Real<T, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, Pool2dArgs>>(
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, Pool2dArgs>(AvgKernel<float, F32>),
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, Pool2dArgs>(AvgKernel<double, F64>), "GPU avg_pool2d"))(d.Stream, (int)outs, x, y, a);
    }

    /// <summary>Queues (adaptive) average pooling's backward: gx (Planes × H × W, overwritten) from g.</summary>
    public static void AvgPoolBackward<T>(GpuDevice d, ArrayView<T> g, ArrayView<T> gx, in Pool2dArgs a) where T : unmanaged
    {
        a.Check("GPU avg_pool2d_backward");
        long ins = (long)a.Planes * a.H * a.W;
        Require(gx.Length >= ins && g.Length >= (long)a.Planes * a.OH * a.OW, "GPU avg_pool2d_backward");
        if (ins == 0) return;
        lock (d.Gate)
            d.Kernel(("pool", "avg_backward", typeof(T)), acc => Real<T, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, Pool2dArgs>>(
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, Pool2dArgs>(AvgBackwardKernel<float, F32>),
                () => acc.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>, Pool2dArgs>(AvgBackwardKernel<double, F64>), "GPU avg_pool2d_backward"))(d.Stream, (int)ins, g, gx, a);
    }

    /// <summary>The float32 or float64 launcher, cast to the caller's element type.</summary>
    private static TLaunch Real<T, TLaunch>(Func<Delegate> f32, Func<Delegate> f64, string op) where T : unmanaged where TLaunch : Delegate =>
        typeof(T) == typeof(float) ? (TLaunch)f32() : typeof(T) == typeof(double) ? (TLaunch)f64() : throw new NotSupportedException(GpuGroup.NotSupported<T>(op));

    private static void Require(bool ok, string op)
    {
        if (!ok) throw new ArgumentException($"{op}: a view is shorter than the geometry needs.");
    }
}
