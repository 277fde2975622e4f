using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Trace.Kernels.GemmConst;

namespace Trace.Kernels;

/// <summary>
/// Vector256 fallback micro-kernel (AVX2 has 16 ymm registers): a 6×(2·Vector256) tile with 12
/// accumulators, i.e. 6×16 for float and 6×8 for double. Chosen when Vector512 is not accelerated.
/// </summary>
internal unsafe struct GemmKernel256<T> : IGemmKernel<T> where T : unmanaged, INumber<T>
{
    private static int VL => Vector256<T>.Count;

    /// <inheritdoc/>
    public static int MR => 6;

    /// <inheritdoc/>
    public static int NR => 2 * Vector256<T>.Count;

    /// <inheritdoc/>
    public static int KC => 256;

    /// <inheritdoc/>
    public static int MC => 6 * (128 / sizeof(T));

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
            T* tmp = stackalloc T[6 * 2 * Vector256<T>.Count];
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
        Vector256<T> c0a = default, c0b = default;
        Vector256<T> c1a = default, c1b = default;
        Vector256<T> c2a = default, c2b = default;
        Vector256<T> c3a = default, c3b = default;
        Vector256<T> c4a = default, c4b = default;
        Vector256<T> c5a = default, c5b = default;
        int vl = Vector256<T>.Count;
        GemmMath.PrefetchTile<T>(c, ldc, TR.Value, TN.Value * vl);
        for (nint p = 0; p < kc; p++)
        {
            Vector256<T> b0 = Vector256.Load(b);
            Vector256<T> b1 = TN.Value > 1 ? Vector256.Load(b + vl) : default;
            Vector256<T> x = Vector256.Create(a[0]);
            c0a = GemmMath.Fma(x, b0, c0a); if (TN.Value > 1) c0b = GemmMath.Fma(x, b1, c0b);
            if (TR.Value > 1) { x = Vector256.Create(a[1]); c1a = GemmMath.Fma(x, b0, c1a); if (TN.Value > 1) c1b = GemmMath.Fma(x, b1, c1b); }
            if (TR.Value > 2) { x = Vector256.Create(a[2]); c2a = GemmMath.Fma(x, b0, c2a); if (TN.Value > 1) c2b = GemmMath.Fma(x, b1, c2b); }
            if (TR.Value > 3) { x = Vector256.Create(a[3]); c3a = GemmMath.Fma(x, b0, c3a); if (TN.Value > 1) c3b = GemmMath.Fma(x, b1, c3b); }
            if (TR.Value > 4) { x = Vector256.Create(a[4]); c4a = GemmMath.Fma(x, b0, c4a); if (TN.Value > 1) c4b = GemmMath.Fma(x, b1, c4b); }
            if (TR.Value > 5) { x = Vector256.Create(a[5]); c5a = GemmMath.Fma(x, b0, c5a); if (TN.Value > 1) c5b = GemmMath.Fma(x, b1, c5b); }
            a += 6;
            b += 2 * vl;
        }

        Vector256<T> va = Vector256.Create(alpha);
        Vector256<T> vb = Vector256.Create(beta);
        bool overwrite = T.IsZero(beta);
        GemmMath.Store<T, TN>(c, c0a, c0b, va, vb, overwrite);
        if (TR.Value > 1) GemmMath.Store<T, TN>(c + 1 * ldc, c1a, c1b, va, vb, overwrite);
        if (TR.Value > 2) GemmMath.Store<T, TN>(c + 2 * ldc, c2a, c2b, va, vb, overwrite);
        if (TR.Value > 3) GemmMath.Store<T, TN>(c + 3 * ldc, c3a, c3b, va, vb, overwrite);
        if (TR.Value > 4) GemmMath.Store<T, TN>(c + 4 * ldc, c4a, c4b, va, vb, overwrite);
        if (TR.Value > 5) GemmMath.Store<T, TN>(c + 5 * ldc, c5a, c5b, va, vb, overwrite);
    }
}
