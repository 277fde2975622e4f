using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Trace.Kernels;

/// <summary>
/// AVX-512 register transposes used by packing: a block of up to 16 (float) or 8 (double) source rows,
/// each contiguous along p, becomes full-vector output rows (one per p). Missing source rows read as
/// zero; a partial block is written with a masked store so nothing past the live rows is touched, and
/// a block shorter than a full vector along p uses masked loads.
/// </summary>
internal static unsafe class GemmTranspose
{
    /// <summary>True when the AVX-512 transposes can be used.</summary>
    public static bool IsSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>
    /// For q &lt; cols (1..16): d[q*ds + r] = s[r*ss + q] for r &lt; rows (1..16). Lanes r ≥ rows and rows
    /// q ≥ cols of d are not written, and source elements past cols are not read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block16(float* s, nint ss, int rows, float* d, nint ds, int cols = 16)
    {
        Vector512<float> lm = cols >= 16 ? Vector512<float>.AllBitsSet
            : Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(cols)).AsSingle();
        Vector512<float> r0 = Row(s, ss, 0, rows, cols, lm), r1 = Row(s, ss, 1, rows, cols, lm);
        Vector512<float> r2 = Row(s, ss, 2, rows, cols, lm), r3 = Row(s, ss, 3, rows, cols, lm);
        Vector512<float> r4 = Row(s, ss, 4, rows, cols, lm), r5 = Row(s, ss, 5, rows, cols, lm);
        Vector512<float> r6 = Row(s, ss, 6, rows, cols, lm), r7 = Row(s, ss, 7, rows, cols, lm);
        Vector512<float> r8 = Row(s, ss, 8, rows, cols, lm), r9 = Row(s, ss, 9, rows, cols, lm);
        Vector512<float> r10 = Row(s, ss, 10, rows, cols, lm), r11 = Row(s, ss, 11, rows, cols, lm);
        Vector512<float> r12 = Row(s, ss, 12, rows, cols, lm), r13 = Row(s, ss, 13, rows, cols, lm);
        Vector512<float> r14 = Row(s, ss, 14, rows, cols, lm), r15 = Row(s, ss, 15, rows, cols, lm);

        // Stage 1-2: 4×4 transposes inside each 128-bit lane (rows in groups of four).
        Quad(r0, r1, r2, r3, out var a0, out var a1, out var a2, out var a3);
        Quad(r4, r5, r6, r7, out var b0, out var b1, out var b2, out var b3);
        Quad(r8, r9, r10, r11, out var c0, out var c1, out var c2, out var c3);
        Quad(r12, r13, r14, r15, out var e0, out var e1, out var e2, out var e3);

        // Stage 3-4: gather lane j of each group: column q = 4*lane + x lives in lane `lane` of {a,b,c,e}x.
        Vector512<float> mask = rows >= 16 ? Vector512<float>.AllBitsSet
            : Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rows)).AsSingle();
        Lanes(a0, b0, c0, e0, d, 0, ds, mask, cols);
        Lanes(a1, b1, c1, e1, d, 1, ds, mask, cols);
        Lanes(a2, b2, c2, e2, d, 2, ds, mask, cols);
        Lanes(a3, b3, c3, e3, d, 3, ds, mask, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* s, nint ss, int r, int rows, int cols, Vector512<float> lm)
        => r >= rows ? Vector512<float>.Zero
            : cols >= 16 ? Vector512.Load(s + r * ss) : Avx512F.MaskLoad(s + r * ss, lm, Vector512<float>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(Vector512<float> r0, Vector512<float> r1, Vector512<float> r2, Vector512<float> r3,
        out Vector512<float> x0, out Vector512<float> x1, out Vector512<float> x2, out Vector512<float> x3)
    {
        Vector512<double> t0 = Avx512F.UnpackLow(r0, r1).AsDouble(), t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        Vector512<double> t2 = Avx512F.UnpackLow(r2, r3).AsDouble(), t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        x0 = Avx512F.UnpackLow(t0, t2).AsSingle();   // column 4l+0 of rows r0..r3, per lane l
        x1 = Avx512F.UnpackHigh(t0, t2).AsSingle();  // column 4l+1
        x2 = Avx512F.UnpackLow(t1, t3).AsSingle();   // column 4l+2
        x3 = Avx512F.UnpackHigh(t1, t3).AsSingle();  // column 4l+3
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Lanes(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> e,
        float* d, int x, nint ds, Vector512<float> mask, int cols)
    {
        Vector512<float> v0 = Avx512F.Shuffle4x128(a, b, 0x88), v1 = Avx512F.Shuffle4x128(a, b, 0xDD);
        Vector512<float> w0 = Avx512F.Shuffle4x128(c, e, 0x88), w1 = Avx512F.Shuffle4x128(c, e, 0xDD);
        if (x < cols) Avx512F.MaskStore(d + x * ds, mask, Avx512F.Shuffle4x128(v0, w0, 0x88));                // column x
        if (x + 4 < cols) Avx512F.MaskStore(d + (x + 4) * ds, mask, Avx512F.Shuffle4x128(v1, w1, 0x88));    // column x + 4
        if (x + 8 < cols) Avx512F.MaskStore(d + (x + 8) * ds, mask, Avx512F.Shuffle4x128(v0, w0, 0xDD));    // column x + 8
        if (x + 12 < cols) Avx512F.MaskStore(d + (x + 12) * ds, mask, Avx512F.Shuffle4x128(v1, w1, 0xDD));  // column x + 12
    }

    /// <summary>
    /// For q &lt; cols (1..8): d[q*ds + r] = s[r*ss + q] for r &lt; rows (1..8). Lanes r ≥ rows and rows
    /// q ≥ cols of d are not written, and source elements past cols are not read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block8(double* s, nint ss, int rows, double* d, nint ds, int cols = 8)
    {
        Vector512<double> lm = cols >= 8 ? Vector512<double>.AllBitsSet
            : Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)cols)).AsDouble();
        Vector512<double> r0 = Row(s, ss, 0, rows, cols, lm), r1 = Row(s, ss, 1, rows, cols, lm);
        Vector512<double> r2 = Row(s, ss, 2, rows, cols, lm), r3 = Row(s, ss, 3, rows, cols, lm);
        Vector512<double> r4 = Row(s, ss, 4, rows, cols, lm), r5 = Row(s, ss, 5, rows, cols, lm);
        Vector512<double> r6 = Row(s, ss, 6, rows, cols, lm), r7 = Row(s, ss, 7, rows, cols, lm);
        Vector512<double> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1);
        Vector512<double> t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<double> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5);
        Vector512<double> t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<double> mask = rows >= 8 ? Vector512<double>.AllBitsSet
            : Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)rows)).AsDouble();
        Pairs(t0, t2, t4, t6, d, 0, ds, mask, cols);  // columns 0, 2, 4, 6
        Pairs(t1, t3, t5, t7, d, 1, ds, mask, cols);  // columns 1, 3, 5, 7
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Row(double* s, nint ss, int r, int rows, int cols, Vector512<double> lm)
        => r >= rows ? Vector512<double>.Zero
            : cols >= 8 ? Vector512.Load(s + r * ss) : Avx512F.MaskLoad(s + r * ss, lm, Vector512<double>.Zero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pairs(Vector512<double> a, Vector512<double> b, Vector512<double> c, Vector512<double> e,
        double* d, int x, nint ds, Vector512<double> mask, int cols)
    {
        Vector512<double> v0 = Avx512F.Shuffle4x128(a, b, 0x88), v1 = Avx512F.Shuffle4x128(a, b, 0xDD);
        Vector512<double> w0 = Avx512F.Shuffle4x128(c, e, 0x88), w1 = Avx512F.Shuffle4x128(c, e, 0xDD);
        if (x < cols) Avx512F.MaskStore(d + x * ds, mask, Avx512F.Shuffle4x128(v0, w0, 0x88));              // column x
        if (x + 4 < cols) Avx512F.MaskStore(d + (x + 4) * ds, mask, Avx512F.Shuffle4x128(v0, w0, 0xDD));  // column x + 4
        if (x + 2 < cols) Avx512F.MaskStore(d + (x + 2) * ds, mask, Avx512F.Shuffle4x128(v1, w1, 0x88));  // column x + 2
        if (x + 6 < cols) Avx512F.MaskStore(d + (x + 6) * ds, mask, Avx512F.Shuffle4x128(v1, w1, 0xDD));  // column x + 6
    }
}
