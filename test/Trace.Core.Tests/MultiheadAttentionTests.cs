using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>MultiheadAttention against a per-head float64 loop built from its weights, with masks, layouts, options and bad inputs.</summary>
[TestClass]
public class MultiheadAttentionTests
{
    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g);

    /// <summary>
    /// The layer's math as loops over batch, head, query and key: seq-first (L, N, E) query, (S, N, kdim)/(S, N, vdim)
    /// key/value; <paramref name="bias"/>(n, h, i, j) is added to the scores. Returns the (L, N, E) output and the
    /// per-head weights (N, H, L, S).
    /// </summary>
    private static (double[] Out, double[] Weights) Reference(MultiheadAttention m, Tensor query, Tensor key, Tensor value, Func<int, int, int, int, double>? bias = null)
    {
        int l = query.Size(0), n = query.Size(1), s = key.Size(0), e = m.EmbedDim, h = m.NumHeads, d = e / h;
        var (qx, kx, vx) = (query.ToArray<double>(), key.ToArray<double>(), value.ToArray<double>());
        double[] wq, wk, wv;
        if (m.InProjWeight is { } w)
        {
            var all = w.ToArray<double>();
            (wq, wk, wv) = (all[..(e * e)], all[(e * e)..(2 * e * e)], all[(2 * e * e)..]);
        }
        else (wq, wk, wv) = (m.QProjWeight!.ToArray<double>(), m.KProjWeight!.ToArray<double>(), m.VProjWeight!.ToArray<double>());
        var bin = m.InProjBias?.ToArray<double>() ?? new double[3 * e];
        var (wo, bo) = (m.OutProj.Weight.ToArray<double>(), m.OutProj.Bias?.ToArray<double>() ?? new double[e]);
        int kd = key.Size(2), vd = value.Size(2);
        // Projections: p[t, n, o] = Σ_c W[o, c]·x[t, n, c] + b[o].
        double[] Project(double[] x, int len, int inDim, double[] wt, int biasOffset)
        {
            var p = new double[len * n * e];
            for (int t = 0; t < len; t++)
                for (int b = 0; b < n; b++)
                    for (int o = 0; o < e; o++)
                    {
                        double acc = bin[biasOffset + o];
                        for (int c = 0; c < inDim; c++) acc += wt[o * inDim + c] * x[(t * n + b) * inDim + c];
                        p[(t * n + b) * e + o] = acc;
                    }
            return p;
        }
        var (q, k, v) = (Project(qx, l, e, wq, 0), Project(kx, s, kd, wk, e), Project(vx, s, vd, wv, 2 * e));
        var weights = new double[n * h * l * s];
        var concat = new double[l * n * e];
        for (int b = 0; b < n; b++)
            for (int hd = 0; hd < h; hd++)
                for (int i = 0; i < l; i++)
                {
                    var sc = new double[s];
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < s; j++)
                    {
                        double dot = 0;
                        for (int c = 0; c < d; c++) dot += q[(i * n + b) * e + hd * d + c] * k[(j * n + b) * e + hd * d + c];
                        sc[j] = dot / Math.Sqrt(d) + (bias?.Invoke(b, hd, i, j) ?? 0);
                        max = Math.Max(max, sc[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < s; j++) z += sc[j] = Math.Exp(sc[j] - max);
                    for (int j = 0; j < s; j++) weights[((b * h + hd) * l + i) * s + j] = sc[j] / z;
                    for (int c = 0; c < d; c++)
                    {
                        double acc = 0;
                        for (int j = 0; j < s; j++) acc += sc[j] / z * v[(j * n + b) * e + hd * d + c];
                        concat[(i * n + b) * e + hd * d + c] = acc;
                    }
                }
        var output = new double[l * n * e];
        for (int r = 0; r < l * n; r++)
            for (int o = 0; o < e; o++)
            {
                double acc = bo[o];
                for (int c = 0; c < e; c++) acc += wo[o * e + c] * concat[r * e + c];
                output[r * e + o] = acc;
            }
        return (output, weights);
    }

    /// <summary>(N, H, L, S) weights averaged over H.</summary>
    private static double[] AverageHeads(double[] w, int n, int h, int l, int s)
    {
        var r = new double[n * l * s];
        for (int b = 0; b < n; b++)
            for (int hd = 0; hd < h; hd++)
                for (int x = 0; x < l * s; x++) r[b * l * s + x] += w[(b * h + hd) * l * s + x] / h;
        return r;
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, a.Length, what);
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(expected[i], a[i], tol, $"{what}: element {i}");
    }

    private static MultiheadAttention Layer(int e, int h, Generator g, bool bias = true, int? kdim = null, int? vdim = null, bool batchFirst = false, bool addBiasKv = false)
    {
        var m = new MultiheadAttention(e, h, bias: bias, kdim: kdim, vdim: vdim, batchFirst: batchFirst, addBiasKv: addBiasKv, dtype: DType.Float64, generator: g);
        // Non-zero biases, so that the test sees where each one goes.
        using (Autograd.NoGrad())
        {
            m.InProjBias?.Copy_(Rand(g, 3 * e));
            m.OutProj.Bias?.Copy_(Rand(g, e));
        }
        return m;
    }

    [TestMethod]
    public void MatchesThePerHeadLoopWithAveragedAndPerHeadWeights()
    {
        var g = new Generator(401);
        var m = Layer(8, 2, g);
        var (q, k, v) = (Rand(g, 3, 2, 8), Rand(g, 5, 2, 8), Rand(g, 5, 2, 8));
        var (refOut, refW) = Reference(m, q, k, v);
        var (output, weights) = m.Forward(q, k, v);
        CollectionAssert.AreEqual(new[] { 3, 2, 8 }, output.Shape.ToArray());
        AssertClose(refOut, output, 1e-12, "output");
        CollectionAssert.AreEqual(new[] { 2, 3, 5 }, weights!.Shape.ToArray());
        AssertClose(AverageHeads(refW, 2, 2, 3, 5), weights, 1e-12, "averaged weights");
        var (_, perHead) = m.Forward(q, k, v, averageAttnWeights: false);
        CollectionAssert.AreEqual(new[] { 2, 2, 3, 5 }, perHead!.Shape.ToArray());
        AssertClose(refW, perHead, 1e-12, "per-head weights");
        Assert.IsNull(m.Forward(q, k, v, needWeights: false).Weights);
        AssertClose(Reference(m, q, q, q).Out, m.Forward(q), 1e-12, "Forward(Tensor) is self-attention");
    }

    [TestMethod]
    public void KeyPaddingAndAttentionMasksMarkIgnoredPositionsWithTrue()
    {
        var g = new Generator(402);
        var m = Layer(6, 3, g);
        var (q, k) = (Rand(g, 4, 2, 6), Rand(g, 5, 2, 6));
        // Batch 0 ignores keys 3 and 4, batch 1 key 0; the (L, S) mask hides key 1 from query 2.
        var pad = Tensor.From(new[] { false, false, false, true, true, true, false, false, false, false }, [2, 5]);
        bool Padded(int b, int j) => b == 0 ? j >= 3 : j == 0;
        var attn = Tensor.Zeros([4, 5], DType.Bool).MaskedFill(Tensor.From(new[] { false, false, false, false, false, false, false, false, false, false, false, true, false, false, false, false, false, false, false, false }, [4, 5]), 1);
        double Bias(int b, int h, int i, int j) => Padded(b, j) || (i == 2 && j == 1) ? double.NegativeInfinity : 0;
        var (refOut, refW) = Reference(m, q, k, k, Bias);
        var (output, weights) = m.Forward(q, k, k, keyPaddingMask: pad, attnMask: attn);
        AssertClose(refOut, output, 1e-12, "bool masks");
        AssertClose(AverageHeads(refW, 2, 3, 4, 5), weights!, 1e-12, "bool masks, weights");
        Assert.AreEqual(0.0, weights!.ToArray<double>()[(0 * 4 + 0) * 5 + 3], "a padded key gets no weight");

        // Float masks are added; a 3-D (N·H, L, S) mask differs per head.
        var perHead = Rand(g, 2 * 3, 4, 5);
        var ph = perHead.ToArray<double>();
        var floatPad = Rand(g, 2, 5);
        var fp = floatPad.ToArray<double>();
        (refOut, _) = Reference(m, q, k, k, (b, h, i, j) => ph[((b * 3 + h) * 4 + i) * 5 + j] + fp[b * 5 + j]);
        AssertClose(refOut, m.Forward(q, k, k, keyPaddingMask: floatPad, attnMask: perHead).Output, 1e-12, "float masks");
    }

    [TestMethod]
    public void BatchFirstAndUnbatchedInputsAreTheSameComputation()
    {
        var g = new Generator(403);
        var seqFirst = Layer(4, 2, g);
        var batchFirst = new MultiheadAttention(4, 2, batchFirst: true, dtype: DType.Float64);
        batchFirst.LoadStateDict(seqFirst.StateDict());
        var (q, k) = (Rand(g, 3, 2, 4), Rand(g, 5, 2, 4));
        var expected = seqFirst.Forward(q, k, k);
        var actual = batchFirst.Forward(q.Transpose(0, 1), k.Transpose(0, 1), k.Transpose(0, 1));
        AssertClose(expected.Output.Transpose(0, 1).Contiguous().ToArray<double>(), actual.Output, 1e-13, "batch first");
        AssertClose(expected.Weights!.ToArray<double>(), actual.Weights!, 1e-13, "batch first weights");
        // An unbatched (L, E) input is batch 1 without the batch dim.
        var single = seqFirst.Forward(q.Select(1, 1), k.Select(1, 1), k.Select(1, 1), keyPaddingMask: Tensor.From(new[] { false, true, false, false, false }));
        var batched = seqFirst.Forward(q.Narrow(1, 1, 1), k.Narrow(1, 1, 1), k.Narrow(1, 1, 1), keyPaddingMask: Tensor.From(new[] { false, true, false, false, false }, [1, 5]));
        CollectionAssert.AreEqual(new[] { 3, 4 }, single.Output.Shape.ToArray());
        AssertClose(batched.Output.ToArray<double>(), single.Output, 1e-14, "unbatched");
        CollectionAssert.AreEqual(new[] { 3, 5 }, single.Weights!.Shape.ToArray());
    }

    [TestMethod]
    public void SeparateKeyAndValueSizesAndAddedBiasKv()
    {
        var g = new Generator(404);
        var m = Layer(6, 2, g, kdim: 3, vdim: 5);
        CollectionAssert.AreEqual(new[] { "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" },
            m.NamedParameters().Select(p => p.Name).ToArray());
        Assert.IsNull(m.InProjWeight);
        var (q, k, v) = (Rand(g, 2, 3, 6), Rand(g, 4, 3, 3), Rand(g, 4, 3, 5));
        AssertClose(Reference(m, q, k, v).Out, m.Forward(q, k, v).Output, 1e-12, "kdim/vdim");

        // bias_k/bias_v append one key and one value (already projected) to every sequence: per-head attention over S + 1.
        var withKv = Layer(4, 2, g, addBiasKv: true);
        CollectionAssert.AreEqual(new[] { "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias" },
            withKv.NamedParameters().Select(p => p.Name).ToArray());
        var (q2, k2) = (Rand(g, 3, 2, 4), Rand(g, 4, 2, 4));
        var full = withKv.Forward(q2, k2, k2, keyPaddingMask: Tensor.Zeros([2, 4], DType.Bool));
        CollectionAssert.AreEqual(new[] { 2, 3, 5 }, full.Weights!.Shape.ToArray(), "one more key position");
        var e = 4;
        var w = withKv.InProjWeight!;
        var b = withKv.InProjBias!;
        Tensor Proj(Tensor x, int part) => Tensor.Linear(x, w.Narrow(0, part * e, e), b.Narrow(0, part * e, e));
        var qp = Proj(q2, 0).Permute(1, 0, 2).Reshape(2, 3, 2, 2).Transpose(1, 2);
        var kp = Tensor.Cat([Proj(k2, 1), withKv.BiasK!.Expand(1, 2, e)], 0).Permute(1, 0, 2).Reshape(2, 5, 2, 2).Transpose(1, 2);
        var vp = Tensor.Cat([Proj(k2, 2), withKv.BiasV!.Expand(1, 2, e)], 0).Permute(1, 0, 2).Reshape(2, 5, 2, 2).Transpose(1, 2);
        var (qs, ks, vs) = (qp.Contiguous().ToArray<double>(), kp.Contiguous().ToArray<double>(), vp.Contiguous().ToArray<double>());
        var heads = AttentionTests.ReferenceAttention(qs, ks, vs, 4, 3, 5, 2, 2, 1 / Math.Sqrt(2));
        var concat = Tensor.From(heads, [2, 2, 3, 2]).Transpose(1, 2).Reshape(2, 3, 4).Transpose(0, 1);
        AssertClose(withKv.OutProj.Forward(concat).Contiguous().ToArray<double>(), full.Output, 1e-12, "bias_k/bias_v");
    }

    [TestMethod]
    public void ParametersHavePyTorchsNamesAndInitialization()
    {
        var m = new MultiheadAttention(16, 4, generator: new Generator(405));
        CollectionAssert.AreEqual(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }, m.NamedParameters().Select(p => p.Name).ToArray());
        CollectionAssert.AreEqual(new[] { 48, 16 }, m.InProjWeight!.Shape.ToArray());
        Assert.IsTrue(m.InProjBias!.ToArray<float>().All(x => x == 0) && m.OutProj.Bias!.ToArray<float>().All(x => x == 0), "zero biases");
        double bound = Math.Sqrt(6.0 / (16 + 48));   // Xavier-uniform of (3E, E)
        var w = m.InProjWeight.ToArray<float>();
        Assert.IsTrue(w.All(x => Math.Abs(x) <= bound) && w.Max() > 0.8 * bound, $"in_proj_weight within ±{bound}: max {w.Max()}");
        Assert.AreEqual(2, new MultiheadAttention(16, 4, bias: false).NamedParameters().Count());
    }

    [TestMethod]
    public void TheCausalHintNeedsItsMaskAndGivesTheMasksResult()
    {
        var g = new Generator(406);
        var m = Layer(4, 2, g);
        var x = Rand(g, 5, 2, 4);
        var causal = TransformerEncoder.GenerateSquareSubsequentMask(5, DType.Float64);
        var masked = m.Forward(x, x, x, needWeights: false, attnMask: causal).Output;
        var hinted = m.Forward(x, x, x, needWeights: false, attnMask: causal, isCausal: true).Output;
        AssertClose(masked.ToArray<double>(), hinted, 1e-13, "hint");
        AssertClose(Reference(m, x, x, x, (b, h, i, j) => j > i ? double.NegativeInfinity : 0).Out, masked, 1e-12, "causal mask");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(x, x, x, isCausal: true)).Message, "need attn_mask");
    }

    [TestMethod]
    public void GradientsOfTheInputsMatchFiniteDifferences()
    {
        var g = new Generator(407);
        var m = Layer(4, 2, g);
        var pad = Tensor.From(new[] { false, false, true, false, false, false }, [2, 3]);
        Assert.IsTrue(Autograd.GradCheck(t => m.Forward(t[0], t[1], t[2], keyPaddingMask: pad).Output,
            [Rand(g, 2, 2, 4).RequiresGrad_(), Rand(g, 3, 2, 4).RequiresGrad_(), Rand(g, 3, 2, 4).RequiresGrad_()]));
        // The parameters' gradients against central differences of a few entries of each projection.
        var x = Rand(g, 2, 2, 4);
        Tensor Loss() => m.Forward(x).Square().Sum();
        var ps = new[] { m.InProjWeight!, m.InProjBias!, m.OutProj.Weight };
        var grads = Autograd.Grad([Loss()], ps);
        for (int p = 0; p < ps.Length; p++)
        {
            var flat = ps[p].Detach().View(-1);
            var analytic = grads[p]!.Reshape(-1).ToArray<double>();
            foreach (int i in new[] { 0, 5, flat.Numel / 2, flat.Numel - 1 })
            {
                double orig = flat.ToArray<double>()[i], eps = 1e-6;
                using var _ = Autograd.NoGrad();
                flat.Narrow(0, i, 1).Fill_(orig + eps);
                double up = Loss().Item();
                flat.Narrow(0, i, 1).Fill_(orig - eps);
                double down = Loss().Item();
                flat.Narrow(0, i, 1).Fill_(orig);
                Assert.AreEqual((up - down) / (2 * eps), analytic[i], 1e-5 * Math.Max(1, Math.Abs(analytic[i])), $"parameter {p} element {i}");
            }
        }
    }

    [TestMethod]
    public void BadInputsAreClearErrors()
    {
        var g = new Generator(408);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new MultiheadAttention(10, 3)).Message, "divisible by num_heads");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new MultiheadAttention(8, 2, dropout: 2)).Message, "dropout");
        var m = Layer(4, 2, g);
        var (q, k) = (Rand(g, 3, 2, 4), Rand(g, 5, 2, 4));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(Rand(g, 3, 2, 6), k, k)).Message, "embedding dimension of 4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, k, Rand(g, 4, 2, 4))).Message, "does not match value shape");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, Rand(g, 5, 3, 4), Rand(g, 5, 3, 4))).Message, "batch size");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, Rand(g, 5, 4), k)).Message, "to be 3-D");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(Rand(g, 1, 3, 2, 4), k, k)).Message, "4-D query");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, k, k, attnMask: Tensor.Zeros([3, 4], DType.Bool))).Message, "should be (3, 5)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, k, k, attnMask: Tensor.Zeros([2, 3, 5], DType.Bool))).Message, "should be (4, 3, 5)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, k, k, keyPaddingMask: Tensor.Zeros([2, 4], DType.Bool))).Message, "key_padding_mask shape of (2, 5)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => m.Forward(q, k, k, attnMask: Tensor.Zeros([3, 5], DType.Int64))).Message, "torch.int64");
    }
}
