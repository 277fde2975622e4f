using System.Runtime.CompilerServices;

namespace Trace.Kernels;

// Double-precision kernels.
public static partial class VectorMath
{
    /// <summary>The double exp returns +0 below this argument (exp(-700) = 9.9e-305); see <see cref="ExpFMin"/> for the margin.</summary>
    private const double ExpDMin = -700.0;

    /// <summary>exp(x) for x &lt;= ~709 (callers only pass x &lt;= ~1); +0 below <see cref="ExpDMin"/>, NaN for NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpD<T>(T x) where T : struct, ISimd<T>
    {
        T flush = T.LessThan(x, T.C(ExpDMin));
        x = T.Select(flush, T.C(0.0), x);
        // kd = round(x / ln2) + 1.5*2^52 + 1023: the integer n sits in the low mantissa bits, already biased.
        T kd = T.Fma(x, T.C(1.4426950408889634), T.C(6755399441056767.0));
        T n = kd - T.C(6755399441056767.0);
        T r = T.Fma(n, T.C(-6.93145751953125e-1), x);
        r = T.Fma(n, T.C(-1.42860682030941723212e-6), r);
        return T.Select(flush, T.C(0.0), ExpTailD(r, kd));
    }

    /// <summary>exp(hi + lo), |lo| up to ~1, with lo added after the exact Cody–Waite step (see <c>ExpF(hi, lo)</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpD<T>(T hi, T lo) where T : struct, ISimd<T>
    {
        T flush = T.LessThan(hi + lo, T.C(ExpDMin));
        hi = T.Select(flush, T.C(0.0), hi);
        lo = T.Select(flush, T.C(0.0), lo);
        T kd = T.Fma(hi + lo, T.C(1.4426950408889634), T.C(6755399441056767.0));
        T n = kd - T.C(6755399441056767.0);
        T r = T.Fma(n, T.C(-6.93145751953125e-1), hi);
        r = T.Fma(n, T.C(-1.42860682030941723212e-6), r) + lo;
        return T.Select(flush, T.C(0.0), ExpTailD(r, kd));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ExpTailD<T>(T r, T kd) where T : struct, ISimd<T>
    {
        // e^r = 1 + r + r^2 (1/2! + r/3! + ... + r^11/13!), |r| <= ln2/2: truncation error < 2^-60.
        T p = T.Fma(T.C(1.0 / 6227020800.0), r, T.C(1.0 / 479001600.0));
        p = T.Fma(p, r, T.C(1.0 / 39916800.0));
        p = T.Fma(p, r, T.C(1.0 / 3628800.0));
        p = T.Fma(p, r, T.C(1.0 / 362880.0));
        p = T.Fma(p, r, T.C(1.0 / 40320.0));
        p = T.Fma(p, r, T.C(1.0 / 5040.0));
        p = T.Fma(p, r, T.C(1.0 / 720.0));
        p = T.Fma(p, r, T.C(1.0 / 120.0));
        p = T.Fma(p, r, T.C(1.0 / 24.0));
        p = T.Fma(p, r, T.C(1.0 / 6.0));
        p = T.Fma(p, r, T.C(0.5));
        T y = T.Fma(p, r * r, r) + T.C(1.0);
        return y * T.ShiftIntoExponent(kd);
    }

    /// <summary>
    /// tanh: Cephes rational x + x^3 P(x^2)/Q(x^2) for |x| &lt; 0.625, else (1 - e)/(1 + e) with e = exp(-2|x|);
    /// numerators and denominators are blended first so one division serves both pieces.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhD<T>(T x) where T : struct, ISimd<T>
    {
        T ax = T.Abs(x);
        T z = ax * ax;
        T p = T.Fma(T.Fma(T.C(-9.64399179425052238628e-1), z, T.C(-9.92877231001918586564e1)), z, T.C(-1.61468768441708447952e3));
        T q = T.Fma(T.Fma(z + T.C(1.12811678491632931402e2), z, T.C(2.23548839060100448583e3)), z, T.C(4.84406305325125486048e3));
        T e = ExpD(-(ax + ax));
        T one = T.C(1.0);
        T isSmall = T.LessThan(ax, T.C(0.625));
        // small: ax + ax z p/q = (ax q + ax z p)/q.
        T num = T.Select(isSmall, T.Fma(ax * z, p, ax * q), one - e);
        T den = T.Select(isSmall, q, one + e);
        return T.CopySign(num / den, x);
    }

    /// <summary>
    /// erf(a) and erfc(a) for a &gt;= 0 with the piecewise rational approximations of Sun fdlibm s_erf.c
    /// (same pieces as <c>ErfErfcF</c>, higher degrees); all pieces are evaluated and blended.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ErfErfcD<T>(T a, T a2Hi, T a2Lo, out T erfc) where T : struct, ISimd<T>
    {
        T one = T.C(1.0);
        T isSmall = T.LessThan(a, T.C(0.84375));
        T notTail = T.LessThan(a, T.C(1.25));

        // [0, 0.84375): erf = a + a pp/qq(a^2).
        T z = a2Hi;
        T pp = T.Fma(T.Fma(T.Fma(T.Fma(T.C(-2.37630166566501626084e-05), z, T.C(-5.77027029648944159157e-03)), z,
            T.C(-2.84817495755985104766e-02)), z, T.C(-3.25042107247001499370e-01)), z, T.C(1.28379167095512558561e-01));
        T qq = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-3.96022827877536812320e-06), z, T.C(1.32494738004321644526e-04)), z,
            T.C(5.08130628187576562776e-03)), z, T.C(6.50222499887672944485e-02)), z, T.C(3.97917223959155352819e-01)), z, one);

        // [0.84375, 1.25): erf = erx + pa/qa(a - 1).
        T s = a - one;
        T pa = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-2.16637559486879084300e-03), s, T.C(3.54783043256182359371e-02)), s,
            T.C(-1.10894694282396677476e-01)), s, T.C(3.18346619901161753674e-01)), s, T.C(-3.72207876035701323847e-01)), s,
            T.C(4.14856118683748331666e-01)), s, T.C(-2.36211856075265944077e-03));
        T qa = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(1.19844998467991074170e-02), s, T.C(1.36370839120290507362e-02)), s,
            T.C(1.26171219808761642112e-01)), s, T.C(7.18286544141962662868e-02)), s, T.C(5.40397917702171048937e-01)), s,
            T.C(1.06420880400844228286e-01)), s, one);

        T q = T.Select(notTail, T.Select(isSmall, pp, pa), one) / T.Select(notTail, T.Select(isSmall, qq, qa), a);

        // Tail: w = 1/a^2; [1.25, 1/0.35) uses ra/sa, [1/0.35, 28) uses rb/sb (beyond 28 the exp underflows).
        T w = q * q;
        T ra = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-9.81432934416914548592e+00), w, T.C(-8.12874355063065934246e+01)), w,
            T.C(-1.84605092906711035994e+02)), w, T.C(-1.62396669462573470355e+02)), w, T.C(-6.23753324503260060396e+01)), w,
            T.C(-1.05586262253232909814e+01)), w, T.C(-6.93858572707181764372e-01)), w, T.C(-9.86494403484714822705e-03));
        T sa = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-6.04244152148580987438e-02), w, T.C(6.57024977031928170135e+00)), w,
            T.C(1.08635005541779435134e+02)), w, T.C(4.29008140027567833386e+02)), w, T.C(6.45387271733267880336e+02)), w,
            T.C(4.34565877475229228821e+02)), w, T.C(1.37657754143519042600e+02)), w, T.C(1.96512716674392571292e+01)), w, one);
        T rb = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-4.83519191608651397019e+02), w, T.C(-1.02509513161107724954e+03)), w,
            T.C(-6.37566443368389627722e+02)), w, T.C(-1.60636384855821916062e+02)), w, T.C(-1.77579549177547519889e+01)), w,
            T.C(-7.99283237680523006574e-01)), w, T.C(-9.86494292470009928597e-03));
        T sb = T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.Fma(T.C(-2.24409524465858183362e+01), w, T.C(4.74528541206955367215e+02)), w,
            T.C(2.55305040643316442583e+03)), w, T.C(3.19985821950859553908e+03)), w, T.C(1.53672958608443695994e+03)), w,
            T.C(3.25792512996573918826e+02)), w, T.C(3.03380607434824582924e+01)), w, one);
        T isA = T.LessThan(a, T.C(2.857142857142857));
        T rs = T.Select(isA, ra, rb) / T.Select(isA, sa, sb);
        T erfcTail = ExpD(-a2Hi, (rs - T.C(0.5625)) - a2Lo) * q;

        const double Erx = 8.45062911510467529297e-01; // fdlibm's c = (float)0.84506291151 (pa0 absorbs erf(1) - c); 1 - Erx is exact
        T erfSmall = T.Fma(a, q, a);
        erfc = T.Select(notTail, T.Select(isSmall, one - erfSmall, T.C(1.0 - Erx) - q), erfcTail);
        return T.Select(notTail, T.Select(isSmall, erfSmall, T.C(Erx) + q), one - erfcTail);
    }
}
