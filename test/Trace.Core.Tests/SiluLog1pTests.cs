using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>silu and log1p (the two ops added through the op table alone) against float64 references, at special values, and under gradcheck.</summary>
[TestClass]
public class SiluLog1pTests
{
    /// <summary>
    /// log(1 + x) in float64: 2·atanh(x / (2 + x)) for |x| &lt; 0.5 (no 1 + x formed; |x / (2 + x)| ≤ 1/3 keeps atanh well
    /// conditioned), else log(1 + x) (1 + x is exact below -0.5, and rounds harmlessly above 0.5).
    /// </summary>
    private static double Log1pRef(double x) => Math.Abs(x) < 0.5 ? 2 * Math.Atanh(x / (2 + x)) : Math.Log(1 + x);

    private static double SiluRef(double x) => x / (1 + Math.Exp(-x));

    private static double[] Inputs(int n, double lo, double hi, int seed)
    {
        var rng = new Random(seed);
        var xs = new double[n];
        for (int i = 0; i < n; i++)
        {
            // Magnitudes spread over many binades, so tiny |x| (where log(1 + x) would lose digits) are covered too.
            double mag = Math.Pow(10, lo + (hi - lo) * rng.NextDouble());
            xs[i] = rng.Next(2) == 0 ? mag : -Math.Min(mag, 0.999);
        }
        return xs;
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void Log1pMatchesTheReferenceAcrossBinades(DType dt)
    {
        foreach (int n in new[] { 1, 7, 37, 5000 })
        {
            var xs = Inputs(n, -12, 3, n);
            var x = Tensor.From(xs).To(dt);
            var got = x.Log1p().To(DType.Float64).ToArray<double>();
            var exact = x.To(DType.Float64).ToArray<double>();
            double tol = dt == DType.Float32 ? 1.2e-7 : 2e-15;   // float64: a few ulps (Goldberg's correction over Vector.Log)
            for (int i = 0; i < n; i++)
            {
                double want = Log1pRef(exact[i]);
                Assert.IsTrue(Math.Abs(got[i] - want) <= tol * Math.Abs(want), $"log1p({exact[i]:R}) = {got[i]:R}, want {want:R} ({dt.TorchName()}, n={n})");
            }
        }
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void SiluMatchesTheReference(DType dt)
    {
        foreach (int n in new[] { 1, 9, 37, 5000 })
        {
            var xs = Inputs(n, -6, 1.5, n + 1);
            var x = Tensor.From(xs).To(dt);
            var got = x.Silu().To(DType.Float64).ToArray<double>();
            var exact = x.To(DType.Float64).ToArray<double>();
            double tol = dt == DType.Float32 ? 3e-7 : 2e-15;
            for (int i = 0; i < n; i++)
            {
                double want = SiluRef(exact[i]);
                Assert.IsTrue(Math.Abs(got[i] - want) <= tol * Math.Abs(want) + 1e-300, $"silu({exact[i]:R}) = {got[i]:R}, want {want:R} ({dt.TorchName()}, n={n})");
            }
        }
    }

    [TestMethod]
    public void SpecialValuesFollowPyTorch()
    {
        var x = Tensor.From(new[] { -1.0, -2.0, double.PositiveInfinity, double.NaN, -0.0, 0.0, double.NegativeInfinity });
        var l = x.Log1p().ToArray<double>();
        Assert.AreEqual(double.NegativeInfinity, l[0]);
        Assert.IsTrue(double.IsNaN(l[1]) && double.IsNaN(l[3]) && double.IsNaN(l[6]));
        Assert.AreEqual(double.PositiveInfinity, l[2]);
        Assert.IsTrue(l[4] == 0 && double.IsNegative(l[4]), "log1p(-0) is -0");
        Assert.IsTrue(l[5] == 0 && !double.IsNegative(l[5]));
        var s = x.Silu().ToArray<double>();
        Assert.AreEqual(-1 / (1 + Math.E), s[0], 1e-15);
        Assert.AreEqual(double.PositiveInfinity, s[2]);
        Assert.IsTrue(double.IsNaN(s[3]) && double.IsNaN(s[6]), "silu(NaN) and silu(-inf) = -inf·0 are NaN");
    }

    [TestMethod]
    public void IntegerInputsGiveFloat32AndStridedInputsWork()
    {
        var i = Tensor.Arange(0, 6).Reshape(2, 3);
        Assert.AreEqual(DType.Float32, i.Log1p().DType);
        Assert.AreEqual(DType.Float32, i.Silu().DType);
        var x = Tensor.Randn([4, 5], DType.Float64, new Generator(4));
        var t = x.T;   // not contiguous
        CollectionAssert.AreEqual(t.Contiguous().Log1p().Abs().ToArray<double>(), t.Log1p().Abs().ToArray<double>());
        CollectionAssert.AreEqual(t.Contiguous().Silu().ToArray<double>(), t.Silu().ToArray<double>());
    }

    [TestMethod]
    public void GradientsPassGradcheck()
    {
        var g = new Generator(8);
        var x = Tensor.Randn([3, 4], DType.Float64, g).RequiresGrad_();
        Assert.IsTrue(Autograd.GradCheck(v => v[0].Silu(), [x]));
        Assert.IsTrue(Autograd.GradCheck(v => v[0].Silu().Silu().Sum(), [x]), "silu's rule is itself differentiable");
        var p = Tensor.Rand([3, 4], DType.Float64, g).Add(0.1).RequiresGrad_();
        Assert.IsTrue(Autograd.GradCheck(v => v[0].Log1p(), [p]));
        Assert.IsTrue(Autograd.GradCheck(v => v[0].Log1p().Log1p(), [p]));
    }

    [TestMethod]
    public void SiLUModuleAndFunctionalForm()
    {
        var x = Tensor.Randn([2, 3], generator: new Generator(2));
        CollectionAssert.AreEqual(x.Silu().ToArray<float>(), new Nn.SiLU().Forward(x).ToArray<float>());
        CollectionAssert.AreEqual(x.Silu().ToArray<float>(), Nn.Functional.Silu(x).ToArray<float>());
    }
}
