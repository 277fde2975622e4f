using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>Scaled dot-product attention against a float64 loop of its formula, gradchecked, with its masks and bad arguments.</summary>
[TestClass]
public class AttentionTests
{
    /// <summary>
    /// softmax(q·kᵀ·scale + bias)·v per batch b, as loops: q (B, L, E), k (B, S, E), v (B, S, Ev) row-major;
    /// <paramref name="bias"/>(b, i, j) is added to score (i, j) (−∞ masks).
    /// </summary>
    internal static double[] ReferenceAttention(double[] q, double[] k, double[] v, int batches, int l, int s, int e, int ev, double scale, Func<int, int, int, double>? bias = null)
    {
        var r = new double[batches * l * ev];
        var w = new double[s];
        for (int b = 0; b < batches; b++)
            for (int i = 0; i < l; i++)
            {
                double max = double.NegativeInfinity;
                for (int j = 0; j < s; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < e; c++) dot += q[(b * l + i) * e + c] * k[(b * s + j) * e + c];
                    w[j] = dot * scale + (bias?.Invoke(b, i, j) ?? 0);
                    max = Math.Max(max, w[j]);
                }
                double z = 0;
                for (int j = 0; j < s; j++) z += w[j] = Math.Exp(w[j] - max);
                for (int c = 0; c < ev; c++)
                {
                    double acc = 0;
                    for (int j = 0; j < s; j++) acc += w[j] / z * v[(b * s + j) * ev + c];
                    r[(b * l + i) * ev + c] = acc;
                }
            }
        return r;
    }

    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g);

    private static void AssertClose(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, a.Length, what);
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(expected[i], a[i], tol, $"{what}: element {i}");
    }

    [TestMethod]
    public void MatchesTheLoopWithHeadsMasksCausalityAndScale()
    {
        var g = new Generator(301);
        const int N = 2, H = 3, L = 4, S = 6, E = 5, Ev = 7;
        var (q, k, v) = (Rand(g, N, H, L, E), Rand(g, N, H, S, E), Rand(g, N, H, S, Ev));
        var (qs, ks, vs) = (q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>());
        double Ref(int b, int i, int j) => 0;
        AssertClose(ReferenceAttention(qs, ks, vs, N * H, L, S, E, Ev, 1 / Math.Sqrt(E), Ref), F.ScaledDotProductAttention(q, k, v), 1e-12, "no mask");
        AssertClose(ReferenceAttention(qs, ks, vs, N * H, L, S, E, Ev, 0.3), F.ScaledDotProductAttention(q, k, v, scale: 0.3), 1e-12, "scale 0.3");

        // A bool (L, S) mask broadcast over batch and heads: true takes part; every row keeps at least position 0.
        var allowed = new bool[L * S];
        var rnd = new Random(3);
        for (int i = 0; i < allowed.Length; i++) allowed[i] = i % S == 0 || rnd.NextDouble() < 0.5;
        var boolMask = Tensor.From(allowed, [L, S]);
        AssertClose(ReferenceAttention(qs, ks, vs, N * H, L, S, E, Ev, 1 / Math.Sqrt(E), (b, i, j) => allowed[i * S + j] ? 0 : double.NegativeInfinity),
            F.ScaledDotProductAttention(q, k, v, boolMask), 1e-12, "bool mask");

        // A float (N, 1, L, S) mask, added per batch and broadcast over heads.
        var floatMask = Rand(g, N, 1, L, S);
        var fm = floatMask.ToArray<double>();
        AssertClose(ReferenceAttention(qs, ks, vs, N * H, L, S, E, Ev, 0.7, (b, i, j) => fm[((b / H) * L + i) * S + j]),
            F.ScaledDotProductAttention(q, k, v, floatMask, scale: 0.7), 1e-12, "float mask");

        // Causal with L < S: the top-left aligned triangle, j ≤ i.
        AssertClose(ReferenceAttention(qs, ks, vs, N * H, L, S, E, Ev, 1 / Math.Sqrt(E), (b, i, j) => j <= i ? 0 : double.NegativeInfinity),
            F.ScaledDotProductAttention(q, k, v, isCausal: true), 1e-12, "causal");
    }

    [TestMethod]
    public void TwoDimensionalInputsAndBroadcastBatchDims()
    {
        var g = new Generator(302);
        var (q, k, v) = (Rand(g, 3, 4), Rand(g, 5, 4), Rand(g, 5, 2));
        AssertClose(ReferenceAttention(q.ToArray<double>(), k.ToArray<double>(), v.ToArray<double>(), 1, 3, 5, 4, 2, 0.5),
            F.ScaledDotProductAttention(q, k, v, scale: 0.5), 1e-12, "2-D");
        // One key/value set shared by every head: (1, S, E) against (H, L, E).
        var qh = Rand(g, 2, 3, 4);
        var outH = F.ScaledDotProductAttention(qh, k.Unsqueeze(0), v.Unsqueeze(0));
        CollectionAssert.AreEqual(new[] { 2, 3, 2 }, outH.Shape.ToArray());
        for (int h = 0; h < 2; h++)
            AssertClose(F.ScaledDotProductAttention(qh.Select(0, h), k, v).ToArray<double>(), outH.Select(0, h), 1e-14, $"head {h}");
    }

    [TestMethod]
    public void GradientsMatchFiniteDifferences()
    {
        var g = new Generator(303);
        Tensor[] Leaves() => [Rand(g, 2, 3, 4).RequiresGrad_(), Rand(g, 2, 5, 4).RequiresGrad_(), Rand(g, 2, 5, 3).RequiresGrad_()];
        var mask = Rand(g, 3, 5);
        Assert.IsTrue(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], mask, scale: 0.8), Leaves()));
        Assert.IsTrue(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], isCausal: true), Leaves()));
        var allowed = Tensor.From(new[] { true, false, true, true, false, true, true, false, false, true, false, true, false, true, true }, [3, 5]);
        Assert.IsTrue(Autograd.GradCheck(t => F.ScaledDotProductAttention(t[0], t[1], t[2], allowed), Leaves()));
    }

    [TestMethod]
    public void AFullyMaskedRowIsNaNAsInPyTorchsMathPath()
    {
        var g = new Generator(304);
        var (q, k, v) = (Rand(g, 2, 3), Rand(g, 4, 3), Rand(g, 4, 2));
        var mask = Tensor.From(new[] { true, true, false, false, false, false, false, false }, [2, 4]);
        var y = F.ScaledDotProductAttention(q, k, v, mask).ToArray<double>();
        Assert.IsTrue(double.IsFinite(y[0]) && double.IsFinite(y[1]), "row 0 attends to two keys");
        Assert.IsTrue(double.IsNaN(y[2]) && double.IsNaN(y[3]), $"row 1 attends to nothing: {y[2]}, {y[3]}");
    }

    [TestMethod]
    public void DropoutActsOnTheWeightsWhenPositive()
    {
        var g = new Generator(305);
        var (q, k, v) = (Rand(g, 3, 4), Rand(g, 6, 4), Rand(g, 6, 2));
        // p = 1 drops every weight: the output is zero, as in PyTorch.
        Assert.IsTrue(F.ScaledDotProductAttention(q, k, v, dropoutP: 1.0).ToArray<double>().All(x => x == 0));
        var a = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(9)).ToArray<double>();
        var b = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: new Generator(9)).ToArray<double>();
        var none = F.ScaledDotProductAttention(q, k, v).ToArray<double>();
        CollectionAssert.AreEqual(a, b, "the same seed draws the same mask");
        CollectionAssert.AreNotEqual(none, a, "dropout changed the output");
        // Each output is a combination of the rows of v with weights 0 or 2·softmax: the expectation is the undropped output.
        var mean = new double[none.Length];
        var gen = new Generator(10);
        const int Draws = 400;
        for (int d = 0; d < Draws; d++)
        {
            var y = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.5, generator: gen).ToArray<double>();
            for (int i = 0; i < y.Length; i++) mean[i] += y[i] / Draws;
        }
        for (int i = 0; i < mean.Length; i++) Assert.AreEqual(none[i], mean[i], 0.25, $"element {i}: mean over draws");
    }

    [TestMethod]
    public void BadArgumentsAreClearErrors()
    {
        var g = new Generator(306);
        var (q, k, v) = (Rand(g, 2, 3, 4), Rand(g, 2, 5, 4), Rand(g, 2, 5, 6));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones([3, 5], DType.Bool), isCausal: true)).Message, "is_causal");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, Rand(g, 2, 5, 3), v)).Message, "embedding size 3");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k, Rand(g, 2, 4, 6))).Message, "same sequence length");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, Rand(g, 3, 5, 4), Rand(g, 3, 5, 6))).Message, "batch dims");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(Rand(g, 4), k, v)).Message, "at least 2 dims");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k.To(DType.Float32), v)).Message, "same floating dtype");
        var wrongShape = Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones([3, 4], DType.Bool))).Message;
        StringAssert.Contains(wrongShape, "(3, 4)");
        StringAssert.Contains(wrongShape, "(2, 3, 5)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros([3, 5], DType.Int64))).Message, "torch.int64");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, dropoutP: 1.5)).Message, "dropout_p");
    }
}
