using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Var/Std/LayerNorm/Softmax statistics stay accurate where float32 intermediates would fail: magnitudes whose
/// squares overflow, large common offsets, constant rows; against float64 references of the same float32 values.
/// </summary>
[TestClass]
public class StableReductionTests
{
    private static double[] D(float[] v) => v.Select(x => (double)x).ToArray();

    private static (double Mean, double Var) Moments(double[] v, int correction)
    {
        double m = v.Average();
        return (m, v.Sum(x => (x - m) * (x - m)) / Math.Max(0, v.Length - correction));
    }

    [TestMethod]
    public void Float32VarAndStdDoNotOverflowWhenTheResultIsRepresentable()
    {
        // Deviations of ±1.5e19: each square (2.25e38) fits float32, their sum (1.8e39) does not; the variance does.
        var x = new float[] { 1.5e19f, -1.5e19f, 1.5e19f, -1.5e19f, 1.5e19f, -1.5e19f, 1.5e19f, -1.5e19f };
        var (_, v) = Moments(D(x), 1);
        var t = Tensor.From(x);
        Reference.AssertClose([v], t.Var(), 1e-6, 0, "var");
        Reference.AssertClose([Math.Sqrt(v)], t.Std(), 1e-6, 0, "std");
        // Values ~1e20: the variance (1e40) is beyond float32, the std (1e20) is not.
        var big = Tensor.From(new[] { 1e20f, 3e20f, 2e20f });
        Reference.AssertClose([double.PositiveInfinity], big.Var(), 0, 0, "var of 1e20s is inf in float32");
        Reference.AssertClose([Math.Sqrt(Moments(D([1e20f, 3e20f, 2e20f]), 1).Var)], big.Std(), 1e-6, 0, "std of 1e20s");
        Reference.AssertClose([Math.Sqrt(Moments(D([1e20f, 3e20f, 2e20f]), 0).Var)], big.Std(correction: 0), 1e-6, 0, "std of 1e20s, biased");
    }

    [TestMethod]
    public void LargeOffsetsDoNotSwampTheSpread()
    {
        var rng = new Random(4);
        foreach (int n in new[] { 4, 7, 16, 37, 100, 1000 })
        {
            var x = n == 4 ? [1e8f, 1e8f + 8, 1e8f + 16, 1e8f + 24] : Enumerable.Range(0, n).Select(_ => (float)(3e7 + 200 * rng.NextDouble())).ToArray();
            var xd = D(x);
            var (mean, var1) = Moments(xd, 1);
            var t = Tensor.From(x, [1, n]);
            Reference.AssertClose([var1], t.Var([1]), 1e-6, 0, $"var n={n}");
            Reference.AssertClose([Math.Sqrt(var1)], t.Std([1]), 1e-6, 0, $"std n={n}");
            double var0 = Moments(xd, 0).Var, rstd = 1 / Math.Sqrt(var0 + 1e-5);
            // LayerNorm's output (x − mean)·rstd: mean rounded to float would shift every output by up to 4·rstd.
            Reference.AssertClose(xd.Select(v => (v - mean) * rstd).ToArray(), t.LayerNorm([n]), 1e-5, 1e-5, $"layer_norm n={n}");
            var xt = Tensor.From(xd, [1, n]);
            Reference.AssertClose(xd.Select(v => (v - mean) * rstd).ToArray(), xt.LayerNorm([n]), 1e-12, 1e-12, $"layer_norm float64 n={n}");
        }
    }

    [TestMethod]
    public void StdOfAConstantRowHasAZeroGradient()
    {
        // PyTorch's std_backward masks std == 0 (a constant row): the gradient is 0, not 0/0. 0.1 in float64 also
        // checks that the statistics are exact for a constant row (its sum is not).
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
            foreach (double c in new[] { 0.1, 3.0, -7e10 })
            {
                var x = Tensor.Full([2, 5], c, dt).RequiresGrad_();
                var s = x.Std([1]);
                CollectionAssert.AreEqual(new[] { 0.0, 0.0 }, s.ToArray<double>(), $"std of constant {c} {dt}");
                s.Sum().Backward();
                CollectionAssert.AreEqual(new double[10], x.Grad!.ToArray<double>(), $"std gradient at constant {c} {dt}");
                var y = Tensor.Full([7], c, dt).RequiresGrad_();
                y.Var().Backward();
                // 2/(n−1)·(x − mean(x)): zero up to the rounding of the mean (as in PyTorch, which does not mask it).
                Reference.AssertClose(new double[7], y.Grad!, 0, 1e-15 * Math.Abs(c), $"var gradient at constant {c} {dt}");
                Assert.AreEqual(0.0, Tensor.Full([4, 3], c, dt).LayerNorm([3]).Abs().Max().Item(), $"layer_norm of constant rows {c} {dt}");
            }
        // A row that is constant beside a row that is not: only the constant row's gradient is masked.
        var m = Tensor.From(new double[] { 2, 2, 2, 1, 2, 6 }, [2, 3]).RequiresGrad_();
        m.Std([1]).Sum().Backward();
        double sd = Math.Sqrt(Moments([1, 2, 6], 1).Var);
        Reference.AssertClose([0, 0, 0, (1 - 3) / (sd * 2), (2 - 3) / (sd * 2), (6 - 3) / (sd * 2)], m.Grad!, 1e-12, 1e-12, "std gradient per row");
    }

    [TestMethod]
    public void VarianceWithoutDegreesOfFreedomFollowsPyTorch()
    {
        // var/(n - correction) with n - correction <= 0: M2/0 (inf, or NaN for a zero M2); the full-reduction gradient is
        // grad · (NaN where x == mean, else inf), as PyTorch's var_backward.
        var x = Tensor.From(new double[] { 1, 3 }).RequiresGrad_();
        var v = x.Var(correction: 2);
        Assert.AreEqual(double.PositiveInfinity, v.Item());
        v.Backward();
        CollectionAssert.AreEqual(new[] { double.PositiveInfinity, double.PositiveInfinity }, x.Grad!.ToArray<double>());
        var one = Tensor.From(new double[] { 5 }).RequiresGrad_();
        var v1 = one.Var();
        Assert.IsTrue(double.IsNaN(v1.Item()), "var of one element");
        v1.Backward();
        Assert.IsTrue(double.IsNaN(one.Grad!.Item()), "its gradient: NaN where x == mean");
        Assert.IsTrue(double.IsNaN(Tensor.Zeros(0).Var().Item()), "var of an empty tensor");
        Assert.IsTrue(double.IsNaN(Tensor.Zeros(3, 0).Std([1]).ToArray<double>()[2]), "std over an empty dim");
    }

    [TestMethod]
    public void VarAndStdMatchGradCheckOverDimsAndCorrections()
    {
        var rng = new Random(8);
        var x = Reference.Random(rng, [3, 4, 5]).RequiresGrad_();
        foreach (var (dims, corr, keep) in new (int[]?, int, bool)[] { (null, 1, false), ([0], 0, true), ([1, 2], 1, false), ([2, 0], 3, true) })
        {
            Autograd.GradCheck(t => t[0].Var(dims, corr, keep), [x]);
            Autograd.GradCheck(t => t[0].Std(dims, corr, keep), [x]);
        }
    }

    [TestMethod]
    public void LogSoftmaxOfADominantEntryIsExactlyZero()
    {
        // Every other term is below the float64 ulp of 1, so log Σ = log 1 = 0 exactly, and so is the dominant entry.
        foreach (var dt in new[] { DType.Float32, DType.Float64 })
            foreach (int n in new[] { 1, 2, 7, 8, 9, 16, 17, 33, 100 })
            {
                var row = Enumerable.Range(0, n).Select(i => i == n / 2 ? 12.5 : 12.5 - 40 - i).ToArray();
                var y = Tensor.From(row, [1, n]).To(dt).LogSoftmax(1).ToArray<double>();
                Assert.AreEqual(0.0, y[n / 2], $"n={n} {dt}");
                Assert.IsFalse(double.IsNegative(y[n / 2]), "+0");
                var p = Tensor.From(row, [1, n]).To(dt).Softmax(1).ToArray<double>();
                Assert.AreEqual(1.0, p[n / 2], $"softmax n={n} {dt}");
            }
        var wide = Tensor.From(new float[] { 1000, 0 }).LogSoftmax(0).ToArray<float>();
        CollectionAssert.AreEqual(new[] { 0f, -1000f }, wide);
    }

    [TestMethod]
    public void SoftmaxAndLogSoftmaxAreWithinAnUlpOfFloat64()
    {
        var rng = new Random(9);
        foreach (int n in new[] { 3, 8, 31, 64, 1000 })
        {
            var x = Enumerable.Range(0, 4 * n).Select(_ => (float)(rng.NextDouble() * 30 - 15)).ToArray();
            var t = Tensor.From(x, [4, n]);
            var soft = new double[x.Length];
            var logSoft = new double[x.Length];
            for (int r = 0; r < 4; r++)
            {
                var row = x.Skip(r * n).Take(n).Select(v => (double)v).ToArray();
                double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                for (int i = 0; i < n; i++)
                {
                    soft[r * n + i] = Math.Exp(row[i] - max) / sum;
                    logSoft[r * n + i] = row[i] - max - Math.Log(sum);
                }
            }
            Reference.AssertClose(soft, t.Softmax(1), 2.5e-7, 1e-45, $"softmax n={n}");
            Reference.AssertClose(logSoft, t.LogSoftmax(1), 1.2e-7, 1e-6, $"log_softmax n={n}");
        }
    }
}
