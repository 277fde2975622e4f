using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>BatchNorm and GroupNorm against float64 loops of PyTorch's formulas (running statistics included), gradchecked, with their bad inputs.</summary>
[TestClass]
public class NormalizationLayerTests
{
    private static readonly Generator G = new(79);

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, G);

    private static Tensor[] Leaves(params Tensor[] ts) => [.. ts.Select(t => t.Detach().Clone().RequiresGrad_())];

    /// <summary>Per-channel mean and biased variance of an (N, C, ...) array.</summary>
    private static (double[] Mean, double[] Var) ChannelStats(double[] x, int n, int c, int inner)
    {
        var (mean, var) = (new double[c], new double[c]);
        for (int k = 0; k < c; k++)
        {
            double s = 0, s2 = 0;
            for (int i = 0; i < n; i++)
            for (int j = 0; j < inner; j++) s += x[(i * c + k) * inner + j];
            mean[k] = s / (n * inner);
            for (int i = 0; i < n; i++)
            for (int j = 0; j < inner; j++) s2 += Math.Pow(x[(i * c + k) * inner + j] - mean[k], 2);
            var[k] = s2 / (n * inner);
        }
        return (mean, var);
    }

    private static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, a.Length, what);
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(expected[i], a[i], tol, $"{what} element {i}");
    }

    [TestMethod]
    public void BatchNorm2dTrainsWithBatchStatisticsAndTracksRunningOnes()
    {
        var bn = new BatchNorm2d(3, momentum: 0.3, dtype: DType.Float64);
        using (Autograd.NoGrad())
        {
            bn.Weight!.Copy_(Tensor.From(new[] { 1.5, -0.5, 2.0 }));
            bn.Bias!.Copy_(Tensor.From(new[] { 0.1, 0.2, -0.3 }));
        }
        var (rm, rv) = (new double[3], new[] { 1.0, 1.0, 1.0 });
        for (int step = 0; step < 3; step++)
        {
            var x = R(4, 3, 5, 2).Mul(step + 1).Add(step);
            var xs = x.ToArray<double>();
            var (mean, var) = ChannelStats(xs, 4, 3, 10);
            var y = bn.Forward(x);
            var expected = xs.Select((v, i) => { int k = i / 10 % 3; return (v - mean[k]) / Math.Sqrt(var[k] + 1e-5) * new[] { 1.5, -0.5, 2.0 }[k] + new[] { 0.1, 0.2, -0.3 }[k]; }).ToArray();
            Close(expected, y, 1e-10, $"training output step {step}");
            for (int k = 0; k < 3; k++)
            {
                rm[k] = 0.7 * rm[k] + 0.3 * mean[k];
                rv[k] = 0.7 * rv[k] + 0.3 * var[k] * 40 / 39;   // the unbiased variance
            }
            Close(rm, bn.RunningMean!, 1e-12, $"running_mean step {step}");
            Close(rv, bn.RunningVar!, 1e-12, $"running_var step {step}");
            Assert.AreEqual(step + 1L, bn.NumBatchesTracked!.ToArray<long>()[0]);
        }
        // Evaluation normalizes with the running statistics and leaves them alone.
        bn.Eval();
        var xe = R(2, 3, 5, 2);
        var ye = bn.Forward(xe);
        var xes = xe.ToArray<double>();
        Close([.. xes.Select((v, i) => { int k = i / 10 % 3; return (v - rm[k]) / Math.Sqrt(rv[k] + 1e-5) * new[] { 1.5, -0.5, 2.0 }[k] + new[] { 0.1, 0.2, -0.3 }[k]; })], ye, 1e-10, "eval output");
        Close(rm, bn.RunningMean!, 0, "eval leaves running_mean");
        CollectionAssert.AreEquivalent(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }, bn.StateDict().Keys.ToArray());
        Assert.AreEqual("BatchNorm2d(3, eps=1E-05, momentum=0.3, affine=True, track_running_stats=True)", bn.ToString());
    }

    [TestMethod]
    public void MomentumNoneIsTheCumulativeAverageAndUntrackedLayersUseBatchStatistics()
    {
        var bn = new BatchNorm1d(2, momentum: null, dtype: DType.Float64);
        var batches = new[] { R(6, 2), R(6, 2).Add(3.0), R(6, 2).Mul(2.0) };
        foreach (var b in batches) bn.Forward(b);
        var all = batches.Select(b => ChannelStats(b.ToArray<double>(), 6, 2, 1)).ToArray();
        Close([.. Enumerable.Range(0, 2).Select(k => all.Average(s => s.Mean[k]))], bn.RunningMean!, 1e-12, "cumulative running_mean");
        // The first batch's factor 1/1 replaces the initial statistics entirely.
        Close([.. Enumerable.Range(0, 2).Select(k => all.Average(s => s.Var[k] * 6 / 5))], bn.RunningVar!, 1e-12, "cumulative running_var");
        var untracked = new BatchNorm1d(2, trackRunningStats: false, dtype: DType.Float64);
        untracked.Eval();
        var xb = batches[1];
        Close(F.BatchNorm(xb, null, null, untracked.Weight, untracked.Bias, training: true).ToArray<double>(), untracked.Forward(xb), 0, "untracked: batch statistics in eval too");
        Assert.AreEqual(0, untracked.NamedBuffers().Count());
    }

    [TestMethod]
    public void BatchNormGradchecksInBothModesAndGroupNormMatchesItsDefinition()
    {
        var (x, w, b) = (R(3, 2, 4), R(2), R(2));
        Assert.IsTrue(Autograd.GradCheck(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), Leaves(x, w, b)), "training batch norm");
        var (rm, rv) = (R(2), R(2).Abs().Add(0.5));
        Assert.IsTrue(Autograd.GradCheck(t => F.BatchNorm(t[0], rm, rv, t[1], t[2], training: false), Leaves(x, w, b)), "inference batch norm");
        Close(F.BatchNorm(x, rm, rv, w, b).ToArray<double>(), new BatchNorm1d(2, dtype: DType.Float64).Apply(m => { using var _ = Autograd.NoGrad(); m.RunningMean!.Copy_(rm); m.RunningVar!.Copy_(rv); m.Weight!.Copy_(w); m.Bias!.Copy_(b); }).Eval().Forward(x), 1e-12, "BatchNorm1d over (N, C, L)");

        var xg = R(2, 6, 3, 2);
        var (wg, bg) = (R(6), R(6));
        var y = F.GroupNorm(xg, 3, wg, bg);
        var (xs, ws, bs) = (xg.ToArray<double>(), wg.ToArray<double>(), bg.ToArray<double>());
        var expected = new double[xs.Length];
        for (int n = 0; n < 2; n++)
        for (int grp = 0; grp < 3; grp++)
        {
            var idx = Enumerable.Range(0, 12).Select(j => n * 36 + grp * 12 + j).ToArray();
            double mean = idx.Average(i => xs[i]), var = idx.Average(i => Math.Pow(xs[i] - mean, 2));
            foreach (int i in idx) expected[i] = (xs[i] - mean) / Math.Sqrt(var + 1e-5) * ws[i / 6 % 6] + bs[i / 6 % 6];
        }
        Close(expected, y, 1e-10, "group_norm");
        Assert.IsTrue(Autograd.GradCheck(t => F.GroupNorm(t[0], 3, t[1], t[2]), Leaves(xg, wg, bg)), "group norm");
        Close(y.ToArray<double>(), new GroupNorm(3, 6, dtype: DType.Float64).Apply(m => { using var _ = Autograd.NoGrad(); m.Weight!.Copy_(wg); m.Bias!.Copy_(bg); }).Forward(xg), 1e-12, "GroupNorm module");
    }

    [TestMethod]
    public void BadInputsNameTheLayerAndTheRule()
    {
        var bn = new BatchNorm2d(3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => bn.Forward(Tensor.Randn([2, 4, 3, 3]))).Message, "running_mean should contain 4 elements");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => bn.Forward(Tensor.Randn([2, 3, 3]))).Message, "BatchNorm2d: expected 4D input, got 3D");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => bn.Forward(Tensor.Randn([1, 3, 1, 1]))).Message, "more than 1 value per channel");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new GroupNorm(4, 6)).Message, "divisible by num_groups=4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.GroupNorm(Tensor.Randn([2, 6, 3]), 4)).Message, "divisible by num_groups=4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new BatchNorm1d(2, momentum: 1.5)).Message, "momentum");
    }
}

internal static class ModuleApply
{
    /// <summary>Runs <paramref name="setup"/> on the module and returns it (test helper for one-line module setup).</summary>
    public static T Apply<T>(this T module, Action<T> setup) where T : Module
    {
        setup(module);
        return module;
    }
}
