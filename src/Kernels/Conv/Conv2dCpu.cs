using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// CPU 2-D convolution forward over the packed GEMM: for each image, its column matrix (<see cref="Im2Col"/>, one image
/// at a time so it stays in cache — never the whole batch's) times each group's weight matrix, written straight into the
/// NCHW output, whose rows were first filled with the bias; the epilogue (ReLU) runs inside the GEMM. Images split
/// across cores, each GEMM single-threaded; a batch smaller than the worker count runs image by image with the GEMM
/// itself parallel.
/// </summary>
public static class Conv2dCpu
{
    /// <summary>
    /// y (N × Cout × OH × OW) = epilogue(conv2d(x, w) + bias), with w of shape (Cout, C/groups, KH, KW) and bias (Cout) or empty.
    /// </summary>
    /// <exception cref="ArgumentException">Spans shorter than the geometry, or channels not divisible by groups.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> w, ReadOnlySpan<T> bias, Span<T> y, in Conv2dArgs a, int cout, int groups,
        GemmEpilogue epilogue) where T : unmanaged, INumber<T>
    {
        a.Check("conv2d");
        if (groups <= 0 || a.C % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"conv2d: {a.C} input and {cout} output channels are not divisible by groups={groups}.");
        int k = a.ColRows / groups, cog = cout / groups;
        if (x.Length < (long)a.N * a.ImageSize || w.Length < (long)cout * k || y.Length < (long)a.N * cout * a.L || (bias.Length != 0 && bias.Length < cout))
            throw new ArgumentException($"conv2d: spans of {x.Length}, {w.Length}, {bias.Length}, {y.Length} elements do not fit the geometry (N={a.N}, C={a.C}, Cout={cout}).");
        if (a.N == 0) return;
        var g = a;
        int workers = ParallelRange.Workers(a.N, 1);
        bool perImage = workers > 1 && (long)a.N * cout * k * a.L >= 1 << 18;
        unsafe
        {
            fixed (T* px = x, pw = w, pb = bias, py = y)
            {
                nint xp = (nint)px, wp = (nint)pw, bp = bias.Length == 0 ? 0 : (nint)pb, yp = (nint)py;
                void Images(int s, int e, int gemmThreads)
                {
                    var cols = ArrayPool<T>.Shared.Rent(g.ColRows * g.L);
                    try
                    {
                        for (int n = s; n < e; n++)
                        {
                            Im2Col.Image(new ReadOnlySpan<T>((T*)xp + (long)n * g.ImageSize, g.ImageSize), cols, g);
                            var dst = new Span<T>((T*)yp + (long)n * cout * g.L, cout * g.L);
                            if (bp != 0)
                                for (int o = 0; o < cout; o++) dst.Slice(o * g.L, g.L).Fill(((T*)bp)[o]);
                            for (int q = 0; q < groups; q++)
                            {
                                var wg = new ReadOnlySpan<T>((T*)wp + (long)q * cog * k, cog * k);
                                Gemm(cog, g.L, k, wg, cols.AsSpan(q * k * g.L, k * g.L), bp != 0, dst.Slice(q * cog * g.L, cog * g.L), gemmThreads, epilogue);
                            }
                        }
                    }
                    finally
                    {
                        ArrayPool<T>.Shared.Return(cols);
                    }
                }
                if (perImage) ParallelRange.Run(g.N, 1, (s, e) => Images(s, e, 1));
                else Images(0, g.N, 0);
            }
        }
    }

    /// <summary>
    /// dw (Cout × C/groups × KH × KW) = conv2d's weight gradient for output gradient g (N × Cout × OH × OW): per group,
    /// Σₙ gₙ · im2col(xₙ)ᵀ. Each image's columns are built in cache and multiplied into its worker's partial sum (the GEMM
    /// accumulating), so neither the batch's columns nor per-image products are ever stored; the partial sums are then
    /// added in worker order (deterministic for a given core count).
    /// </summary>
    /// <exception cref="ArgumentException">Spans shorter than the geometry, or channels not divisible by groups.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> dw, in Conv2dArgs a, int cout, int groups) where T : unmanaged, INumber<T>
    {
        a.Check("conv2d_weight_backward");
        if (groups <= 0 || a.C % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"conv2d_weight_backward: {a.C} input and {cout} output channels are not divisible by groups={groups}.");
        int k = a.ColRows / groups, cog = cout / groups, size = cout * k;
        if (x.Length < (long)a.N * a.ImageSize || g.Length < (long)a.N * cout * a.L || dw.Length < size)
            throw new ArgumentException($"conv2d_weight_backward: spans of {g.Length}, {x.Length}, {dw.Length} elements do not fit the geometry (N={a.N}, C={a.C}, Cout={cout}).");
        dw[..size].Clear();
        if (a.N == 0 || a.L == 0) return;
        var q = a;
        int workers = ParallelRange.Workers(a.N, 1);
        if ((long)a.N * size * a.L < 1 << 18) workers = 1;
        var partials = new T[workers - 1][];
        unsafe
        {
            fixed (T* pg = g, px = x, pd = dw)
            {
                nint gp = (nint)pg, xp = (nint)px, dp = (nint)pd;
                void Chunk(int w, int gemmThreads)
                {
                    int s = (int)((long)q.N * w / workers), e = (int)((long)q.N * (w + 1) / workers);
                    var sum = w == 0 ? new Span<T>((T*)dp, size) : (partials[w - 1] = new T[size]);
                    var cols = ArrayPool<T>.Shared.Rent(q.ColRows * q.L);
                    try
                    {
                        for (int n = s; n < e; n++)
                        {
                            Im2Col.Image(new ReadOnlySpan<T>((T*)xp + (long)n * q.ImageSize, q.ImageSize), cols, q);
                            var gn = new ReadOnlySpan<T>((T*)gp + (long)n * cout * q.L, cout * q.L);
                            // dW_group (cog × k) += g_n,group (cog × L) · cols_groupᵀ (L × k): B read through its transposed strides.
                            for (int grp = 0; grp < groups; grp++)
                                Gemm(cog, k, q.L, gn.Slice(grp * cog * q.L, cog * q.L), q.L, 1, cols.AsSpan(grp * k * q.L, k * q.L), 1, q.L, n > s,
                                    sum.Slice(grp * cog * k, cog * k), gemmThreads, GemmEpilogue.None);
                        }
                    }
                    finally
                    {
                        ArrayPool<T>.Shared.Return(cols);
                    }
                }
                if (workers > 1) ParallelRange.Run(workers, 1, (s, e) => { for (int w = s; w < e; w++) Chunk(w, 1); });
                else Chunk(0, 0);
                var total = new Span<T>((T*)dp, size);
                foreach (var part in partials)
                    for (int i = 0; i < size; i++) total[i] += part[i];
            }
        }
    }

    /// <summary>
    /// dx (N × C × H × W), overwritten = conv2d's input gradient for output gradient g (N × Cout × OH × OW) and weight w
    /// (Cout × C/groups × KH × KW): per image, its column-matrix gradient W_groupᵀ · g_n,group is built in cache and folded
    /// back (col2im) into the image at once, so the batch's column gradients are never stored. Images split across cores.
    /// </summary>
    /// <exception cref="ArgumentException">Spans shorter than the geometry, or channels not divisible by groups.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGrad<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> w, Span<T> dx, in Conv2dArgs a, int cout, int groups) where T : unmanaged, INumber<T>
    {
        a.Check("conv2d_input_backward");
        if (groups <= 0 || a.C % groups != 0 || cout % groups != 0)
            throw new ArgumentException($"conv2d_input_backward: {a.C} input and {cout} output channels are not divisible by groups={groups}.");
        int k = a.ColRows / groups, cog = cout / groups;
        if (g.Length < (long)a.N * cout * a.L || w.Length < (long)cout * k || dx.Length < (long)a.N * a.ImageSize)
            throw new ArgumentException($"conv2d_input_backward: spans of {g.Length}, {w.Length}, {dx.Length} elements do not fit the geometry (N={a.N}, C={a.C}, Cout={cout}).");
        if (a.N == 0) return;
        var q = a;
        int workers = ParallelRange.Workers(a.N, 1);
        bool perImage = workers > 1 && (long)a.N * cout * k * a.L >= 1 << 18;
        unsafe
        {
            fixed (T* pg = g, pw = w, pd = dx)
            {
                nint gp = (nint)pg, wp = (nint)pw, dp = (nint)pd;
                void Images(int s, int e, int gemmThreads)
                {
                    var cols = ArrayPool<T>.Shared.Rent(q.ColRows * q.L);
                    try
                    {
                        for (int n = s; n < e; n++)
                        {
                            var gn = new ReadOnlySpan<T>((T*)gp + (long)n * cout * q.L, cout * q.L);
                            // cols_group (k × L) = W_groupᵀ (k × cog, A read through the transposed strides) · g_n,group (cog × L).
                            for (int grp = 0; grp < groups; grp++)
                                Gemm(k, q.L, cog, new ReadOnlySpan<T>((T*)wp + (long)grp * cog * k, cog * k), 1, k, gn.Slice(grp * cog * q.L, cog * q.L), q.L, 1,
                                    false, cols.AsSpan(grp * k * q.L, k * q.L), gemmThreads, GemmEpilogue.None);
                            Im2Col.ImageBackward<T>(cols, new Span<T>((T*)dp + (long)n * q.ImageSize, q.ImageSize), q);
                        }
                    }
                    finally
                    {
                        ArrayPool<T>.Shared.Return(cols);
                    }
                }
                if (perImage) ParallelRange.Run(q.N, 1, (s, e) => Images(s, e, 1));
                else Images(0, q.N, 0);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gemm<T>(int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, bool accumulate, Span<T> c, int threads, GemmEpilogue epilogue)
        where T : unmanaged, INumber<T> => Gemm(m, n, k, a, k, 1, b, n, 1, accumulate, c, threads, epilogue);

    /// <summary>C (m × n, row-major) = A·B (+ C when <paramref name="accumulate"/>), A and B given by their row and column strides.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gemm<T>(int m, int n, int k, ReadOnlySpan<T> a, int ars, int acs, ReadOnlySpan<T> b, int brs, int bcs, bool accumulate, Span<T> c,
        int threads, GemmEpilogue epilogue) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> fa = Cast<T, float>(a), fb = Cast<T, float>(b);
            Span<float> fc = CastMut<T, float>(c);
            if (Vector512.IsHardwareAccelerated) Kernels.Gemm.Run<float, GemmKernel512<float>>(m, n, k, 1f, fa, ars, acs, fb, brs, bcs, accumulate ? 1f : 0f, fc, n, threads, epilogue);
            else Kernels.Gemm.Run<float, GemmKernel256<float>>(m, n, k, 1f, fa, ars, acs, fb, brs, bcs, accumulate ? 1f : 0f, fc, n, threads, epilogue);
        }
        else if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> da = Cast<T, double>(a), db = Cast<T, double>(b);
            Span<double> dc = CastMut<T, double>(c);
            if (Vector512.IsHardwareAccelerated) Kernels.Gemm.Run<double, GemmKernel512<double>>(m, n, k, 1.0, da, ars, acs, db, brs, bcs, accumulate ? 1.0 : 0.0, dc, n, threads, epilogue);
            else Kernels.Gemm.Run<double, GemmKernel256<double>>(m, n, k, 1.0, da, ars, acs, db, brs, bcs, accumulate ? 1.0 : 0.0, dc, n, threads, epilogue);
        }
        else throw new NotSupportedException($"conv2d: {typeof(T).Name} is not a floating type.");
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(s);

    private static Span<TTo> CastMut<TFrom, TTo>(Span<TFrom> s) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(s);
}
