using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Elementwise ops at NaN, ±inf, ±0, tiny and huge values, forward and gradient, against PyTorch's documented kernels
/// and derivative formulas (derivatives.yaml) evaluated in float64. One table row per op; every value runs alone (the
/// scalar path) and inside a 37-element vector (vector lanes and the tail), in float32 and float64. NaN must meet NaN,
/// infinities and zero signs must match exactly, finite values to a few ulp.
/// </summary>
[TestClass]
public class ParityElementwiseTests
{
    internal static readonly double[] Specials =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1, -1, 0.5, -2.5, 1e-40, -1e-40, 3e38, -3e38, 1e-30];

    private const double InvSqrtPi2 = 1.1283791670955126;   // 2/√π

    /// <summary>Φ at the finite table points (from high-precision tables), and the limits.</summary>
    private static double Phi(double x) => x switch
    {
        1 => 0.8413447460685429, -1 => 0.15865525393145707, 0.5 => 0.6914624612740131, -2.5 => 0.006209665325776132,
        _ when double.IsNaN(x) => double.NaN,
        _ when Math.Abs(x) < 1e-20 => 0.5 + x * 0.3989422804014327,
        _ => x > 0 ? 1 : 0,
    };

    private static double Erf(double x) => x switch
    {
        1 => 0.8427007929497149, -1 => -0.8427007929497149, 0.5 => 0.5204998778130465, -2.5 => -0.9995930479825550,
        _ when double.IsNaN(x) => double.NaN,
        _ when Math.Abs(x) < 1e-20 => InvSqrtPi2 * x,
        _ => Math.Sign(x),
    };

    /// <summary>Float32 cases evaluate the references' intermediates in float, as PyTorch's float kernels do (overflow included).</summary>
    [ThreadStatic] private static bool _single;

    private static double R(double v) => _single ? (float)v : v;

    private static double Sign(double x) => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0);   // sign(NaN) = 0, as torch.sign
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>PyTorch's relu = clamp_min(x, 0) on x86 (max_ps(0, x)): x unless 0 > x, so NaN and -0 pass through.</summary>
    private static double ClampMin(double x, double lo) => lo > x ? lo : x;
    private static double ClampMax(double x, double hi) => hi < x ? hi : x;

    /// <summary>GELU (tanh) as PyTorch's kernel: 0.5·x·(1 + tanh(β(x + κx³))).</summary>
    private static double GeluTanh(double x)
    {
        const double beta = 0.7978845608028654, kappa = 0.044715;
        return 0.5 * x * (1 + Math.Tanh(beta * (x + kappa * x * x * x)));
    }

    private static double GeluTanhGrad(double x)
    {
        const double beta = 0.7978845608028654, kappa = 0.044715;
        double t = Math.Tanh(beta * (x + kappa * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * beta * (1 + 3 * kappa * x * x);
    }

    /// <summary>Op name → (Trace op, PyTorch forward, PyTorch derivative at x for an incoming gradient of 1).</summary>
    internal static readonly Dictionary<string, (Func<Tensor, Tensor> Op, Func<double, double> F, Func<double, double>? Grad)> Unary = new()
    {
        ["neg"] = (x => x.Neg(), x => -x, _ => -1),
        ["abs"] = (x => x.Abs(), Math.Abs, Sign),
        ["relu"] = (x => x.Relu(), x => ClampMin(x, 0), x => ClampMin(x, 0) <= 0 ? 0 : 1),   // threshold_backward(grad, result, 0)
        ["square"] = (x => x.Square(), x => x * x, x => 2 * x),
        ["exp"] = (x => x.Exp(), Math.Exp, Math.Exp),
        ["log"] = (x => x.Log(), Math.Log, x => 1 / x),
        ["sqrt"] = (x => x.Sqrt(), Math.Sqrt, x => 1 / (2 * Math.Sqrt(x))),
        ["rsqrt"] = (x => x.Rsqrt(), x => 1 / Math.Sqrt(x), x => -0.5 * Math.Pow(1 / Math.Sqrt(x), 3)),
        ["tanh"] = (x => x.Tanh(), Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x)),
        ["sigmoid"] = (x => x.Sigmoid(), Sigmoid, x => (1 - Sigmoid(x)) * Sigmoid(x)),
        ["erf"] = (x => x.Erf(), Erf, x => InvSqrtPi2 * Math.Exp(-x * x)),
        // PyTorch: x·0.5·(1 + erf(x/√2)), so gelu(-inf) = -inf·0 = NaN; gradient cdf + x·pdf, NaN at ±inf (inf·0).
        ["gelu"] = (x => x.Gelu(), x => double.IsNegativeInfinity(x) ? double.NaN : x * Phi(x),
            x => Phi(x) + x * (0.3989422804014327 * Math.Exp(-0.5 * x * x))),
        ["gelu_tanh"] = (x => x.Gelu(GeluApproximation.Tanh), GeluTanh, GeluTanhGrad),
        ["clamp"] = (x => x.Clamp(-0.5, 0.7), x => ClampMax(ClampMin(x, -0.5), 0.7), x => x >= -0.5 && x <= 0.7 ? 1 : 0),
        ["clamp_min_zero"] = (x => x.Clamp(min: 0), x => ClampMin(x, 0), x => x >= 0 ? 1 : 0),
        ["clamp_max_zero"] = (x => x.Clamp(max: 0), x => ClampMax(x, 0), x => x <= 0 ? 1 : 0),
        // A NaN bound fills NaN (PyTorch's clamp_out); the gradient, where(x <= NaN), is 0.
        ["clamp_nan_bound"] = (x => x.Clamp(max: double.NaN), _ => double.NaN, _ => 0),
        ["pow_3"] = (x => x.Pow(3.0), x => Math.Pow(x, 3), x => 3 * Math.Pow(x, 2)),
        ["pow_0"] = (x => x.Pow(0.0), x => Math.Pow(x, 0), _ => 0),   // pow_backward: zeros for a zero exponent
        ["pow_minus_1"] = (x => x.Pow(-1.0), x => Math.Pow(x, -1), x => -Math.Pow(x, -2)),
        ["div_by_zero"] = (x => x.Div(0.0), x => x / 0.0, _ => double.PositiveInfinity),
        ["rdiv"] = (x => 1.0 / x, x => 1 / x, x => -((1 / x) / x)),
        ["mul_zero"] = (x => x.Mul(0.0), x => x * 0.0, _ => 0),
        ["sign"] = (x => x.Sign(), Sign, null),
    };

    /// <summary>Op name → (Trace op, PyTorch forward, PyTorch derivatives for self and other).</summary>
    internal static readonly Dictionary<string, (Func<Tensor, Tensor, Tensor> Op, Func<double, double, double> F, Func<double, double, double> GradA, Func<double, double, double> GradB)> Binary = new()
    {
        ["add"] = ((a, b) => a.Add(b), (x, y) => x + y, (_, _) => 1, (_, _) => 1),
        ["sub"] = ((a, b) => a.Sub(b), (x, y) => x - y, (_, _) => 1, (_, _) => -1),
        ["mul"] = ((a, b) => a.Mul(b), (x, y) => x * y, (_, y) => y, (x, _) => x),
        ["div"] = ((a, b) => a.Div(b), (x, y) => x / y, (_, y) => 1 / y, (x, y) => -((x / y) / y)),
        // maximum/minimum propagate NaN; gradient where(a == b, g/2, g) masked where the other side wins — so at a NaN
        // both sides get the full gradient.
        ["maximum"] = ((a, b) => a.Maximum(b), (x, y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Max(x, y),
            (x, y) => x < y ? 0 : x == y ? 0.5 : 1, (x, y) => x > y ? 0 : x == y ? 0.5 : 1),
        ["minimum"] = ((a, b) => a.Minimum(b), (x, y) => double.IsNaN(x) || double.IsNaN(y) ? double.NaN : Math.Min(x, y),
            (x, y) => x > y ? 0 : x == y ? 0.5 : 1, (x, y) => x < y ? 0 : x == y ? 0.5 : 1),
        // pow_backward_self: 0 where the exponent is 0; pow_backward_exponent: 0 where base == 0 and exponent >= 0.
        ["pow"] = ((a, b) => a.Pow(b), Math.Pow, (x, y) => y == 0 ? 0 : y * R(Math.Pow(x, R(y - 1))),
            (x, y) => y >= 0 && x == 0 ? 0 : R(Math.Pow(x, y)) * R(Math.Log(x))),
    };

    public static IEnumerable<object[]> UnaryNames() => Unary.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> BinaryNames() => Binary.Keys.Select(k => new object[] { k });

    /// <summary>NaN meets NaN; infinities and zeros (with their signs) exactly; finite values within rtol (or 1e-300 absolute).</summary>
    internal static bool Same(double expected, double actual, double rtol) =>
        double.IsNaN(expected) ? double.IsNaN(actual)
        : double.IsInfinity(expected) || expected == 0 ? expected == actual && double.IsNegative(expected) == double.IsNegative(actual)
        : Math.Abs(actual - expected) <= rtol * Math.Abs(expected) + 1e-300;

    private static double Round(double v, DType dt) => dt == DType.Float32 ? (float)v : v;

    private static double Tol(DType dt) => dt == DType.Float32 ? 2e-6 : 1e-13;

    /// <summary>Each special value alone, then all of them cycled through a 37-element vector.</summary>
    private static IEnumerable<(string Where, double[] X)> Layouts(double[] values, DType dt)
    {
        var v = values.Select(x => Round(x, dt)).ToArray();
        foreach (var x in v) yield return ($"alone {x:R}", [x]);
        yield return ("in a vector", Enumerable.Range(0, 37).Select(i => v[i % v.Length]).ToArray());
    }

    private static void Expect(List<string> failures, string what, double[] x, double[] expected, double[] got, double rtol)
    {
        for (int i = 0; i < x.Length; i++)
            if (!Same(expected[i], got[i], rtol))
                failures.Add($"{what} at x = {x[i]:R} (element {i} of {x.Length}): PyTorch gives {expected[i]:R}, Trace {got[i]:R}");
    }

    /// <summary>Fails with every mismatch found (the first 40), so that one run shows the whole pattern.</summary>
    internal static void AssertNone(List<string> failures)
    {
        if (failures.Count > 0) Assert.Fail($"{failures.Count} mismatches:\n" + string.Join("\n", failures.Take(40)));
    }

    [TestMethod]
    [DynamicData(nameof(UnaryNames))]
    public void UnaryOpsMatchPyTorchAtSpecialValues(string name)
    {
        var (op, f, grad) = Unary[name];
        var failures = new List<string>();
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
            foreach (var (where, x) in Layouts(Specials, dt))
            {
                _single = dt == DType.Float32;
                var t = Tensor.From(x).To(dt).RequiresGrad_();
                var y = op(t);
                Expect(failures, $"{name} {dt} {where}", x, x.Select(v => Round(f(v), dt)).ToArray(), y.ToArray<double>(), Tol(dt));
                if (grad is null) continue;
                y.Backward(Tensor.Ones([x.Length], dt));
                Expect(failures, $"d {name} {dt} {where}", x, x.Select(v => Round(grad(v), dt)).ToArray(), t.Grad!.ToArray<double>(), Tol(dt) * 4);
            }
        AssertNone(failures);
    }

    [TestMethod]
    [DynamicData(nameof(BinaryNames))]
    public void BinaryOpsMatchPyTorchAtSpecialValues(string name)
    {
        var (op, f, ga, gb) = Binary[name];
        var pairs = (from a in Specials from b in Specials select (a, b)).ToArray();
        var failures = new List<string>();
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            _single = dt == DType.Float32;
            var x = pairs.Select(p => Round(p.a, dt)).ToArray();
            var z = pairs.Select(p => Round(p.b, dt)).ToArray();
            var a = Tensor.From(x).To(dt).RequiresGrad_();
            var b = Tensor.From(z).To(dt).RequiresGrad_();
            var y = op(a, b);
            var what = $"{name} {dt}";
            var got = y.ToArray<double>();
            for (int i = 0; i < x.Length; i++)
                if (!Same(Round(f(x[i], z[i]), dt), got[i], Tol(dt)))
                    failures.Add($"{what}({x[i]:R}, {z[i]:R}): PyTorch gives {Round(f(x[i], z[i]), dt):R}, Trace {got[i]:R}");
            y.Backward(Tensor.Ones([x.Length], dt));
            var (gotA, gotB) = (a.Grad!.ToArray<double>(), b.Grad!.ToArray<double>());
            for (int i = 0; i < x.Length; i++)
            {
                if (!Same(Round(ga(x[i], z[i]), dt), gotA[i], Tol(dt) * 4))
                    failures.Add($"d{what}/da at ({x[i]:R}, {z[i]:R}): PyTorch gives {Round(ga(x[i], z[i]), dt):R}, Trace {gotA[i]:R}");
                if (!Same(Round(gb(x[i], z[i]), dt), gotB[i], Tol(dt) * 4))
                    failures.Add($"d{what}/db at ({x[i]:R}, {z[i]:R}): PyTorch gives {Round(gb(x[i], z[i]), dt):R}, Trace {gotB[i]:R}");
            }
        }
        AssertNone(failures);
    }
}
