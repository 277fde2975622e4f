using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>kl_div against float64 loops of PyTorch's formulas for each reduction and target form, gradchecked, with its warning and errors.</summary>
[TestClass]
public class KlDivTests
{
    /// <summary>Log-probabilities (3, 4) and a target distribution with some exact zeros.</summary>
    private static (Tensor Input, Tensor Target) Pair(int seed)
    {
        var g = new Generator((ulong)seed);
        var input = Tensor.Randn([3, 4], DType.Float64, g).LogSoftmax(1);
        var target = Tensor.Rand([3, 4], DType.Float64, g);
        target = Tensor.Where(target.Lt(0.25), 0.0, target);
        return (input, target.Div(target.Sum(1, keepdim: true)));
    }

    private static double[] PointwiseReference(Tensor input, Tensor target, bool logTarget)
    {
        var (x, t) = (input.ToArray<double>(), target.ToArray<double>());
        return [.. x.Select((xi, i) => logTarget ? Math.Exp(t[i]) * (t[i] - xi) : t[i] == 0 ? 0 : t[i] * (Math.Log(t[i]) - xi))];
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void EachReductionMatchesTheFormula(bool logTarget)
    {
        var (input, p) = Pair(logTarget ? 601 : 602);
        var target = logTarget ? Tensor.Where(p.Eq(0), 1e-3, p).Log() : p;
        Assert.IsTrue(p.ToArray<double>().Contains(0.0), "the target has zeros (xlogy)");
        var pointwise = PointwiseReference(input, target, logTarget);
        var none = F.KlDiv(input, target, Reduction.None, logTarget).ToArray<double>();
        for (int i = 0; i < none.Length; i++) Assert.AreEqual(pointwise[i], none[i], 1e-14, $"element {i}");
        Assert.AreEqual(pointwise.Sum(), F.KlDiv(input, target, Reduction.Sum, logTarget).Item(), 1e-13, "sum");
        Assert.AreEqual(pointwise.Sum() / 3, F.KlDiv(input, target, Reduction.BatchMean, logTarget).Item(), 1e-13, "batchmean divides by the batch size");
        Assert.AreEqual(pointwise.Sum() / 3, new KLDivLoss(Reduction.BatchMean, logTarget).Forward(input, target).Item(), 1e-13, "module");
        // The divergence of a distribution from itself is 0, and positive from another.
        Assert.AreEqual(0.0, F.KlDiv(p.Add(1e-300).Log(), p, Reduction.Sum).Item(), 1e-12, "KL(p || p)");
        Assert.IsTrue(F.KlDiv(input, p, Reduction.Sum).Item() > 0);
    }

    [TestMethod]
    public void MeanDividesByAllElementsAndWarns()
    {
        var warnings = new List<string>();
        void Collect(string m) { lock (warnings) warnings.Add(m); }
        Warnings.Raised += Collect;
        try
        {
            var (input, target) = Pair(603);
            var expected = PointwiseReference(input, target, false).Average();
            Assert.AreEqual(expected, new KLDivLoss().Forward(input, target).Item(), 1e-14);
            lock (warnings) Assert.IsTrue(warnings.Any(w => w.Contains("kl_div") && w.Contains("batchmean")), "warned: " + string.Join(" | ", warnings));
            // (Here, not with the other gradchecks: the warning is raised once per process, by the first 'mean' call.)
            Assert.IsTrue(Autograd.GradCheck(t => F.KlDiv(t[0], t[1]), [input.Detach().RequiresGrad_(), target.Add(0.05).RequiresGrad_()]));
        }
        finally
        {
            Warnings.Raised -= Collect;
        }
    }

    [TestMethod]
    public void GradientsOfInputAndTargetMatchFiniteDifferences()
    {
        var (input, target) = Pair(604);
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.BatchMean })
            foreach (bool logTarget in new[] { false, true })
            {
                var t = logTarget ? input.Flip(1) : target.Add(0.05);
                Assert.IsTrue(Autograd.GradCheck(v => F.KlDiv(v[0], v[1], reduction, logTarget), [input.Detach().RequiresGrad_(), t.Detach().RequiresGrad_()]), $"{reduction}, log_target={logTarget}");
            }
        // At target = 0 the gradient is finite: 0 for the target's log term, −target = 0 for the input.
        var x = input.Detach().RequiresGrad_();
        var t0 = target.Detach().RequiresGrad_();
        F.KlDiv(x, t0, Reduction.Sum).Backward();
        var (ts, gx, gt, xs) = (target.ToArray<double>(), x.Grad!.ToArray<double>(), t0.Grad!.ToArray<double>(), input.ToArray<double>());
        for (int i = 0; i < ts.Length; i++)
        {
            Assert.AreEqual(-ts[i], gx[i], 1e-14, $"d/dinput {i}");
            Assert.AreEqual(ts[i] == 0 ? 0 : Math.Log(ts[i]) + 1 - xs[i], gt[i], 1e-12, $"d/dtarget {i}");
        }
    }

    [TestMethod]
    public void BatchMeanIsForKlDivOnlyAndDTypesMustMatch()
    {
        var (input, target) = Pair(605);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.MseLoss(input, target, Reduction.BatchMean)).Message, "only supported by kl_div");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.CrossEntropy(input, Tensor.Zeros([3], DType.Int64), Reduction.BatchMean)).Message, "batchmean");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.KlDiv(input, target.To(DType.Float32))).Message, "same floating dtype");
        Assert.ThrowsExactly<ArgumentException>(() => F.KlDiv(input, Tensor.Zeros([5], DType.Float64), Reduction.Sum));
        Assert.AreEqual("KLDivLoss(reduction='batchmean', log_target=True)", new KLDivLoss(Reduction.BatchMean, logTarget: true).ToString());
    }
}
