using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>
/// Fused kernels equal eager execution bit for bit at NaN, ±inf, ±0, tiny and huge values — outputs and gradients —
/// so that tracing never changes the PyTorch semantics the eager kernels implement (relu(-0) = -0, NaN through relu,
/// clamp and maximum, gelu(-inf) = NaN...).
/// </summary>
[TestClass]
public class ParityFusionTests
{
    private static readonly double[] Specials =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1, -1, 0.5, -2.5, 1e-40, -1e-40, 3e38, -3e38, 1e-30];

    /// <summary>Each op sits between two multiplications by 1 (which keep NaN and -0), so it runs inside a fusion group.</summary>
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["relu"] = v => (v[0] * 1.0).Relu() * 1.0,
        ["clamp"] = v => (v[0] * 1.0).Clamp(-0.5, 0.7) * 1.0,
        ["clamp_min_zero"] = v => (v[0] * 1.0).Clamp(min: 0) * 1.0,
        ["clamp_nan_bound"] = v => (v[0] * 1.0).Clamp(max: double.NaN) * 1.0,
        ["maximum"] = v => (v[0] * 1.0).Maximum(v[1]) * 1.0,
        ["minimum"] = v => (v[0] * 1.0).Minimum(v[1]) * 1.0,
        ["gelu"] = v => (v[0] * 1.0).Gelu() * 1.0,
        ["gelu_tanh"] = v => (v[0] * 1.0).Gelu(GeluApproximation.Tanh) * 1.0,
        ["tanh_sigmoid"] = v => (v[0] * 1.0).Tanh() * (v[0] * 1.0).Sigmoid(),
        ["exp_log"] = v => (v[0] * 1.0).Exp() + (v[0] * 1.0).Log(),
        ["sqrt_rsqrt_abs"] = v => (v[0] * 1.0).Sqrt() + (v[0] * 1.0).Rsqrt() + (v[0] * 1.0).Abs(),
        ["div_erf"] = v => (v[0] * 1.0) / v[1] + (v[0] * 1.0).Erf(),
        ["where_nan"] = v => Tensor.Where((v[0] * 1.0).Gt(v[1]), v[0] * 2.0, v[1] * 1.0),
    };

    public static IEnumerable<object[]> Names() => Ops.Keys.Select(k => new object[] { k });

    private static bool Identical(double a, double b) => double.IsNaN(a) ? double.IsNaN(b) : a.Equals(b) && double.IsNegative(a) == double.IsNegative(b);

    private static (double[] Out, double[][] Grads) Run(Func<Tensor[], Tensor> f, double[][] values, DType dt)
    {
        var xs = values.Select(v => Tensor.From(v).To(dt).RequiresGrad_()).ToArray();
        var y = f(xs);
        y.Backward(Tensor.Ones([values[0].Length], dt));
        return (y.ToArray<double>(), xs.Select(x => x.Grad?.ToArray<double>() ?? new double[values[0].Length]).ToArray());
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void FusedEqualsEagerAtSpecialValues(string name)
    {
        var f = Ops[name];
        var pairs = (from a in Specials from b in Specials select (a, b)).ToArray();
        double[][] values = [pairs.Select(p => p.a).ToArray(), pairs.Select(p => p.b).ToArray()];
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
        {
            // The trace check runs too: it compares NaN and infinity positions exactly (torch.isclose), so special values trace.
            var traced = Jit.Trace(f, values.Select(v => Tensor.From(v).To(dt).RequiresGrad_()).ToArray());
            var code = traced.GeneratedCode + traced.Differentiable?.Forward + traced.Graph;
            StringAssert.Contains(code, "prim::FusionGroup", "the op is fused");
            var (eagerOut, eagerGrads) = Run(f, values, dt);
            var (tracedOut, tracedGrads) = Run(x => traced.Call(x)[0], values, dt);
            for (int i = 0; i < eagerOut.Length; i++)
                if (!Identical(eagerOut[i], tracedOut[i]))
                    Assert.Fail($"{name} {dt} at ({values[0][i]:R}, {values[1][i]:R}): eager {eagerOut[i]:R}, fused {tracedOut[i]:R}\n{traced.GeneratedCode}");
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < eagerOut.Length; i++)
                    if (!Identical(eagerGrads[k][i], tracedGrads[k][i]))
                        Assert.Fail($"d{name}/d{k} {dt} at ({values[0][i]:R}, {values[1][i]:R}): eager {eagerGrads[k][i]:R}, traced {tracedGrads[k][i]:R}");
        }
    }
}
