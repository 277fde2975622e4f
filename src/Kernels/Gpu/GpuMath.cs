using ILGPU;

namespace Trace.Kernels.Gpu;

/// <summary>A sine and cosine pair.</summary>
internal readonly struct SinCos(double sin, double cos)
{
    public readonly double Sin = sin, Cos = cos;
}

/// <summary>
/// float64 transcendentals for kernels. ILGPU.Algorithms' XMath implements float64 exp/log/sin/cos by CORDIC-style
/// iterations that compile to PTX function calls and local memory; these are straight-line polynomials (within 2 ulp
/// of the BCL's on the tests' samples; sin/cos(2πu) within 1e-15;
/// Horner form, no tables, no calls) that compile to registers only.
/// </summary>
internal static class GpuMath
{
    private const double Log2E = 1.4426950408889634;
    private const double Ln2Hi = 6.93147180369123816490e-01;   // ln 2's leading 32 bits: k·Ln2Hi is exact for |k| ≤ 2¹⁰
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double Sqrt2 = 1.4142135623730951;
    private const double TwoPi = 6.283185307179586;

    /// <summary>eˣ: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^r by its Taylor series to r¹⁴, scaled by 2ᵏ in two steps.</summary>
    public static double Exp(double x)
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
    public static double Log(double x)
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
    public static SinCos SinCos2Pi(double u)
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
