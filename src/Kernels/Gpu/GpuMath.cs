using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;

namespace Trace.Kernels.Gpu;

/// <summary>A sine and cosine pair.</summary>
internal readonly struct SinCos(double sin, double cos)
{
    public readonly double Sin = sin, Cos = cos;
}


/// <summary>
/// Scalar float64 math that ILGPU compiles for every accelerator (the CPU kernels' SIMD polynomials do not compile):
/// plain arithmetic and <see cref="XMath"/>. Each function has a float32 form in float32 arithmetic (on a GPU its exp
/// and log are the hardware's approximate ones, about 2 ulp) and a float64 form (XMath's float64 exp/log are software
/// routines: the kernel calls them). ILGPU has no erf: float64 erf/erfc are fdlibm's rational approximations (about 1 ulp),
/// float32 erfc is Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7).
/// </summary>
public static class GpuMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>tanh(x): an odd series below |x| = 0.1, else 1 − 2/(exp(2|x|) + 1) with x's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x)
    {
        double a = XMath.Abs(x);
        if (a < 0.1)
        {
            double z = x * x;
            return x * (1 + z * (-1.0 / 3 + z * (2.0 / 15 + z * (-17.0 / 315 + z * (62.0 / 2835 + z * (-1382.0 / 155925 + z * (21844.0 / 6081075)))))));
        }
        double r = 1 - 2 / (XMath.Exp(2 * a) + 1);
        return x < 0 ? -r : r;
    }

    /// <summary>1 / (1 + exp(−x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x) => 1 / (1 + XMath.Exp(-x));

    /// <summary>
    /// erfc(x) in float64 to about 1 ulp: the rational approximations of Sun's fdlibm s_erf.c (1993) on [0, 0.84375),
    /// [0.84375, 1.25), [1.25, 1/0.35) and [1/0.35, 28), with exp(−x²) split as exp(−z² − 0.5625)·exp((z − x)(z + x) + R/S)
    /// for z = x with its low 32 bits cleared, so x² is exact. erfc(±inf) = 0, 2; NaN gives NaN.
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = XMath.Abs(x);
        if (a < 0.84375)
        {
            double y = a < 1.3877787807814457e-17 ? 0 : SmallRatio(x * x);
            return x < 0.25 ? 1 - (x + x * y) : 0.5 - (x - 0.5 + x * y);
        }
        if (a < 1.25)
        {
            double r = 1 - Erx - MidRatio(a - 1);
            return x < 0 ? 2 - r : r;
        }
        if (a >= 28) return x < 0 ? 2 : 0;
        double t = TailErfcTimesX(a) / a;
        return x < 0 ? 2 - t : t;
    }

    /// <summary>erf(x) in float64 to about 1 ulp (<see cref="Erfc(double)"/>'s fdlibm approximations; x + x·R/S near 0).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = XMath.Abs(x);
        if (a < 0.84375) return a < 3.725290298461914e-9 ? x + 1.28379167095512586316e-01 * x : x + x * SmallRatio(x * x);
        double r = a < 1.25 ? Erx + MidRatio(a - 1) : a >= 6 ? 1 : 1 - TailErfcTimesX(a) / a;
        return x < 0 ? -r : r;
    }

    private const double Erx = 8.45062911510467529297e-01;

    /// <summary>erf(x)/x − 1 for |x| &lt; 0.84375, as a rational function of z = x².</summary>
    private static double SmallRatio(double z)
    {
        double r = 1.28379167095512558561e-01 + z * (-3.25042107247001499370e-01 + z * (-2.84817495755985104766e-02
            + z * (-5.77027029648944159157e-03 + z * -2.37630166566501626084e-05)));
        double s = 1 + z * (3.97917223959155352819e-01 + z * (6.50222499887672944485e-02 + z * (5.08130628187576562776e-03
            + z * (1.32494738004321644526e-04 + z * -3.96022827877536812320e-06))));
        return r / s;
    }

    /// <summary>erf(1 + s) − erx for 0.84375 ≤ 1 + s &lt; 1.25.</summary>
    private static double MidRatio(double s)
    {
        double p = -2.36211856075265944077e-03 + s * (4.14856118683748331666e-01 + s * (-3.72207876035701323847e-01
            + s * (3.18346619901161753674e-01 + s * (-1.10894694282396677476e-01 + s * (3.54783043256182359371e-02 + s * -2.16637559486879084300e-03)))));
        double q = 1 + s * (1.06420880400844228286e-01 + s * (5.40397917702171048937e-01 + s * (7.18286544141962662868e-02
            + s * (1.26171219808761642112e-01 + s * (1.36370839120290507362e-02 + s * 1.19844998467991074170e-02)))));
        return p / q;
    }

    /// <summary>x·erfc(x) for 1.25 ≤ x &lt; 28.</summary>
    private static double TailErfcTimesX(double x)
    {
        double s = 1 / (x * x), r, q;
        if (x < 2.857142857142857)
        {
            r = -9.86494403484714822705e-03 + s * (-6.93858572707181764372e-01 + s * (-1.05586262253232909814e+01 + s * (-6.23753324503260060396e+01
                + s * (-1.62396669462573470355e+02 + s * (-1.84605092906711035994e+02 + s * (-8.12874355063065934246e+01 + s * -9.81432934416914548592e+00))))));
            q = 1 + s * (1.96512716674392571292e+01 + s * (1.37657754143519042600e+02 + s * (4.34565877475229228821e+02 + s * (6.45387271733267880336e+02
                + s * (4.29008140027567833386e+02 + s * (1.08635005541779435134e+02 + s * (6.57024977031928170135e+00 + s * -6.04244152148580987438e-02)))))));
        }
        else
        {
            r = -9.86494292470009928597e-03 + s * (-7.99283237680523006574e-01 + s * (-1.77579549177547519889e+01 + s * (-1.60636384855821916062e+02
                + s * (-6.37566443368389627722e+02 + s * (-1.02509513161107724954e+03 + s * -4.83519191608651397019e+02)))));
            q = 1 + s * (3.03380607434824582924e+01 + s * (3.25792512996573918826e+02 + s * (1.53672958608443695994e+03 + s * (3.19985821950859553908e+03
                + s * (2.55305040643316442583e+03 + s * (4.74528541206955367215e+02 + s * -2.24409524465858183362e+01))))));
        }
        double z = Interop.IntAsFloat(Interop.FloatAsInt(x) & 0xFFFFFFFF00000000UL);
        return Exp(-z * z - 0.5625) * Exp((z - x) * (z + x) + r / q);
    }

    /// <summary>log(1 + x), accurate near 0 (the u = 1 + x correction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log1p(double x)
    {
        double u = 1 + x;
        if (u == 1) return x;
        return XMath.Log(u) * (x / (u - 1));
    }

    /// <summary>Exact GELU x·Φ(x) = 0.5·x·erfc(−x/√2) (relative-accurate for negative x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Gelu(double x) => 0.5 * x * Erfc(-x * 0.7071067811865476);

    /// <summary>Tanh-approximated GELU 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluTanh(double x) => 0.5 * x * (1 + Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));

    /// <summary>d gelu(x)/dx, exact: Φ(x) + x·φ(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluGrad(double x) => 0.5 * Erfc(-x * 0.7071067811865476) + x * 0.3989422804014327 * XMath.Exp(-0.5 * x * x);

    /// <summary>d gelu_tanh(x)/dx.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GeluTanhGrad(double x)
    {
        const double k = 0.7978845608028654, c = 0.044715;
        double t = Tanh(k * (x + c * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x);
    }

    /// <summary>tanh(x) in float32: an odd series below |x| = 0.3, else 1 − 2/(exp(2|x|) + 1) with x's sign.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x)
    {
        float a = XMath.Abs(x);
        if (a < 0.3f)
        {
            float z = x * x;
            return x * (1 + z * (-1f / 3 + z * (2f / 15 + z * (-17f / 315 + z * (62f / 2835 + z * (-1382f / 155925 + z * (21844f / 6081075)))))));
        }
        float r = 1 - 2 / (XMath.Exp(2 * a) + 1);
        return x < 0 ? -r : r;
    }

    /// <summary>1 / (1 + exp(−x)) in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => 1 / (1 + XMath.Exp(-x));

    /// <summary>erfc(x) in float32 (<see cref="Erfc(double)"/>'s fit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erfc(float x)
    {
        float z = XMath.Abs(x);
        float t = 1 / (1 + 0.5f * z);
        float ans = t * XMath.Exp(-z * z - 1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f +
            t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f)))))))));
        return x >= 0 ? ans : 2 - ans;
    }

    /// <summary>erf(x) in float32: the Maclaurin series below |x| = 0.5, else 1 − erfc(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x)
    {
        if (XMath.Abs(x) < 0.5f)
        {
            float z = x * x, term = x, sum = x;
            for (int n = 1; n < 9; n++)
            {
                term *= -z / n;
                sum += term / (2 * n + 1);
            }
            return (float)TwoOverSqrtPi * sum;
        }
        return x > 0 ? 1 - Erfc(x) : Erfc(-x) - 1;
    }

    /// <summary>log(1 + x) in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1p(float x)
    {
        float u = 1 + x;
        if (u == 1) return x;
        return XMath.Log(u) * (x / (u - 1));
    }

    /// <summary>Exact GELU in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => 0.5f * x * Erfc(-x * 0.70710678f);

    /// <summary>Tanh-approximated GELU in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanh(float x) => 0.5f * x * (1 + Tanh(0.7978845608f * (x + 0.044715f * x * x * x)));

    /// <summary>d gelu(x)/dx in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluGrad(float x) => 0.5f * Erfc(-x * 0.70710678f) + x * 0.39894228f * XMath.Exp(-0.5f * x * x);

    /// <summary>d gelu_tanh(x)/dx in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GeluTanhGrad(float x)
    {
        const float k = 0.7978845608f, c = 0.044715f;
        float t = Tanh(k * (x + c * x * x * x));
        return 0.5f * (1 + t) + 0.5f * x * (1 - t * t) * k * (1 + 3 * c * x * x);
    }

    // float64 exp, log and sin/cos(2πu) as straight-line polynomials: XMath's float64 versions compile to PTX calls and
    // local memory (measured with the PTX backend); these compile to registers only.

    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01;   // ln 2's leading 32 bits: k·Ln2Hi is exact for |k| ≤ 2¹⁰
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double Sqrt2 = 1.4142135623730951;
    private const double TwoPi = 6.283185307179586;

    /// <summary>eˣ: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to r¹⁴, scaled by 2ᵏ in two steps.</summary>
    internal static double Exp(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x > 709.782712893384) return double.PositiveInfinity;
        if (x < -745.1332191019412) return 0d;
        double t = x * Log2E;
        long k = (long)(t + (t >= 0 ? 0.5 : -0.5));
        double r = (x - k * Ln2Hi) - k * Ln2Lo;
        double p = 1d / 87178291200d;   // 1/14!
        p = p * r + 1d / 6227020800d;
        p = p * r + 1d / 479001600d;
        p = p * r + 1d / 39916800d;
        p = p * r + 1d / 3628800d;
        p = p * r + 1d / 362880d;
        p = p * r + 1d / 40320d;
        p = p * r + 1d / 5040d;
        p = p * r + 1d / 720d;
        p = p * r + 1d / 120d;
        p = p * r + 1d / 24d;
        p = p * r + 1d / 6d;
        p = p * r + 0.5;
        p = p * r + 1d;
        p = p * r + 1d;
        long k1 = k / 2, k2 = k - k1;   // both in [-538, 512]: each 2^k is a normal double
        return p * Interop.IntAsFloat((ulong)(k1 + 1023) << 52) * Interop.IntAsFloat((ulong)(k2 + 1023) << 52);
    }

    /// <summary>ln x: x = m·2ᵉ with m in [√½, √2], ln m = 2·atanh(s), s = (m − 1)/(m + 1), by its series to s²³.</summary>
    internal static double Log(double x)
    {
        if (double.IsNaN(x) || x < 0) return double.NaN;
        if (x == 0) return double.NegativeInfinity;
        if (x == double.PositiveInfinity) return x;
        int shift = 0;
        if (x < 2.2250738585072014e-308)
        {
            x *= 18014398509481984d;   // 2⁵⁴: subnormals become normal
            shift = 54;
        }
        ulong bits = Interop.FloatAsInt(x);
        int e = (int)((bits >> 52) & 0x7FF) - 1023 - shift;
        double m = Interop.IntAsFloat((bits & 0x000FFFFFFFFFFFFFul) | 0x3FF0000000000000ul);
        if (m > Sqrt2)
        {
            m *= 0.5;
            e++;
        }
        double s = (m - 1) / (m + 1), s2 = s * s;
        double p = 1d / 23;
        p = p * s2 + 1d / 21;
        p = p * s2 + 1d / 19;
        p = p * s2 + 1d / 17;
        p = p * s2 + 1d / 15;
        p = p * s2 + 1d / 13;
        p = p * s2 + 1d / 11;
        p = p * s2 + 1d / 9;
        p = p * s2 + 1d / 7;
        p = p * s2 + 1d / 5;
        p = p * s2 + 1d / 3;
        p = p * s2 + 1d;
        return e * Ln2Hi + (2 * s * p + e * Ln2Lo);
    }

    /// <summary>
    /// sin and cos of 2π·u for u in [0, 1]: u = q/4 + r exactly (|r| ≤ 1/8), Taylor series of sin and cos of 2π·r
    /// (|2π·r| ≤ π/4) to the 17th and 18th powers, then the quadrant q.
    /// </summary>
    internal static SinCos SinCos2Pi(double u)
    {
        int q = (int)(u * 4 + 0.5);
        double a = TwoPi * (u - q * 0.25), a2 = a * a;
        double s = 1d / 355687428096000d;   // 1/17!
        s = s * -a2 + 1d / 1307674368000d;
        s = s * -a2 + 1d / 6227020800d;
        s = s * -a2 + 1d / 39916800d;
        s = s * -a2 + 1d / 362880d;
        s = s * -a2 + 1d / 5040d;
        s = s * -a2 + 1d / 120d;
        s = s * -a2 + 1d / 6d;
        s = s * -a2 + 1d;
        s *= a;
        double c = 1d / 6402373705728000d;   // 1/18!
        c = c * -a2 + 1d / 20922789888000d;
        c = c * -a2 + 1d / 87178291200d;
        c = c * -a2 + 1d / 479001600d;
        c = c * -a2 + 1d / 3628800d;
        c = c * -a2 + 1d / 40320d;
        c = c * -a2 + 1d / 720d;
        c = c * -a2 + 1d / 24d;
        c = c * -a2 + 0.5;
        c = c * -a2 + 1d;
        switch (q & 3)
        {
            case 0: return new SinCos(s, c);
            case 1: return new SinCos(c, -s);
            case 2: return new SinCos(-s, -c);
            default: return new SinCos(-c, s);
        }
    }
}
