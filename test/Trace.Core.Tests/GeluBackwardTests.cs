using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>aten::gelu_backward (one fused pass) against the closed-form derivative, and its own gradients (double backward).</summary>
[TestClass]
public class GeluBackwardTests
{
    private static double Phi(double x) => Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);

    /// <summary>GELU'(x) in float64: exact Φ(x) + xφ(x), or the tanh form's derivative.</summary>
    private static double Derivative(double x, bool tanh)
    {
        if (!tanh) return 0.5 * (1 + ElementwiseTests.ErfRef(x / Math.Sqrt(2))) + x * Phi(x);
        const double k = 0.7978845608028654, c = 0.044715;
        double t = Math.Tanh(k * (x + c * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * c * x * x);
    }

    [TestMethod]
    [DataRow(false, DType.Float64)]
    [DataRow(true, DType.Float64)]
    [DataRow(false, DType.Float32)]
    [DataRow(true, DType.Float32)]
    public void GradientIsGradTimesTheDerivative(bool tanh, DType dt)
    {
        var rng = new Random(tanh ? 1 : 2);
        foreach (int n in new[] { 1, 17, 1000, 70_001 })
        {
            var x = Reference.Random(rng, [n], dt, -9, 9).RequiresGrad_();
            var g = Reference.Random(rng, [n], dt);
            var grad = Autograd.Grad([x.Gelu(tanh ? GeluApproximation.Tanh : GeluApproximation.None)], [x], [g])[0]!;
            var xv = Reference.Values(x);
            var gv = Reference.Values(g);
            var expected = xv.Select((v, i) => gv[i] * Derivative(v, tanh)).ToArray();
            Reference.AssertClose(expected, grad, dt == DType.Float32 ? 2e-6 : 1e-13, dt == DType.Float32 ? 2e-6 : 1e-14, $"n={n}");
        }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void SecondDerivativesMatchFiniteDifferences(bool tanh)
    {
        var approx = tanh ? GeluApproximation.Tanh : GeluApproximation.None;
        var rng = new Random(3);
        var x = Reference.Random(rng, [9], DType.Float64, -4, 4);
        var w = Reference.Random(rng, [9], DType.Float64);
        // GradCheck evaluates f under NoGrad for its finite differences: f turns grad mode back on for its inner backward.
        static Tensor Leaf(Tensor t) => t.RequiresGrad ? t : t.Detach().RequiresGrad_();
        // The gradient as a function of x (through aten::gelu_backward) is itself checked against finite differences.
        Assert.IsTrue(Autograd.GradCheck(v =>
        {
            using var _ = Autograd.EnableGrad();
            var xi = Leaf(v[0]);
            return Autograd.Grad([xi.Gelu(approx).Mul(w).Sum()], [xi], createGraph: true)[0]!;
        }, [x.RequiresGrad_()]));
        // And its dependence on the incoming gradient.
        var g = Reference.Random(rng, [9], DType.Float64).RequiresGrad_();
        var xs = x.Detach().RequiresGrad_();
        Assert.IsTrue(Autograd.GradCheck(v =>
        {
            using var _ = Autograd.EnableGrad();
            return Autograd.Grad([xs.Gelu(approx)], [xs], [v[0]], createGraph: true)[0]!;
        }, [g]));
    }

    [TestMethod]
    public void MismatchedArgumentsNameTheOp()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Ones(3).GeluBackward(Tensor.Ones(4), GeluApproximation.None));
        StringAssert.Contains(e.Message, "aten::gelu_backward: gradient torch.float32 (3,) and input torch.float32 (4,)");
    }
}
