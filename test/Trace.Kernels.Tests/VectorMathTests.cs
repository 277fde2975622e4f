using System.Runtime.Intrinsics;

namespace Trace.Kernels.Tests;

[TestClass]
public sealed class VectorMathTests
{
    public TestContext TestContext { get; set; } = null!;

    // ------------------------------------------------------------------ references (independent of VectorMath)

    private const double SqrtPi = 1.7724538509055160273;
    private const double Beta = 0.79788456080286535588; // sqrt(2/pi)
    private const double Kappa = 0.044715;

    /// <summary>A double converted to decimal with 28 significant digits (the built-in cast keeps only 15).</summary>
    private static decimal ToDecimal(double x)
    {
        if (x == 0) return 0m;
        int e = Math.ILogB(x) - 52;
        decimal d = (long)Math.ScaleB(x, -e);
        for (; e > 0; e--) d *= 2;
        for (; e < 0; e++) d /= 2;
        return d;
    }

    /// <summary>erf(z) for |z| &lt; 3 by its Maclaurin series summed in decimal (~26 correct digits).</summary>
    private static decimal ErfSeries(decimal z)
    {
        decimal z2 = z * z, power = z, sum = 0m;
        for (int n = 0; n < 200; n++)
        {
            decimal term = power / (2 * n + 1);
            sum += term;
            if (Math.Abs(term) < 1e-30m) break;
            power = -power * z2 / (n + 1);
        }
        return sum * 1.1283791670955125738961589031m;
    }

    /// <summary>exp(-s) for s = sHi + sLo given as an exact two-part sum (so large s loses no accuracy).</summary>
    private static double ExpNeg(double sHi, double sLo) => Math.Exp(-sHi) * (1 - sLo);

    /// <summary>erfc(z), z &gt;= 3, by the Laplace continued fraction; z^2 = z2Hi + z2Lo exactly.</summary>
    private static double ErfcContinuedFraction(double z, double z2Hi, double z2Lo)
    {
        double f = z;
        for (int k = 300; k >= 1; k--) f = z + k * 0.5 / f;
        return ExpNeg(z2Hi, z2Lo) / SqrtPi / f;
    }

    // The decimal series is the slow part of the suite; Gelu/GeluGrad and the float/double grids share points.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<double, double> ErfCache = new(), PhiCache = new();

    private static double RefErf(double x) => double.IsNaN(x) ? x : ErfCache.GetOrAdd(x, RefErfUncached);

    private static double RefPhi(double x) => double.IsNaN(x) ? x : PhiCache.GetOrAdd(x, RefPhiUncached);

    private static double RefErfUncached(double x)
    {
        double a = Math.Abs(x);
        double r;
        if (a < 1e-9) r = a * 1.1283791670955125739 * (1 - a * a / 3); // below decimal's range; series tail < 1e-37
        else if (a < 3) r = (double)ErfSeries(ToDecimal(a));
        else if (a > 30) r = 1;
        else
        {
            double h = a * a;
            r = 1 - ErfcContinuedFraction(a, h, Math.FusedMultiplyAdd(a, a, -h));
        }
        return Math.CopySign(r, x);
    }

    /// <summary>Standard normal CDF, relative-accurate in the lower tail.</summary>
    private static double RefPhiUncached(double x)
    {
        if (x > 60) return 1;
        if (x < -60) return 0;
        double h = x * x, l = Math.FusedMultiplyAdd(x, x, -h);
        double z = Math.Abs(x) * 0.70710678118654752440;
        if (z < 1e-9) return 0.5 + x * 0.39894228040143267794;
        if (z < 3)
        {
            decimal erf = ErfSeries(ToDecimal(Math.Abs(x)) / 1.4142135623730950488016887242m);
            return (double)(x < 0 ? 0.5m * (1 - erf) : 0.5m * (1 + erf));
        }
        double erfc = ErfcContinuedFraction(z, 0.5 * h, 0.5 * l);
        return x < 0 ? 0.5 * erfc : 1 - 0.5 * erfc;
    }

    private static double RefPhiDensity(double x)
    {
        double h = x * x, l = Math.FusedMultiplyAdd(x, x, -h);
        return ExpNeg(0.5 * h, 0.5 * l) * 0.39894228040143267794;
    }

    private static double RefSigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>1 + tanh(u) without cancellation for u &lt; 0 (e^u / cosh u).</summary>
    private static double OnePlusTanh(double u) => u >= 0 ? 1 + Math.Tanh(u) : Math.Exp(u) / Math.Cosh(u);

    /// <summary>PyTorch's x·Φ(x): NaN at -inf (-inf·0).</summary>
    private static double RefGelu(double x) => double.IsNegativeInfinity(x) ? double.NaN : x * RefPhi(x);

    private static double GeluTanhU(double x) => Beta * (x + Kappa * x * x * x);

    private static double RefGeluTanh(double x) =>
        double.IsNegativeInfinity(x) ? double.NaN : 0.5 * x * OnePlusTanh(GeluTanhU(x));

    private static double RefGeluGrad(double x) =>
        double.IsNaN(x) || double.IsInfinity(x) ? double.NaN : Math.Abs(x) > 40 ? (x > 0 ? 1 : 0) : RefPhi(x) + x * RefPhiDensity(x);

    private static double RefGeluTanhGrad(double x)
    {
        if (double.IsNaN(x)) return x;
        if (double.IsInfinity(x)) return double.NaN;   // PyTorch's formula: inf·0
        double u = GeluTanhU(x), c = Math.Cosh(u);
        if (double.IsInfinity(c)) return 0.5 * OnePlusTanh(u);
        double sech2 = 1 / (c * c);
        return 0.5 * OnePlusTanh(u) + 0.5 * x * sech2 * Beta * (1 + 3 * Kappa * x * x);
    }

    [TestMethod]
    public void ErfReferencesAgreeWhereTheyMeet()
    {
        // The decimal series (|z| < 3) and the continued fraction (z >= 3) must agree on erfc to ~1e-15 relative
        // where the reference switches from one to the other.
        for (double z = 2.5; z <= 3.5; z += 1.0 / 64)
        {
            double series = (double)(1 - ErfSeries(ToDecimal(z)));
            double h = z * z;
            double fraction = ErfcContinuedFraction(z, h, Math.FusedMultiplyAdd(z, z, -h));
            Assert.AreEqual(series, fraction, 2e-15 * series, $"erfc({z})");
        }
    }

    // ------------------------------------------------------------------ function table

    private delegate void SpanF(ReadOnlySpan<float> x, Span<float> y);
    private delegate void SpanD(ReadOnlySpan<double> x, Span<double> y);

    private sealed record Fn(
        string Name,
        Func<float, float> F32, Func<double, double> F64,
        Func<Vector256<float>, Vector256<float>> V256F, Func<Vector512<float>, Vector512<float>> V512F,
        Func<Vector256<double>, Vector256<double>> V256D, Func<Vector512<double>, Vector512<double>> V512D,
        SpanF? SpanF, SpanD? SpanD, Func<double, double> Reference);

    private static readonly Fn Tanh = new("Tanh", VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh,
        VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh, VectorMath.Tanh, Math.Tanh);
    private static readonly Fn Sigmoid = new("Sigmoid", VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid,
        VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid, VectorMath.Sigmoid, RefSigmoid);
    private static readonly Fn Erf = new("Erf", VectorMath.Erf, VectorMath.Erf, VectorMath.Erf, VectorMath.Erf,
        VectorMath.Erf, VectorMath.Erf, VectorMath.Erf, VectorMath.Erf, RefErf);
    private static readonly Fn Gelu = new("Gelu", VectorMath.Gelu, VectorMath.Gelu, VectorMath.Gelu, VectorMath.Gelu,
        VectorMath.Gelu, VectorMath.Gelu, VectorMath.Gelu, VectorMath.Gelu, RefGelu);
    private static readonly Fn GeluTanh = new("GeluTanh", VectorMath.GeluTanh, VectorMath.GeluTanh, VectorMath.GeluTanh,
        VectorMath.GeluTanh, VectorMath.GeluTanh, VectorMath.GeluTanh, VectorMath.GeluTanh, VectorMath.GeluTanh, RefGeluTanh);
    private static readonly Fn GeluGrad = new("GeluGrad", VectorMath.GeluGrad, VectorMath.GeluGrad, VectorMath.GeluGrad,
        VectorMath.GeluGrad, VectorMath.GeluGrad, VectorMath.GeluGrad, null, null, RefGeluGrad);
    private static readonly Fn GeluTanhGrad = new("GeluTanhGrad", VectorMath.GeluTanhGrad, VectorMath.GeluTanhGrad,
        VectorMath.GeluTanhGrad, VectorMath.GeluTanhGrad, VectorMath.GeluTanhGrad, VectorMath.GeluTanhGrad, null, null,
        RefGeluTanhGrad);

    private static readonly Fn[] All = [Tanh, Sigmoid, Erf, Gelu, GeluTanh, GeluGrad, GeluTanhGrad];

    // ------------------------------------------------------------------ grids

    private static readonly double[] Specials =
    [
        0.0, -0.0, 1e-30, -1e-30, 1e-40, -1e-40, double.Epsilon, float.Epsilon, -float.Epsilon, 1e30, -1e30,
        float.MaxValue, -float.MaxValue, 1e300, -1e300, double.MaxValue, -double.MaxValue,
        double.PositiveInfinity, double.NegativeInfinity, double.NaN,
        0.55, 0.625, 0.84375, 1.25, 2.857142857142857, 2.85715, 6, 28, 87.3, 88.8, 100, -100, 708, 745,
    ];

    /// <summary>Dense grid on [-20, 20] (step 1/512), seeded random points, log-spaced magnitudes, and special values.</summary>
    private static double[] Grid(bool forFloat)
    {
        var g = new List<double>();
        for (int k = -20 * 512; k <= 20 * 512; k++) g.Add(k / 512.0);
        var rng = new Random(2024);
        for (int k = 0; k < 4000; k++) g.Add(rng.NextDouble() * 40 - 20);
        int maxDecade = forFloat ? 38 : 300;
        for (int k = -maxDecade * 8; k <= maxDecade * 8; k++)
        {
            double m = Math.Pow(10, k / 8.0);
            g.Add(m);
            g.Add(-m);
        }
        g.AddRange(Specials);
        foreach (double s in Specials) g.Add(-s);
        if (forFloat) return g.Select(v => (double)(float)v).ToArray();
        return [.. g];
    }

    private static readonly double[] GridD = Grid(forFloat: false);
    private static readonly double[] GridF = Grid(forFloat: true);

    // ------------------------------------------------------------------ accuracy

    private static double FloatUlp(double v)
    {
        float f = (float)Math.Abs(v);
        if (float.IsInfinity(f)) f = float.MaxValue;
        return (double)MathF.BitIncrement(f) - f;
    }

    private static bool SameNaNAndInf(double y, double r) =>
        double.IsNaN(y) == double.IsNaN(r) && (!double.IsInfinity(r) || y == r);

    /// <summary>
    /// Condition number of x -> sigmoid(2u(x)) with respect to relative error in u: the rounding of the tanh-GELU
    /// argument u is amplified by this much (about |2u| for negative x, e.g. 3.7 at x = -2 and 59 at x = -8.6).
    /// </summary>
    private static double GeluTanhCondition(double x)
    {
        double v = 2 * GeluTanhU(x);
        return double.IsFinite(v) ? Math.Abs(v) * (1 - RefSigmoid(v)) : 0;
    }

    /// <summary>
    /// Asserts |f32(x) - ref(x)| &lt;= absTol + ulpTol * ulp_float(ref) * (1 + condition(x)) over the float grid;
    /// returns the worst errors.
    /// </summary>
    private (double maxAbs, double maxUlp) CheckFloat(Fn fn, double absTol, double ulpTol, Func<double, double>? condition = null)
    {
        double maxAbs = 0, maxUlp = 0, worstX = 0;
        foreach (double xd in GridF)
        {
            float x = (float)xd;
            double r = fn.Reference(x), y = fn.F32(x);
            Assert.IsTrue(SameNaNAndInf(y, r), $"{fn.Name}(float {x:R}) = {y:R}, expected {r:R}");
            if (double.IsNaN(r) || double.IsInfinity(r)) continue;
            double err = Math.Abs(y - r), ulps = err / FloatUlp(r);
            maxAbs = Math.Max(maxAbs, err);
            double scaled = ulps / (1 + (condition?.Invoke(x) ?? 0));
            if (err > absTol && scaled > maxUlp) (maxUlp, worstX) = (scaled, x);
            Assert.IsTrue(err <= absTol + ulpTol * FloatUlp(r) * (1 + (condition?.Invoke(x) ?? 0)),
                $"{fn.Name}(float {x:R}) = {y:R}, reference {r:R}: error {err:E3} = {ulps:F2} ulp");
        }
        TestContext.WriteLine($"{fn.Name} float: max abs error {maxAbs:E3}, max {maxUlp:F2} ulp at x = {worstX:R} (where error > absTol{(condition is null ? "" : ", divided by 1 + condition")})");
        return (maxAbs, maxUlp);
    }

    /// <summary>Asserts |f64(x) - ref(x)| &lt;= absTol + relTol * |ref| * (1 + condition(x)) over the double grid.</summary>
    private void CheckDouble(Fn fn, double absTol, double relTol, Func<double, double>? condition = null)
    {
        double maxAbs = 0, maxRel = 0, worstX = 0;
        foreach (double x in GridD)
        {
            double r = fn.Reference(x), y = fn.F64(x);
            Assert.IsTrue(SameNaNAndInf(y, r), $"{fn.Name}(double {x:R}) = {y:R}, expected {r:R}");
            if (double.IsNaN(r) || double.IsInfinity(r)) continue;
            double err = Math.Abs(y - r);
            maxAbs = Math.Max(maxAbs, err);
            double scaled = err / Math.Abs(r) / (1 + (condition?.Invoke(x) ?? 0));
            if (err > absTol && scaled > maxRel) (maxRel, worstX) = (scaled, x);
            Assert.IsTrue(err <= absTol + relTol * Math.Abs(r) * (1 + (condition?.Invoke(x) ?? 0)),
                $"{fn.Name}(double {x:R}) = {y:R}, reference {r:R}: error {err:E3}, relative {err / Math.Abs(r):E3}");
        }
        TestContext.WriteLine($"{fn.Name} double: max abs error {maxAbs:E3}, max relative error {maxRel:E3} at x = {worstX:R} (where error > absTol{(condition is null ? "" : ", divided by 1 + condition")})");
    }

    // The absolute parts cover results that VectorMath flushes to +0 (exp below exp(-84) in float, exp(-700) in
    // double) and, for the derivatives, the cancellation at their root near x = -0.75; the ulp/relative parts are the
    // real bounds. GeluTanh(Grad) bounds scale with the conditioning of x -> sigmoid(2u(x)).
    [TestMethod] public void TanhFloat() => CheckFloat(Tanh, 0, 2);
    [TestMethod] public void SigmoidFloat() => CheckFloat(Sigmoid, 3.4e-37, 3);
    [TestMethod] public void ErfFloat() => Assert.IsTrue(CheckFloat(Erf, 0, 1).maxAbs <= 1e-7);
    [TestMethod] public void GeluFloat() => CheckFloat(Gelu, 4e-37, 5);
    [TestMethod] public void GeluTanhFloat() => CheckFloat(GeluTanh, 4e-36, 3, GeluTanhCondition);
    [TestMethod] public void GeluGradFloat() => CheckFloat(GeluGrad, 1.5e-7, 4);
    [TestMethod] public void GeluTanhGradFloat() => CheckFloat(GeluTanhGrad, 1.5e-7, 4, GeluTanhCondition);

    [TestMethod] public void TanhDouble() => CheckDouble(Tanh, 0, 6e-16);
    [TestMethod] public void SigmoidDouble() => CheckDouble(Sigmoid, 1e-304, 6e-16);
    [TestMethod] public void ErfDouble() => CheckDouble(Erf, 0, 4e-16);
    [TestMethod] public void GeluDouble() => CheckDouble(Gelu, 1e-304, 1.5e-15);
    [TestMethod] public void GeluTanhDouble() => CheckDouble(GeluTanh, 1e-300, 1e-15, GeluTanhCondition);
    [TestMethod] public void GeluGradDouble() => CheckDouble(GeluGrad, 5e-16, 1e-15);
    [TestMethod] public void GeluTanhGradDouble() => CheckDouble(GeluTanhGrad, 5e-16, 1e-15, GeluTanhCondition);

    // ------------------------------------------------------------------ special values

    private static void Same(double expected, double actual, string what) =>
        Assert.IsTrue(expected.Equals(actual) && double.IsNegative(expected) == double.IsNegative(actual),
            $"{what}: expected {expected:R}, got {actual:R}");

    [TestMethod]
    public void SpecialValues()
    {
        double inf = double.PositiveInfinity;
        foreach (Fn fn in All)
        {
            Assert.IsTrue(double.IsNaN(fn.F64(double.NaN)) && float.IsNaN(fn.F32(float.NaN)), $"{fn.Name}(NaN)");
        }
        foreach (double s in new[] { 1.0, -1.0 })
        {
            Same(s * 0.0, VectorMath.Tanh(s * 0.0), "tanh(±0)");
            Same(s * 0.0, VectorMath.Tanh((float)(s * 0.0)), "tanhf(±0)");
            Same(s * 1e-30, VectorMath.Tanh(s * 1e-30), "tanh(±1e-30)");
            Same((float)(s * 1e-30), VectorMath.Tanh((float)(s * 1e-30)), "tanhf(±1e-30)");
            Same(s, VectorMath.Tanh(s * inf), "tanh(±inf)");
            Same(s, VectorMath.Tanh((float)(s * inf)), "tanhf(±inf)");
            Same(s, VectorMath.Tanh(s * 1e30), "tanh(±1e30)");
            Same(s, VectorMath.Tanh(s * 1e300), "tanh(±1e300)");
            Same(s * 0.0, VectorMath.Erf(s * 0.0), "erf(±0)");
            Same(s * 0.0, VectorMath.Erf((float)(s * 0.0)), "erff(±0)");
            Same(s, VectorMath.Erf(s * inf), "erf(±inf)");
            Same(s, VectorMath.Erf((float)(s * inf)), "erff(±inf)");
            Same(s, VectorMath.Erf(s * 1e300), "erf(±1e300)");
            Assert.AreEqual(s * 1.1283791670955125739e-30, VectorMath.Erf(s * 1e-30), 3e-46, "erf(±1e-30)");
            Assert.AreEqual(s * 1.1283791670955125739e-30, VectorMath.Erf((float)(s * 1e-30)), 2e-37, "erff(±1e-30)");
        }
        Same(1, VectorMath.Sigmoid(100.0), "sigmoid(100)");
        Same(1, VectorMath.Sigmoid(100f), "sigmoidf(100)");
        Same(1, VectorMath.Sigmoid(inf), "sigmoid(inf)");
        Same(0, VectorMath.Sigmoid(-inf), "sigmoid(-inf)");
        Same(0.5, VectorMath.Sigmoid(-0.0), "sigmoid(-0)");
        Assert.AreEqual(3.7200759760208361e-44, VectorMath.Sigmoid(-100.0), 1e-59, "sigmoid(-100)");
        float sf = VectorMath.Sigmoid(-100f);
        Assert.IsTrue(sf >= 0 && sf < 1e-38f, $"sigmoidf(-100) = {sf}");
        Same(inf, VectorMath.Gelu(inf), "gelu(inf)");
        Same(double.NaN, VectorMath.Gelu(-inf), "gelu(-inf) is NaN, as PyTorch's -inf·0");
        Same(-0.0, VectorMath.Gelu(-0.0), "gelu(-0)");
        Same(-0.0, VectorMath.Gelu(-1e30f), "geluf(-1e30)");
        Same(1e30f, VectorMath.Gelu(1e30f), "geluf(1e30)");
        Same(inf, VectorMath.GeluTanh(inf), "geluTanh(inf)");
        Same(double.NaN, VectorMath.GeluTanh(-inf), "geluTanh(-inf)");
        Same(double.NaN, VectorMath.GeluTanh((float)-inf), "geluTanhf(-inf)");
        Same(-0.0, VectorMath.GeluTanh(-1e30), "geluTanh(-1e30)");
        Same(1e30, VectorMath.GeluTanh(1e30), "geluTanh(1e30)");
        Same(double.NaN, VectorMath.GeluGrad(inf), "geluGrad(inf)");
        Same(double.NaN, VectorMath.GeluGrad(-inf), "geluGrad(-inf)");
        Same(double.NaN, VectorMath.GeluTanhGrad(inf), "geluTanhGrad(inf)");
        Same(double.NaN, VectorMath.GeluTanhGrad(-inf), "geluTanhGrad(-inf)");
        Same(1, VectorMath.GeluGrad(1e30), "geluGrad(1e30)");
        Same(1, VectorMath.GeluTanhGrad(1e30f), "geluTanhGradf(1e30)");
        Same(0.5, VectorMath.GeluGrad(0.0), "geluGrad(0)");
        Same(0.5, VectorMath.GeluTanhGrad(0f), "geluTanhGradf(0)");
    }

    // ------------------------------------------------------------------ vector and span forms agree with scalar

    /// <summary>Same bits, except that any two NaNs match (x64 NaN payloads depend on operand order).</summary>
    private static bool BitEqual(float a, float b) =>
        BitConverter.SingleToInt32Bits(a) == BitConverter.SingleToInt32Bits(b) || (float.IsNaN(a) && float.IsNaN(b));
    private static bool BitEqual(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    [TestMethod]
    public void VectorOverloadsMatchScalarBitForBit()
    {
        // Every third grid point plus all specials: enough to exercise every piece in every lane position.
        double[] Sample(double[] grid) => [.. grid.Where((_, k) => k % 3 == 0), .. Specials, .. Specials.Select(v => -v)];
        float[] xf = Sample(GridF).Select(v => (float)v).ToArray();
        double[] xd = Sample(GridD);
        foreach (Fn fn in All)
        {
            for (int i = 0; i + 16 <= xf.Length; i += 16)
            {
                var v512 = fn.V512F(Vector512.Create(xf, i));
                var v256 = fn.V256F(Vector256.Create(xf, i));
                for (int j = 0; j < 16; j++)
                {
                    float s = fn.F32(xf[i + j]);
                    Assert.IsTrue(BitEqual(s, v512[j]), $"{fn.Name} V512<float> lane {j} at x={xf[i + j]:R}: {v512[j]:R} vs scalar {s:R}");
                    if (j < 8)
                        Assert.IsTrue(BitEqual(s, v256[j]), $"{fn.Name} V256<float> lane {j} at x={xf[i + j]:R}: {v256[j]:R} vs scalar {s:R}");
                }
            }
            for (int i = 0; i + 8 <= xd.Length; i += 8)
            {
                var v512 = fn.V512D(Vector512.Create(xd, i));
                var v256 = fn.V256D(Vector256.Create(xd, i));
                for (int j = 0; j < 8; j++)
                {
                    double s = fn.F64(xd[i + j]);
                    Assert.IsTrue(BitEqual(s, v512[j]), $"{fn.Name} V512<double> lane {j} at x={xd[i + j]:R}: {v512[j]:R} vs scalar {s:R}");
                    if (j < 4)
                        Assert.IsTrue(BitEqual(s, v256[j]), $"{fn.Name} V256<double> lane {j} at x={xd[i + j]:R}: {v256[j]:R} vs scalar {s:R}");
                }
            }
        }
    }

    private static readonly int[] Lengths = [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 100];

    [TestMethod]
    public void SpansMatchScalarLaneForLane()
    {
        var rng = new Random(12345);
        foreach (Fn fn in All.Where(f => f.SpanF is not null))
        {
            foreach (int n in Lengths)
            {
                // Mix of ordinary values and specials so that specials land in vector bodies and in tails.
                double[] src = new double[n];
                for (int i = 0; i < n; i++)
                    src[i] = i % 7 == 3 ? Specials[rng.Next(Specials.Length)] : rng.NextDouble() * 40 - 20;

                float[] xf = src.Select(v => (float)v).ToArray(), yf = new float[n], inPlaceF = (float[])xf.Clone();
                fn.SpanF!(xf, yf);
                fn.SpanF!(inPlaceF, inPlaceF);
                for (int i = 0; i < n; i++)
                {
                    float s = fn.F32(xf[i]);
                    Assert.IsTrue(BitEqual(s, yf[i]), $"{fn.Name} float span n={n} i={i} x={xf[i]:R}: {yf[i]:R} vs scalar {s:R}");
                    Assert.IsTrue(BitEqual(s, inPlaceF[i]), $"{fn.Name} float in-place n={n} i={i}");
                }

                double[] yd = new double[n], inPlaceD = (double[])src.Clone();
                fn.SpanD!(src, yd);
                fn.SpanD!(inPlaceD, inPlaceD);
                for (int i = 0; i < n; i++)
                {
                    double s = fn.F64(src[i]);
                    Assert.IsTrue(BitEqual(s, yd[i]), $"{fn.Name} double span n={n} i={i} x={src[i]:R}: {yd[i]:R} vs scalar {s:R}");
                    Assert.IsTrue(BitEqual(s, inPlaceD[i]), $"{fn.Name} double in-place n={n} i={i}");
                }
            }
        }
    }

    [TestMethod]
    public void SpanLengthMismatchThrowsNamingFunction()
    {
        foreach (Fn fn in All.Where(f => f.SpanF is not null))
        {
            var ef = Assert.ThrowsExactly<ArgumentException>(() => fn.SpanF!(new float[5], new float[4]));
            StringAssert.Contains(ef.Message, fn.Name);
            var ed = Assert.ThrowsExactly<ArgumentException>(() => fn.SpanD!(new double[3], new double[4]));
            StringAssert.Contains(ed.Message, fn.Name);
        }
        float[] buffer = new float[20];
        var overlap = Assert.ThrowsExactly<ArgumentException>(() => VectorMath.Tanh(buffer.AsSpan(0, 10), buffer.AsSpan(5, 10)));
        StringAssert.Contains(overlap.Message, "Tanh");
    }

    // ------------------------------------------------------------------ derivatives vs central differences

    private static void CheckDerivative(string name, Func<double, double> f, Func<double, double> df)
    {
        for (double x = -10; x <= 10; x += 0.01)
        {
            double h = 1e-5 * Math.Max(1, Math.Abs(x));
            double fd = (f(x + h) - f(x - h)) / (2 * h);
            double d = df(x);
            Assert.IsTrue(Math.Abs(fd - d) <= 2e-9 * Math.Max(1, Math.Abs(x)), $"{name}({x:R}) = {d:R}, central difference {fd:R}");
        }
    }

    [TestMethod]
    public void GeluGradMatchesCentralDifference() =>
        CheckDerivative("GeluGrad", VectorMath.Gelu, VectorMath.GeluGrad);

    [TestMethod]
    public void GeluTanhGradMatchesCentralDifference() =>
        CheckDerivative("GeluTanhGrad", VectorMath.GeluTanh, VectorMath.GeluTanhGrad);
}
