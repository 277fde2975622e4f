using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>
/// Reductions, softmax, bool arithmetic and losses at NaN, ±inf and ±0, forward and gradient, against PyTorch's
/// documented semantics (its kernels and derivatives.yaml). Rows are short (scalar code) and long (vector lanes and
/// tails), float32 and float64.
/// </summary>
[TestClass]
public class ParityReductionTests
{
    private static readonly DType[] Floats = [DType.Float32, DType.Float64];

    private static void AssertSame(double[] expected, Tensor actual, string what)
    {
        var got = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, got.Length, $"{what}: element count");
        var failures = new List<string>();
        for (int i = 0; i < got.Length; i++)
            if (!ParityElementwiseTests.Same(expected[i], got[i], 1e-6))
                failures.Add($"{what}: element {i}: PyTorch gives {expected[i]:R}, Trace {got[i]:R}");
        ParityElementwiseTests.AssertNone(failures);
    }

    /// <summary>A row of <paramref name="n"/> ones-ish values (i/n) with <paramref name="special"/> written at <paramref name="at"/>.</summary>
    private static double[] Row(int n, int at, double special) =>
        Enumerable.Range(0, n).Select(i => i == at ? special : (i + 1.0) / n).ToArray();

    [TestMethod]
    public void MaxAndMinOfEverythingPropagateNaNAndGiveTheNaNsTheGradient()
    {
        foreach (var dt in Floats)
            foreach (int n in new[] { 3, 37, 100 })
            {
                var v = Row(n, n - 1, double.NaN);
                v[0] = double.NaN;
                foreach (bool max in new[] { true, false })
                {
                    var x = Tensor.From(v).To(dt).RequiresGrad_();
                    var r = max ? x.Max() : x.Min();
                    Assert.IsTrue(double.IsNaN(r.Item()), $"{(max ? "max" : "min")} n={n} {dt}");
                    r.Backward();
                    // evenly_distribute_backward: the gradient is split among the NaNs.
                    AssertSame(v.Select(e => double.IsNaN(e) ? 0.5 : 0).ToArray(), x.Grad!, $"d{(max ? "max" : "min")} n={n} {dt}");
                }
                // Without NaN: split among the tied extremes.
                var t = Tensor.From(Row(n, 0, 1.0)).To(dt).RequiresGrad_();
                t.Max().Backward();
                AssertSame(Row(n, 0, 1.0).Select(e => e == 1 ? 0.5 : 0).ToArray(), t.Grad!, $"dmax with a tie n={n} {dt}");
            }
    }

    [TestMethod]
    public void AmaxPropagatesNaNPerRowAndItsGradientIsNaNThere()
    {
        foreach (var dt in Floats)
        {
            var v = Row(37, 5, double.NaN).Concat(Row(37, 3, 7.0)).ToArray();
            var x = Tensor.From(v, [2, 37]).To(dt).RequiresGrad_();
            var r = x.Amax([1]);
            AssertSame([double.NaN, 7], r, $"amax {dt}");
            AssertSame([double.NaN, 1.0 / 37], x.Amin([1]), $"amin {dt}");
            r.Sum().Backward();
            // scale_grad_by_count: (g / count)·mask with count 0 in the NaN row: inf·0 = NaN everywhere in it.
            AssertSame(Enumerable.Repeat(double.NaN, 37).Concat(Enumerable.Range(0, 37).Select(i => i == 3 ? 1.0 : 0)).ToArray(), x.Grad!, $"damax {dt}");
        }
    }

    [TestMethod]
    public void MaxAlongADimAndArgmaxPickTheFirstNaN()
    {
        foreach (var dt in Floats)
            foreach (int n in new[] { 2, 17, 64 })
            {
                var v = Row(n, n / 2, double.NaN);
                v[n - 1] = double.NaN;
                var x = Tensor.From(v, [1, n]).To(dt).RequiresGrad_();
                var (values, indices) = x.Max(1);
                Assert.IsTrue(double.IsNaN(values.Item()), $"max(dim) n={n} {dt}");
                Assert.AreEqual(n / 2, indices.Item<long>(), $"max(dim) index n={n} {dt}");
                Assert.AreEqual(n / 2, x.Argmax().Item<long>(), $"argmax n={n} {dt}");
                Assert.AreEqual(n / 2, x.Argmin(1).Item<long>(), $"argmin n={n} {dt}");
                values.Sum().Backward();
                AssertSame(Enumerable.Range(0, n).Select(i => i == n / 2 ? 1.0 : 0).ToArray(), x.Grad!.Reshape(-1), $"dmax(dim) n={n} {dt}");
            }
    }

    [TestMethod]
    public void SumsMeansAndProductsFollowIeee()
    {
        foreach (var dt in Floats)
        {
            var inf = double.PositiveInfinity;
            AssertSame([double.NaN], Tensor.From(Row(40, 7, inf).Append(-inf).ToArray()).To(dt).Sum(), $"inf + -inf {dt}");
            AssertSame([inf], Tensor.From(Row(40, 7, inf)).To(dt).Sum(), $"sum with inf {dt}");
            AssertSame([double.NaN], Tensor.From(Row(40, 9, double.NaN)).To(dt).Mean(), $"mean with NaN {dt}");
            AssertSame([double.NaN], Tensor.Zeros([0], dt).Mean(), $"mean of nothing {dt}");
            AssertSame([0], Tensor.Zeros([0], dt).Sum(), $"sum of nothing {dt}");
            AssertSame([double.NaN], Tensor.From(new[] { 0.0, inf, 2 }).To(dt).Prod(), $"0·inf {dt}");
            AssertSame([-0.0], Tensor.From(new[] { -0.0, 3 }).To(dt).Prod(), $"prod keeps -0 {dt}");
            AssertSame([double.NaN, 0.5], Tensor.From(new[] { 1, inf, 2, 3 }, [2, 2]).To(dt).Var([1]), $"var with inf {dt}");
        }
    }

    [TestMethod]
    public void SoftmaxRowsWithInfinitiesAndNaNAreAsInPyTorch()
    {
        double inf = double.PositiveInfinity, nan = double.NaN;
        foreach (var dt in Floats)
            foreach (int n in new[] { 3, 37 })
            {
                // PyTorch shifts every row by its max: a +inf max makes inf − inf = NaN, and so does a row of only -inf.
                var withInf = Row(n, 1, inf);
                AssertSame(Enumerable.Repeat(nan, n).ToArray(), Tensor.From(withInf).To(dt).Softmax(0), $"softmax with +inf n={n} {dt}");
                AssertSame(Enumerable.Repeat(nan, n).ToArray(), Tensor.From(withInf).To(dt).LogSoftmax(0), $"log_softmax with +inf n={n} {dt}");
                AssertSame(Enumerable.Repeat(nan, n).ToArray(), Tensor.Full([n], -inf, dt).Softmax(0), $"softmax of -infs n={n} {dt}");
                AssertSame(Enumerable.Repeat(nan, n).ToArray(), Tensor.Full([n], -inf, dt).LogSoftmax(0), $"log_softmax of -infs n={n} {dt}");
                AssertSame(Enumerable.Repeat(nan, n).ToArray(), Tensor.From(Row(n, n - 1, nan)).To(dt).Softmax(0), $"softmax with NaN n={n} {dt}");
                // -inf entries beside finite ones: probability 0, log-probability -inf.
                var masked = Enumerable.Range(0, n).Select(i => i == 2 ? 0.0 : -inf).ToArray();
                AssertSame(masked.Select(v => v == 0 ? 1.0 : 0).ToArray(), Tensor.From(masked).To(dt).Softmax(0), $"masked softmax n={n} {dt}");
                AssertSame(masked, Tensor.From(masked).To(dt).LogSoftmax(0), $"masked log_softmax n={n} {dt}");
                // logsumexp masks an infinite max to 0 (PyTorch): -inf rows give -inf, +inf gives +inf.
                AssertSame([-inf], Tensor.Full([n], -inf, dt).LogSumExp(0), $"logsumexp of -infs n={n} {dt}");
                AssertSame([inf], Tensor.From(withInf).To(dt).LogSumExp(0), $"logsumexp with +inf n={n} {dt}");
                AssertSame([nan], Tensor.From(Row(n, 0, nan)).To(dt).LogSumExp(0), $"logsumexp with NaN n={n} {dt}");
            }
    }

    [TestMethod]
    public void BoolArithmeticIsLogicalAsInPyTorch()
    {
        var a = Tensor.From(new[] { true, true, false, false });
        var b = Tensor.From(new[] { true, false, true, false });
        foreach (var (r, expected, what) in new[]
                 {
                     (a + b, new[] { true, true, true, false }, "add is or"),
                     (a * b, new[] { true, false, false, false }, "mul is and"),
                     (a.Maximum(b), new[] { true, true, true, false }, "maximum is or"),
                     (a.Minimum(b), new[] { true, false, false, false }, "minimum is and"),
                 })
        {
            Assert.AreEqual(DType.Bool, r.DType, what);
            CollectionAssert.AreEqual(expected, r.ToArray<bool>(), what);
        }
        // Broadcasting, and in place.
        CollectionAssert.AreEqual(new[] { true, true, true, true }, (a + Tensor.From(new[] { true })).ToArray<bool>(), "broadcast add");
        var c = a.Clone();
        using (Autograd.NoGrad()) c.Add_(b);
        CollectionAssert.AreEqual(new[] { true, true, true, false }, c.ToArray<bool>(), "add_ into bool");
        // Mixed with numbers the usual promotion applies; division is true division.
        Assert.AreEqual(DType.Int64, a.Add(1L).DType);
        CollectionAssert.AreEqual(new long[] { 2, 2, 1, 1 }, a.Add(1L).ToArray<long>());
        Assert.AreEqual(DType.Float32, (a * 1.5).DType);
        CollectionAssert.AreEqual(new[] { 1f, float.PositiveInfinity, 0f, float.NaN }, (a / b).ToArray<float>());
        // PyTorch's errors.
        var sub = Assert.ThrowsExactly<ArgumentException>(() => a - b);
        StringAssert.Contains(sub.Message, "aten::sub");
        StringAssert.Contains(sub.Message, "LogicalXor");
        var neg = Assert.ThrowsExactly<ArgumentException>(() => -a);
        StringAssert.Contains(neg.Message, "LogicalNot");
    }

    [TestMethod]
    public void MseLossBroadcastsATargetOfAnotherShapeAndWarnsOnce()
    {
        var warnings = new List<string>();
        void Collect(string m) { lock (warnings) warnings.Add(m); }
        Warnings.Raised += Collect;
        try
        {
            var input = Reference.Random(new Random(5), [3, 7]).RequiresGrad_();
            var target = Reference.Random(new Random(6), [7]);
            var loss = Functional.MseLoss(input, target);
            double expected = Enumerable.Range(0, 21).Average(i =>
                Math.Pow(Reference.Values(input)[i] - Reference.Values(target)[i % 7], 2));
            Assert.AreEqual(expected, loss.Item(), 1e-12);
            Functional.MseLoss(input, target);
            lock (warnings)
            {
                var mine = warnings.Where(w => w.Contains("(7,)") && w.Contains("(3, 7)")).ToList();
                Assert.AreEqual(1, mine.Count, "one warning for the pair of shapes: " + string.Join(" | ", warnings));
                StringAssert.Contains(mine[0], "broadcasting");
            }
            loss.Backward();
            Assert.IsTrue(Autograd.GradCheck(t => Functional.MseLoss(t[0], t[1]), [input, target.RequiresGrad_()]));
            var ex = Assert.ThrowsExactly<ArgumentException>(() => Functional.MseLoss(input, Tensor.Zeros([4], DType.Float64)));
            StringAssert.Contains(ex.Message, "mse_loss");
        }
        finally
        {
            Warnings.Raised -= Collect;
        }
    }

    [TestMethod]
    public void ComparisonsAtNaNAndSignedZeros()
    {
        var a = Tensor.From(new[] { double.NaN, 0.0, -0.0, double.PositiveInfinity, 1 });
        var b = Tensor.From(new[] { double.NaN, -0.0, 0.0, double.PositiveInfinity, double.NaN });
        CollectionAssert.AreEqual(new[] { false, true, true, true, false }, a.Eq(b).ToArray<bool>(), "eq");
        CollectionAssert.AreEqual(new[] { true, false, false, false, true }, a.Ne(b).ToArray<bool>(), "ne");
        CollectionAssert.AreEqual(new[] { false, false, false, false, false }, a.Lt(b).ToArray<bool>(), "lt");
        CollectionAssert.AreEqual(new[] { false, true, true, true, false }, a.Le(b).ToArray<bool>(), "le");
        CollectionAssert.AreEqual(new[] { false, true, true, true, false }, a.Ge(b).ToArray<bool>(), "ge");
        CollectionAssert.AreEqual(new[] { true, false, false, true, true }, a.To(DType.Bool).ToArray<bool>(), "NaN is true, ±0 false");
    }

    [TestMethod]
    public void MatmulPropagatesNaNAndInfTimesZero()
    {
        // No zero-skipping anywhere: 0·NaN and 0·inf are NaN, in the small and in the packed (large) kernels.
        foreach (var dt in Floats)
            foreach (int n in new[] { 2, 64, 300 })
            {
                var a = Tensor.Zeros([n, n], dt);
                var b = Tensor.Ones([n, n], dt);
                var bd = b.Clone();
                using (Autograd.NoGrad())
                {
                    bd.Narrow(0, 1, 1).Narrow(1, 0, 1).Fill_(double.NaN);
                    bd.Narrow(0, 0, 1).Narrow(1, 1, 1).Fill_(double.PositiveInfinity);
                }
                var r = a.Matmul(bd).ToArray<double>();
                Assert.IsTrue(double.IsNaN(r[0]) && double.IsNaN(r[1]), $"0·NaN and 0·inf in column 0 and 1, n={n} {dt}");
                Assert.IsTrue(r.Skip(2).Take(n - 2).All(v => v == 0), $"other columns stay 0, n={n} {dt}");
                var lin = Tensor.Linear(Tensor.Zeros([3, n], dt), bd.T).ToArray<double>();
                Assert.IsTrue(double.IsNaN(lin[0]) && double.IsNaN(lin[1]), $"linear n={n} {dt}");
            }
    }

    [TestMethod]
    public void SoftmaxOfAnIntegerTensorIsAnErrorAsInPyTorch()
    {
        foreach (var dt in new[] { DType.Int64, DType.Int32, DType.Bool })
        {
            var x = Tensor.Zeros([2, 3], dt);
            var e = Assert.ThrowsExactly<ArgumentException>(() => x.Softmax(1));
            StringAssert.Contains(e.Message, $"aten::softmax: not implemented for {dt.TorchName()} tensors (shape (2, 3))");
            e = Assert.ThrowsExactly<ArgumentException>(() => x.LogSoftmax(0));
            StringAssert.Contains(e.Message, "aten::log_softmax: not implemented");
        }
    }
}
