using System.Runtime.CompilerServices;

namespace Trace.Kernels;

// Element-type-agnostic kernels built on ISimd.Exp / ISimd.ErfErfc.
public static partial class VectorMath
{
    private const double Sqrt1Over2 = 0.70710678118654752440;     // 1/sqrt(2)
    private const double InvSqrt2Pi = 0.39894228040143267794;     // 1/sqrt(2 pi)
    private const double GeluBeta = 0.79788456080286535588;       // sqrt(2/pi), PyTorch kBeta
    private const double GeluKappa = 0.044715;                    // PyTorch kKappa

    /// <summary>Splits x*x = hi + lo exactly (lo forced to 0 where hi overflows or is NaN, to keep inf - inf out).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SquareSplit<T>(T x, out T lo) where T : struct, ISimd<T>
    {
        T hi = x * x;
        lo = T.Select(T.LessThan(hi, T.C(1e30)), T.Fma(x, x, -hi), T.C(0.0));
        return hi;
    }

    /// <summary>1/(1 + exp(-v)) from e = exp(-|v|): never overflows, relative-accurate on both sides.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SigmoidCore<T>(T v, out T e, out T q) where T : struct, ISimd<T>
    {
        e = T.Exp(-T.Abs(v));
        q = T.C(1.0) / (T.C(1.0) + e);
        return T.Select(T.LessThan(v, T.C(0.0)), e * q, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T SigmoidT<T>(T x) where T : struct, ISimd<T> => SigmoidCore(x, out _, out _);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T ErfT<T>(T x) where T : struct, ISimd<T>
    {
        T hi = SquareSplit(x, out T lo);
        return T.CopySign(T.ErfErfc(T.Abs(x), hi, lo, out _), x);
    }

    /// <summary>
    /// Phi(x) = 0.5 (1 + erf(x/sqrt2)), taken as 0.5 erfc(|x|/sqrt2) for x &lt; 0 (no cancellation); also returns
    /// x^2/2 = half2Hi + half2Lo for the caller's exp(-x^2/2).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T NormalCdf<T>(T x, out T half2Hi, out T half2Lo) where T : struct, ISimd<T>
    {
        T half = T.C(0.5);
        T hi = SquareSplit(x, out T lo);
        half2Hi = hi * half;
        half2Lo = lo * half;
        T erf = T.ErfErfc(T.Abs(x) * T.C(Sqrt1Over2), half2Hi, half2Lo, out T erfc);
        return T.Select(T.LessThan(x, T.C(0.0)), half * erfc, T.Fma(half, erf, half));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluT<T>(T x) where T : struct, ISimd<T>
    {
        T cdf = NormalCdf(x, out _, out _);
        // As PyTorch's x·Φ(x): gelu(-inf) = -inf·0 = NaN, while finite x far below 0 give -0.
        return x * cdf;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluGradT<T>(T x) where T : struct, ISimd<T>
    {
        T cdf = NormalCdf(x, out T h, out T l);
        T pdf = T.Exp(-h, -l) * T.C(InvSqrt2Pi);
        // As PyTorch's cdf + x·pdf: NaN at ±inf (inf·0); finite x whose pdf underflows give cdf.
        return T.Fma(x, pdf, cdf);
    }

    /// <summary>2u = 2 sqrt(2/pi) (x + 0.044715 x^3), the doubled tanh argument of the tanh-approximated GELU.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluTanhArg2<T>(T x) where T : struct, ISimd<T> =>
        x * T.Fma(x * x, T.C(2 * GeluBeta * GeluKappa), T.C(2 * GeluBeta));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluTanhT<T>(T x) where T : struct, ISimd<T>
    {
        // 0.5 x (1 + tanh u) = x sigmoid(2u): same function, but accurate for negative x.
        T s = SigmoidCore(GeluTanhArg2(x), out _, out _);
        return x * s;   // NaN at -inf, as PyTorch's 0.5·x·(1 + tanh u)
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T GeluTanhGradT<T>(T x) where T : struct, ISimd<T>
    {
        // PyTorch: 0.5 (1 + t) + 0.5 x (1 - t^2) beta (1 + 3 kappa x^2), t = tanh u.
        // With s = sigmoid(2u): 0.5 (1 + t) = s and 1 - t^2 = 4 s (1 - s) = 4 e q^2 (e = exp(-2|u|), q = 1/(1 + e)).
        T s = SigmoidCore(GeluTanhArg2(x), out T e, out T q);
        // |x| > 1e10 already has e = 0; clamping keeps the polynomial finite there (no inf * 0).
        T xc = T.MinNative(T.MaxNative(x, T.C(-1e10)), T.C(1e10));
        T du = T.Fma(xc * xc, T.C(3 * GeluBeta * GeluKappa), T.C(GeluBeta));
        // ±inf give NaN as in PyTorch (inf·0 in its formula); NaN lanes fail the comparison and stay NaN.
        return T.Select(T.LessThan(T.Abs(x), T.C(double.PositiveInfinity)), T.Fma(xc * du, T.C(2.0) * e * q * q, s), T.C(double.NaN));
    }
}
