using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>The regression and binary losses against float64 loops of PyTorch's formulas, gradchecked, with their bad arguments.</summary>
[TestClass]
public class LossTests
{
    private static readonly Generator G = new(41);

    private static (Tensor X, Tensor Y, double[] Xs, double[] Ys) Pair(double scale = 2.0)
    {
        var x = Tensor.Randn([3, 5], DType.Float64, G).Mul(scale);
        var y = Tensor.Randn([3, 5], DType.Float64, G).Mul(scale);
        return (x, y, x.ToArray<double>(), y.ToArray<double>());
    }

    /// <summary>Mean, sum and the unreduced values of <paramref name="f"/> against the per-element reference <paramref name="perElement"/>.</summary>
    private static void Check(Func<Reduction, Tensor> f, double[] perElement, string what)
    {
        var none = f(Reduction.None).ToArray<double>();
        Assert.AreEqual(perElement.Length, none.Length, what);
        for (int i = 0; i < none.Length; i++) Assert.AreEqual(perElement[i], none[i], 1e-12, $"{what} element {i}");
        Assert.AreEqual(perElement.Sum(), f(Reduction.Sum).Item(), 1e-10, $"{what} sum");
        Assert.AreEqual(perElement.Average(), f(Reduction.Mean).Item(), 1e-12, $"{what} mean");
    }

    [TestMethod]
    public void RegressionLossesMatchTheirFormulas()
    {
        var (x, y, xs, ys) = Pair();
        var d = xs.Zip(ys, (a, b) => Math.Abs(a - b)).ToArray();
        Check(r => F.L1Loss(x, y, r), d, "l1");
        foreach (var beta in new[] { 0.0, 0.5, 1.0, 3.0 })
            Check(r => F.SmoothL1Loss(x, y, r, beta), [.. d.Select(v => beta == 0 ? v : v < beta ? 0.5 * v * v / beta : v - 0.5 * beta)], $"smooth_l1 beta={beta}");
        foreach (var delta in new[] { 0.5, 1.0, 3.0 })
            Check(r => F.HuberLoss(x, y, r, delta), [.. d.Select(v => v < delta ? 0.5 * v * v : delta * (v - 0.5 * delta))], $"huber delta={delta}");
        // The modules are the functional forms.
        Assert.AreEqual(F.HuberLoss(x, y, Reduction.Sum, 0.7).Item(), new HuberLoss(Reduction.Sum, 0.7).Forward(x, y).Item());
        Assert.AreEqual(F.SmoothL1Loss(x, y, Reduction.Mean, 0.7).Item(), new SmoothL1Loss(beta: 0.7).Forward(x, y).Item());
        Assert.AreEqual(F.L1Loss(x, y).Item(), new L1Loss().Forward(x, y).Item());
    }

    [TestMethod]
    public void BinaryCrossEntropyClampsItsLogsAndWeights()
    {
        // Probabilities including exact 0 and 1 (their logs clamp at −100), targets in [0, 1].
        var p = Tensor.From(new double[,] { { 0.0, 0.2, 0.5 }, { 1.0, 0.9, 0.01 } });
        var t = Tensor.From(new double[,] { { 1.0, 0.0, 0.3 }, { 0.0, 1.0, 1.0 } });
        var w = Tensor.From(new double[] { 0.5, 1.0, 2.0 });
        var (ps, ts, ws) = (p.ToArray<double>(), t.ToArray<double>(), w.ToArray<double>());
        static double ClampedLog(double v) => Math.Max(Math.Log(v), -100);
        double[] Reference(bool weighted) => [.. ps.Select((v, i) => -(ts[i] * ClampedLog(v) + (1 - ts[i]) * ClampedLog(1 - v)) * (weighted ? ws[i % 3] : 1))];
        Check(r => F.BinaryCrossEntropy(p, t, reduction: r), Reference(false), "bce");
        Check(r => F.BinaryCrossEntropy(p, t, w, r), Reference(true), "bce weighted");
        Assert.AreEqual(100.0, F.BinaryCrossEntropy(p, t, reduction: Reduction.None).ToArray<double>()[0], 1e-12, "log 0 clamps at -100");
        Assert.AreEqual(F.BinaryCrossEntropy(p, t, w).Item(), new BCELoss(w).Forward(p, t).Item());
    }

    [TestMethod]
    public void BinaryCrossEntropyWithLogitsIsStableAndWeightsPositives()
    {
        var x = Tensor.From(new double[,] { { -50.0, -2.0, 0.0, 3.0 }, { 50.0, 0.5, -0.7, 1.5 } });
        var y = Tensor.From(new double[,] { { 1.0, 0.0, 0.5, 1.0 }, { 0.0, 1.0, 0.2, 0.0 } });
        var pw = Tensor.From(new double[] { 2.0, 0.5, 1.0, 3.0 });
        var (xs, ys, pws) = (x.ToArray<double>(), y.ToArray<double>(), pw.ToArray<double>());
        // −[pw·y·log σ(x) + (1 − y)·log(1 − σ(x))], with log σ(x) = −log(1 + e^(−x)) evaluated where it does not overflow.
        static double LogSigmoid(double v) => v >= 0 ? -Math.Log(1 + Math.Exp(-v)) : v - Math.Log(1 + Math.Exp(v));
        double[] Reference(bool positives) =>
            [.. xs.Select((v, i) => -((positives ? pws[i % 4] : 1) * ys[i] * LogSigmoid(v) + (1 - ys[i]) * LogSigmoid(-v)))];
        Check(r => F.BinaryCrossEntropyWithLogits(x, y, reduction: r), Reference(false), "bce with logits");
        Check(r => F.BinaryCrossEntropyWithLogits(x, y, reduction: r, posWeight: pw), Reference(true), "bce with logits, pos_weight");
        Assert.AreEqual(50.0, F.BinaryCrossEntropyWithLogits(x, y, reduction: Reduction.None).ToArray<double>()[0], 1e-12, "x = -50, y = 1: no overflow");
        // For moderate logits it is BCE of the sigmoid.
        var m = Tensor.Randn([4, 3], DType.Float64, G);
        var target = Tensor.Rand([4, 3], DType.Float64, G);
        Assert.AreEqual(F.BinaryCrossEntropy(m.Sigmoid(), target).Item(), new BCEWithLogitsLoss().Forward(m, target).Item(), 1e-12);
    }

    [TestMethod]
    public void LossGradientsMatchFiniteDifferences()
    {
        var (x, y, _, _) = Pair(1.0);
        var w = Tensor.Rand([5], DType.Float64, G);
        var p = Tensor.Rand([3, 5], DType.Float64, G).Mul(0.9).Add(0.05);
        var t = Tensor.Rand([3, 5], DType.Float64, G);
        var cases = new (string Name, Func<Tensor[], Tensor> F, Tensor[] Inputs)[]
        {
            ("l1", v => F.L1Loss(v[0], v[1]), [x, y]),
            ("smooth_l1", v => F.SmoothL1Loss(v[0], v[1], beta: 0.8), [x, y]),
            ("huber", v => F.HuberLoss(v[0], v[1], Reduction.Sum, 0.6), [x, y]),
            ("bce", v => F.BinaryCrossEntropy(v[0], v[1], w), [p, t]),
            ("bce_with_logits", v => F.BinaryCrossEntropyWithLogits(v[0], v[1], w, posWeight: w.Add(0.5)), [x, t]),
        };
        foreach (var (name, f, inputs) in cases)
            Assert.IsTrue(Autograd.GradCheck(f, [.. inputs.Select(i => i.Clone().RequiresGrad_())]), name);
    }

    [TestMethod]
    public void BadLossArgumentsAreClearErrors()
    {
        var (x, y, _, _) = Pair();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.SmoothL1Loss(x, y, beta: -1)).Message, "smooth_l1_loss");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.HuberLoss(x, y, delta: 0)).Message, "huber_loss");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HuberLoss(delta: -2)).Message, "HuberLoss");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new SmoothL1Loss(beta: double.NaN)).Message, "SmoothL1Loss");
        var e = Assert.ThrowsExactly<ArgumentException>(() => F.BinaryCrossEntropy(x.Sigmoid(), Tensor.Rand([5], DType.Float64, G)));
        StringAssert.Contains(e.Message, "binary_cross_entropy");
        StringAssert.Contains(e.Message, "(5,)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.BinaryCrossEntropyWithLogits(x, y.Reshape(5, 3))).Message, "(3, 5)");
        // A target that does not broadcast is an error naming the op; one that broadcasts warns (as PyTorch).
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.L1Loss(x, Tensor.Rand([4], DType.Float64, G))).Message, "l1_loss");
    }
}
