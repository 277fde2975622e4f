using System.Runtime.CompilerServices;

namespace Trace.Kernels;

// Single-precision kernels. Constants are float literals so that ISimd.C(double) round-trips them exactly.
public static partial class VectorMath
{
    /// <summary>
    /// The float exp returns +0 below this argument (exp(-84) = 3.3e-37). The margin above the subnormal range
    /// (exp(-87.3)) keeps every product the callers form from exp results normal: subnormal operands or results cost a
    /// ~100-cycle microcode assist per instruction on Intel cores.
    /// </summary>
    private const float ExpFMin = -84f;

    /// <summary>exp(x) for x &lt;= ~88 (callers only pass x &lt;= ~1); +0 below <see cref="ExpFMin"/>, NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpF<T>(T x) where T : struct, ISimd<T>
    {
        // Flushed lanes compute exp(0) instead, so no lane ever forms a subnormal or garbage intermediate.
        T flush = T.LessThan(x, T.C(ExpFMin));
        x = T.Select(flush, T.C(0f), x);
        // kd = round(x / ln2) + 1.5*2^23 + 127: the integer n sits in the low mantissa bits, already biased.
        T kd = T.Fma(x, T.C(1.44269504f), T.C(12583039f));
        T n = kd - T.C(12583039f);
        T r = T.Fma(n, T.C(-0.693359375f), x);
        r = T.Fma(n, T.C(2.12194440e-4f), r);
        return T.Select(flush, T.C(0f), ExpTailF(r, kd));
    }

    /// <summary>
    /// exp(hi + lo) where lo may be up to ~1 in magnitude: lo is added after the exact Cody–Waite step, so the
    /// rounding error of hi + lo (large when |hi| is large) does not reach the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpF<T>(T hi, T lo) where T : struct, ISimd<T>
    {
        T flush = T.LessThan(hi + lo, T.C(ExpFMin));
        hi = T.Select(flush, T.C(0f), hi);
        lo = T.Select(flush, T.C(0f), lo);
        T kd = T.Fma(hi + lo, T.C(1.44269504f), T.C(12583039f));
        T n = kd - T.C(12583039f);
        T r = T.Fma(n, T.C(-0.693359375f), hi);
        r = T.Fma(n, T.C(2.12194440e-4f), r) + lo;
        return T.Select(flush, T.C(0f), ExpTailF(r, kd));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpTailF<T>(T r, T kd) where T : struct, ISimd<T>
    {
        // Cephes expf: e^r = 1 + r + r^2 P(r), |r| <= ln2/2.
        T p = T.Fma(T.C(1.9875691500e-4f), r, T.C(1.3981999507e-3f));
        p = T.Fma(p, r, T.C(8.3334519073e-3f));
        p = T.Fma(p, r, T.C(4.1665795894e-2f));
        p = T.Fma(p, r, T.C(1.6666665459e-1f));
        p = T.Fma(p, r, T.C(5.0000001201e-1f));
        T y = T.Fma(p, r * r, r) + T.C(1f);
        return y * T.ShiftIntoExponent(kd);
    }

    /// <summary>tanh: Cephes tanhf odd polynomial for |x| &lt; 0.625, else (1 - e)/(1 + e) with e = exp(-2|x|).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhF<T>(T x) where T : struct, ISimd<T>
    {
        T ax = T.Abs(x);
        T z = ax * ax;
        T p = T.Fma(T.C(-5.70498872745e-3f), z, T.C(2.06390887954e-2f));
        p = T.Fma(p, z, T.C(-5.37397155531e-2f));
        p = T.Fma(p, z, T.C(1.33314422036e-1f));
        p = T.Fma(p, z, T.C(-3.33332819422e-1f));
        T small = T.Fma(p * z, ax, ax);
        T e = ExpF(-(ax + ax));
        T one = T.C(1f);
        T large = (one - e) / (one + e);
        return T.CopySign(T.Select(T.LessThan(ax, T.C(0.625f)), small, large), x);
    }

    /// <summary>
    /// erf(a) and erfc(a) for a &gt;= 0, with the piecewise rational approximations of FreeBSD msun s_erff.c
    /// (Sun fdlibm structure, float coefficients re-fitted by S. Kargl): [0, 0.84375) erf = a + a P/Q(a^2);
    /// [0.84375, 1.25) erf = erx + P/Q(a - 1); [1.25, inf) erfc = exp(-a^2 - 0.5625 + R/S(1/a^2)) / a.
    /// All pieces are evaluated and blended; the two divisions are shared between pieces.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ErfErfcF<T>(T a, T a2Hi, T a2Lo, out T erfc) where T : struct, ISimd<T>
    {
        T one = T.C(1f);
        T isSmall = T.LessThan(a, T.C(0.84375f));
        T notTail = T.LessThan(a, T.C(1.25f));

        // [0, 0.84375): z = a^2.
        T z = a2Hi;
        T pp = T.Fma(T.Fma(T.C(-1.86261395e-03f), z, T.C(-3.36030394e-01f)), z, T.C(1.28379166e-01f));
        T qq = T.Fma(T.Fma(T.Fma(T.C(-1.98859372e-03f), z, T.C(2.16070414e-02f)), z, T.C(3.12324315e-01f)), z, one);

        // [0.84375, 1.25): s = a - 1.
        T s = a - one;
        T pa = T.Fma(T.Fma(T.Fma(T.C(8.67677554e-02f), s, T.C(-2.09395722e-01f)), s, T.C(4.15109307e-01f)), s, T.C(3.65041046e-06f));
        T qa = T.Fma(T.Fma(T.Fma(T.C(3.92478965e-02f), s, T.C(3.71248513e-01f)), s, T.C(4.95560974e-01f)), s, one);

        // One division serves all pieces: P/Q below 1.25, 1/a in the tail.
        T q = T.Select(notTail, T.Select(isSmall, pp, pa), one) / T.Select(notTail, T.Select(isSmall, qq, qa), a);

        // Tail: w = 1/a^2; [1.25, 2.85715) uses ra/sa, beyond uses rb/sb.
        T w = q * q;
        T ra = T.Fma(T.Fma(T.Fma(T.C(-6.91554189e-01f), w, T.C(-1.66828310e+00f)), w, T.C(-5.43658376e-01f)), w, T.C(-9.88156721e-03f));
        T sa = T.Fma(T.Fma(T.Fma(T.C(5.53855181e-01f), w, T.C(4.10799170e+00f)), w, T.C(4.48581553e+00f)), w, one);
        T rb = T.Fma(T.Fma(T.C(-1.84115684e+00f), w, T.C(-5.48049808e-01f)), w, T.C(-9.86496918e-03f));
        T sb = T.Fma(T.Fma(T.Fma(T.C(-7.61900663e-01f), w, T.C(3.04982710e+00f)), w, T.C(4.87132740e+00f)), w, one);
        T isA = T.LessThan(a, T.C(2.85715f));
        T rs = T.Select(isA, ra, rb) / T.Select(isA, sa, sb);
        T erfcTail = ExpF(-a2Hi, (rs - T.C(0.5625f)) - a2Lo) * q;

        const float Erx = 8.42697144e-01f; // ~erf(1) with 16 significant bits (pa0 absorbs the rest); 1 - Erx is exact
        T erfSmall = T.Fma(a, q, a);
        erfc = T.Select(notTail, T.Select(isSmall, one - erfSmall, T.C(1f - Erx) - q), erfcTail);
        return T.Select(notTail, T.Select(isSmall, erfSmall, T.C(Erx) + q), one - erfcTail);
    }
}
