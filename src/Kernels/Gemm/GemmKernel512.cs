using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Trace.Kernels.GemmConst;

namespace Trace.Kernels;

/// <summary>
/// AVX-512 micro-kernel: a 14×(2·Vector512) register tile (28 accumulators + 2 B vectors + 1 broadcast
/// = 31 of the 32 zmm registers), i.e. 14×32 for float and 14×16 for double.
/// </summary>
internal unsafe struct GemmKernel512<T> : IGemmKernel<T> where T : unmanaged, INumber<T>
{
    private static int VL => Vector512<T>.Count;

    /// <inheritdoc/>
    public static int MR => 14;

    /// <inheritdoc/>
    public static int NR => 2 * Vector512<T>.Count;

    /// <inheritdoc/>
    public static int KC => 256;

    /// <inheritdoc/>
    public static int MC => 14 * (96 / sizeof(T));

    /// <inheritdoc/>
    public static int NC => 128 * NR;

    /// <inheritdoc/>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int mr, int nr, nint kc, T* ap, T* bp, T* c, nint ldc, T alpha, T beta)
    {
        if (nr == NR)
        {
            Rows<C2>(mr, kc, ap, bp, c, ldc, alpha, beta);
        }
        else if (nr == VL)
        {
            Rows<C1>(mr, kc, ap, bp, c, ldc, alpha, beta);
        }
        else
        {
            // Partial width: compute the full-vector tile into scratch, then merge the live part.
            T* tmp = stackalloc T[14 * 2 * Vector512<T>.Count];
            if (nr > VL) Rows<C2>(mr, kc, ap, bp, tmp, NR, T.One, T.Zero);
            else Rows<C1>(mr, kc, ap, bp, tmp, NR, T.One, T.Zero);
            GemmMath.MergeTile(mr, nr, tmp, NR, c, ldc, alpha, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TN>(int mr, nint kc, T* ap, T* bp, T* c, nint ldc, T alpha, T beta) where TN : struct, IGemmConst
    {
        switch (mr)
        {
            case 14: Micro<C14, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 13: Micro<C13, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 12: Micro<C12, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 11: Micro<C11, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 10: Micro<C10, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 9: Micro<C9, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 8: Micro<C8, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 7: Micro<C7, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 6: Micro<C6, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 5: Micro<C5, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 4: Micro<C4, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 3: Micro<C3, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 2: Micro<C2, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            case 1: Micro<C1, TN>(kc, ap, bp, c, ldc, alpha, beta); break;
            default: throw new ArgumentOutOfRangeException(nameof(mr));
        }
    }

    /// <summary>The register-blocked kernel: TR live rows (of MR), TN live vectors (of 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Micro<TR, TN>(nint kc, T* a, T* b, T* c, nint ldc, T alpha, T beta)
        where TR : struct, IGemmConst where TN : struct, IGemmConst
    {
        Vector512<T> c0a = default, c0b = default;
        Vector512<T> c1a = default, c1b = default;
        Vector512<T> c2a = default, c2b = default;
        Vector512<T> c3a = default, c3b = default;
        Vector512<T> c4a = default, c4b = default;
        Vector512<T> c5a = default, c5b = default;
        Vector512<T> c6a = default, c6b = default;
        Vector512<T> c7a = default, c7b = default;
        Vector512<T> c8a = default, c8b = default;
        Vector512<T> c9a = default, c9b = default;
        Vector512<T> c10a = default, c10b = default;
        Vector512<T> c11a = default, c11b = default;
        Vector512<T> c12a = default, c12b = default;
        Vector512<T> c13a = default, c13b = default;
        int vl = Vector512<T>.Count;
        GemmMath.PrefetchTile<T>(c, ldc, TR.Value, TN.Value * vl);
        for (nint p = 0; p < kc; p++)
        {
            Vector512<T> b0 = Vector512.Load(b);
            Vector512<T> b1 = TN.Value > 1 ? Vector512.Load(b + vl) : default;
            Vector512<T> x = Vector512.Create(a[0]);
            c0a = GemmMath.Fma(x, b0, c0a); if (TN.Value > 1) c0b = GemmMath.Fma(x, b1, c0b);
            if (TR.Value > 1) { x = Vector512.Create(a[1]); c1a = GemmMath.Fma(x, b0, c1a); if (TN.Value > 1) c1b = GemmMath.Fma(x, b1, c1b); }
            if (TR.Value > 2) { x = Vector512.Create(a[2]); c2a = GemmMath.Fma(x, b0, c2a); if (TN.Value > 1) c2b = GemmMath.Fma(x, b1, c2b); }
            if (TR.Value > 3) { x = Vector512.Create(a[3]); c3a = GemmMath.Fma(x, b0, c3a); if (TN.Value > 1) c3b = GemmMath.Fma(x, b1, c3b); }
            if (TR.Value > 4) { x = Vector512.Create(a[4]); c4a = GemmMath.Fma(x, b0, c4a); if (TN.Value > 1) c4b = GemmMath.Fma(x, b1, c4b); }
            if (TR.Value > 5) { x = Vector512.Create(a[5]); c5a = GemmMath.Fma(x, b0, c5a); if (TN.Value > 1) c5b = GemmMath.Fma(x, b1, c5b); }
            if (TR.Value > 6) { x = Vector512.Create(a[6]); c6a = GemmMath.Fma(x, b0, c6a); if (TN.Value > 1) c6b = GemmMath.Fma(x, b1, c6b); }
            if (TR.Value > 7) { x = Vector512.Create(a[7]); c7a = GemmMath.Fma(x, b0, c7a); if (TN.Value > 1) c7b = GemmMath.Fma(x, b1, c7b); }
            if (TR.Value > 8) { x = Vector512.Create(a[8]); c8a = GemmMath.Fma(x, b0, c8a); if (TN.Value > 1) c8b = GemmMath.Fma(x, b1, c8b); }
            if (TR.Value > 9) { x = Vector512.Create(a[9]); c9a = GemmMath.Fma(x, b0, c9a); if (TN.Value > 1) c9b = GemmMath.Fma(x, b1, c9b); }
            if (TR.Value > 10) { x = Vector512.Create(a[10]); c10a = GemmMath.Fma(x, b0, c10a); if (TN.Value > 1) c10b = GemmMath.Fma(x, b1, c10b); }
            if (TR.Value > 11) { x = Vector512.Create(a[11]); c11a = GemmMath.Fma(x, b0, c11a); if (TN.Value > 1) c11b = GemmMath.Fma(x, b1, c11b); }
            if (TR.Value > 12) { x = Vector512.Create(a[12]); c12a = GemmMath.Fma(x, b0, c12a); if (TN.Value > 1) c12b = GemmMath.Fma(x, b1, c12b); }
            if (TR.Value > 13) { x = Vector512.Create(a[13]); c13a = GemmMath.Fma(x, b0, c13a); if (TN.Value > 1) c13b = GemmMath.Fma(x, b1, c13b); }
            a += 14;
            b += 2 * vl;
        }

        Vector512<T> va = Vector512.Create(alpha);
        Vector512<T> vb = Vector512.Create(beta);
        bool overwrite = T.IsZero(beta);
        GemmMath.Store<T, TN>(c, c0a, c0b, va, vb, overwrite);
        if (TR.Value > 1) GemmMath.Store<T, TN>(c + 1 * ldc, c1a, c1b, va, vb, overwrite);
        if (TR.Value > 2) GemmMath.Store<T, TN>(c + 2 * ldc, c2a, c2b, va, vb, overwrite);
        if (TR.Value > 3) GemmMath.Store<T, TN>(c + 3 * ldc, c3a, c3b, va, vb, overwrite);
        if (TR.Value > 4) GemmMath.Store<T, TN>(c + 4 * ldc, c4a, c4b, va, vb, overwrite);
        if (TR.Value > 5) GemmMath.Store<T, TN>(c + 5 * ldc, c5a, c5b, va, vb, overwrite);
        if (TR.Value > 6) GemmMath.Store<T, TN>(c + 6 * ldc, c6a, c6b, va, vb, overwrite);
        if (TR.Value > 7) GemmMath.Store<T, TN>(c + 7 * ldc, c7a, c7b, va, vb, overwrite);
        if (TR.Value > 8) GemmMath.Store<T, TN>(c + 8 * ldc, c8a, c8b, va, vb, overwrite);
        if (TR.Value > 9) GemmMath.Store<T, TN>(c + 9 * ldc, c9a, c9b, va, vb, overwrite);
        if (TR.Value > 10) GemmMath.Store<T, TN>(c + 10 * ldc, c10a, c10b, va, vb, overwrite);
        if (TR.Value > 11) GemmMath.Store<T, TN>(c + 11 * ldc, c11a, c11b, va, vb, overwrite);
        if (TR.Value > 12) GemmMath.Store<T, TN>(c + 12 * ldc, c12a, c12b, va, vb, overwrite);
        if (TR.Value > 13) GemmMath.Store<T, TN>(c + 13 * ldc, c13a, c13b, va, vb, overwrite);
    }
}
