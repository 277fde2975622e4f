using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>
/// Every overload of each op family (tensor, double and long operands on either side, optional bounds, scalar
/// branches of where) through the compiled backward, against the eager tape, in float64.
/// </summary>
[TestClass]
public class OverloadBackwardTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Cases = new()
    {
        ["pow(x, 3.0)"] = x => x[0].Pow(3.0),
        ["pow(x, -1.5)"] = x => x[1].Pow(-1.5),
        ["pow(x, 0.5)"] = x => x[1].Pow(0.5),
        ["pow(x, 1.0)"] = x => x[0].Pow(1.0),
        ["pow(x, 2.0)"] = x => x[0].Pow(2.0),
        ["pow(x, 3L)"] = x => x[0].Pow(3L),
        ["pow(x, 0L)"] = x => x[0].Pow(0L).Add(x[0]),
        ["pow(x, y)"] = x => x[1].Pow(x[0]),
        ["pow(x, 2-dim exponent)"] = x => x[1].Pow(x[0].Mul(0.5).Add(1.0)),
        ["2.0 + x"] = x => 2.0 + x[0],
        ["2.0 - x"] = x => 2.0 - x[0],
        ["2.0 * x"] = x => 2.0 * x[0],
        ["2.0 / x"] = x => 2.0 / x[1],
        ["x + 2L"] = x => x[0].Add(2L),
        ["x - 2L"] = x => x[0].Sub(2L),
        ["x * 3L"] = x => x[0].Mul(3L),
        ["x / 4.0"] = x => x[0] / 4.0,
        ["x * 0-dim"] = x => x[0].Mul(x[1].Sum()),
        ["clamp(min)"] = x => x[0].Clamp(min: -0.5),
        ["clamp(max)"] = x => x[0].Clamp(max: 0.5),
        ["clamp(min, max)"] = x => x[0].Clamp(-0.3, 0.3),
        ["where(c, x, 0.5)"] = x => Tensor.Where(x[0].Gt(0.0), x[0], 0.5),
        ["where(c, 0.5, x)"] = x => Tensor.Where(x[0].Gt(0.0), 0.5, x[0]),
        ["where(c, x, y)"] = x => Tensor.Where(x[0].Ge(0.1), x[0] * 2.0, x[1].Square()),
        ["masked_fill(x, m, 1.5)"] = x => x[0].MaskedFill(x[0].Lt(0.0), 1.5),
        ["maximum(x, y)"] = x => x[0].Maximum(x[1]),
        ["minimum(x, y)"] = x => x[0].Minimum(x[1]),
        ["var(correction 0)"] = x => x[0].Var([1], correction: 0),
        ["std(keepdim)"] = x => x[0].Std([1], keepdim: true).Mul(x[1]),
        ["logsumexp"] = x => x[0].LogSumExp(1),
        ["mean(dims)"] = x => x[0].Mean([0, 1]),
        ["sum(dim, keepdim) * x"] = x => x[0].Sum(0, keepdim: true).Mul(x[0]),
        ["prod(dim)"] = x => x[1].Prod(1),
        ["amax(dims)"] = x => x[0].Amax([1]),
        ["max(dim)"] = x => x[0].Max(1, keepdim: false).Values,
        ["rsqrt"] = x => x[1].Rsqrt(),
        ["abs/neg"] = x => x[0].Abs().Neg(),
        ["to(float32) and back"] = x => x[0].To(DType.Float32).To(DType.Float64).Mul(x[0]),
    };

    public static IEnumerable<object[]> Names() => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void CompiledBackwardMatchesEager(string name)
    {
        var g = new Generator((ulong)name.GetHashCode() & 0xFFFF);
        // x[0]: any sign; x[1]: positive (bases of fractional powers, divisors).
        Tensor[] Make() => [Tensor.Randn([3, 4], DType.Float64, g), Tensor.Rand([3, 4], DType.Float64, g).Add(0.5)];
        AutodiffTests.CheckCompiledGradients(Cases[name], Make(), [Make(), Make()]);
    }
}
