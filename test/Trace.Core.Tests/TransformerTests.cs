using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>Transformer encoder/decoder layers against hand compositions, the encoder stack, the positional encodings and their errors.</summary>
[TestClass]
public class TransformerTests
{
    private static Tensor Rand(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g);

    /// <summary>Layer norm over the last dim written out: (x − mean)/√(var + eps)·w + b.</summary>
    private static Tensor Norm(LayerNorm n, Tensor x)
    {
        var mean = x.Mean(-1, keepdim: true);
        var centered = x.Sub(mean);
        var y = centered.Div(centered.Square().Mean(-1, keepdim: true).Add(n.Eps).Sqrt());
        return n.Bias is null ? y.Mul(n.Weight!) : y.Mul(n.Weight!).Add(n.Bias);
    }

    private static Tensor Attend(MultiheadAttention m, Tensor q, Tensor kv, Tensor? mask = null, Tensor? pad = null) =>
        m.Forward(q, kv, kv, keyPaddingMask: pad, needWeights: false, attnMask: mask).Output;

    private static Tensor FeedForward(Linear l1, Linear l2, Tensor x, string activation) =>
        l2.Forward(activation == "gelu" ? l1.Forward(x).Gelu() : l1.Forward(x).Relu());

    private static void AssertClose(Tensor expected, Tensor actual, double tol, string what)
    {
        CollectionAssert.AreEqual(expected.Shape.ToArray(), actual.Shape.ToArray(), what);
        var (e, a) = (expected.Contiguous().ToArray<double>(), actual.Contiguous().ToArray<double>());
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(e[i], a[i], tol, $"{what}: element {i}");
    }

    /// <summary>Random non-trivial norm affines, so that weight and bias placement is seen.</summary>
    private static void PerturbNorms(Module m, Generator g)
    {
        using var _ = Autograd.NoGrad();
        foreach (var (name, p) in m.NamedParameters())
            if (name.StartsWith("norm", StringComparison.Ordinal)) p.Copy_(Rand(g, p.Shape.ToArray()).Mul(0.3).Add(name.EndsWith("weight", StringComparison.Ordinal) ? 1 : 0));
    }

    [TestMethod]
    [DataRow(false, "relu")]
    [DataRow(true, "gelu")]
    public void EncoderLayerIsItsHandComposition(bool normFirst, string activation)
    {
        var g = new Generator(501);
        var layer = new TransformerEncoderLayer(8, 2, 16, 0.0, activation, normFirst: normFirst, dtype: DType.Float64, generator: g);
        PerturbNorms(layer, g);
        var x = Rand(g, 5, 3, 8);
        var mask = TransformerEncoder.GenerateSquareSubsequentMask(5, DType.Float64);
        var pad = Tensor.From(new[] { false, false, false, false, true, false, false, false, false, false, false, true, true, false, false }, [3, 5]);
        Tensor expected;
        if (normFirst)
        {
            var h = x.Add(Attend(layer.SelfAttn, Norm(layer.Norm1, x), Norm(layer.Norm1, x), mask, pad));
            expected = h.Add(FeedForward(layer.Linear1, layer.Linear2, Norm(layer.Norm2, h), activation));
        }
        else
        {
            var h = Norm(layer.Norm1, x.Add(Attend(layer.SelfAttn, x, x, mask, pad)));
            expected = Norm(layer.Norm2, h.Add(FeedForward(layer.Linear1, layer.Linear2, h, activation)));
        }
        AssertClose(expected, layer.Forward(x, mask, pad), 1e-12, $"norm_first={normFirst}");
        AssertClose(expected, layer.Forward(x, mask, pad, isCausal: true), 1e-12, "with the causal hint");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void DecoderLayerIsItsHandComposition(bool normFirst)
    {
        var g = new Generator(502);
        var layer = new TransformerDecoderLayer(6, 3, 10, 0.0, normFirst: normFirst, batchFirst: true, dtype: DType.Float64, generator: g);
        PerturbNorms(layer, g);
        var (tgt, memory) = (Rand(g, 2, 4, 6), Rand(g, 2, 5, 6));
        var tgtMask = TransformerEncoder.GenerateSquareSubsequentMask(4, DType.Float64);
        var memoryPad = Tensor.From(new[] { false, false, false, false, true, true, false, false, false, false }, [2, 5]);
        Tensor x = tgt, expected;
        if (normFirst)
        {
            x = x.Add(Attend(layer.SelfAttn, Norm(layer.Norm1, x), Norm(layer.Norm1, x), tgtMask));
            x = x.Add(Attend(layer.MultiheadAttn, Norm(layer.Norm2, x), memory, pad: memoryPad));
            expected = x.Add(FeedForward(layer.Linear1, layer.Linear2, Norm(layer.Norm3, x), "relu"));
        }
        else
        {
            x = Norm(layer.Norm1, x.Add(Attend(layer.SelfAttn, x, x, tgtMask)));
            x = Norm(layer.Norm2, x.Add(Attend(layer.MultiheadAttn, x, memory, pad: memoryPad)));
            expected = Norm(layer.Norm3, x.Add(FeedForward(layer.Linear1, layer.Linear2, x, "relu")));
        }
        AssertClose(expected, layer.Forward(tgt, memory, tgtMask, memoryKeyPaddingMask: memoryPad), 1e-12, $"norm_first={normFirst}");
    }

    [TestMethod]
    public void SubmodulesAndParametersHavePyTorchsNames()
    {
        var enc = new TransformerEncoderLayer(8, 2, 16);
        CollectionAssert.AreEqual(new[] { "self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2" }, enc.NamedChildren().Select(c => c.Name).ToArray());
        CollectionAssert.AreEqual(new[]
        {
            "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
        }, enc.NamedParameters().Select(p => p.Name).ToArray());
        var dec = new TransformerDecoderLayer(8, 2, 16);
        CollectionAssert.AreEqual(new[] { "self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "norm3", "dropout1", "dropout2", "dropout3" },
            dec.NamedChildren().Select(c => c.Name).ToArray());
        // bias=false drops every bias, in the linears, the attention and the norms.
        var noBias = new TransformerEncoderLayer(8, 2, 16, bias: false);
        CollectionAssert.AreEqual(new[] { "self_attn.in_proj_weight", "self_attn.out_proj.weight", "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight" },
            noBias.NamedParameters().Select(p => p.Name).ToArray());
        var stack = new TransformerEncoder(i => new TransformerEncoderLayer(8, 2, 16), 2, new LayerNorm(8));
        Assert.IsTrue(stack.NamedParameters().Select(p => p.Name).SequenceEqual(
            [.. new[] { "layers.0.", "layers.1." }.SelectMany(prefix => enc.NamedParameters().Select(p => prefix + p.Name)), "norm.weight", "norm.bias"]));
    }

    [TestMethod]
    public void DropoutActsInTrainingOnlyAndTheStackChainsItsLayers()
    {
        var g = new Generator(503);
        var stack = new TransformerEncoder(i => new TransformerEncoderLayer(4, 2, 8, dropout: 0.3, batchFirst: true, normFirst: true, dtype: DType.Float64, generator: g), 3, new LayerNorm([4], dtype: DType.Float64));
        var x = Rand(g, 2, 3, 4);
        var trainA = stack.Forward(x).ToArray<double>();
        var trainB = stack.Forward(x).ToArray<double>();
        CollectionAssert.AreNotEqual(trainA, trainB, "different dropout masks in training");
        stack.Eval();
        var expected = x;
        foreach (var layer in stack.Layers) expected = layer.Forward(expected);
        expected = stack.Norm!.Forward(expected);
        AssertClose(expected, stack.Forward(x), 1e-13, "eval stack");
        AssertClose(stack.Forward(x), stack.Forward(x), 0, "eval is deterministic");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TransformerEncoder(_ => (TransformerEncoderLayer)stack.Layers[0], 2)).Message, "same layer");
    }

    [TestMethod]
    public void EncoderLayerGradientsMatchFiniteDifferences()
    {
        var g = new Generator(504);
        var layer = new TransformerEncoderLayer(4, 2, 6, dropout: 0.0, activation: "gelu", dtype: DType.Float64, generator: g);
        var pad = Tensor.From(new[] { false, false, true, false, false, false }, [2, 3]);
        Assert.IsTrue(Autograd.GradCheck(t => layer.Forward(t[0], null, pad), [Rand(g, 3, 2, 4).RequiresGrad_()]));
        var pre = new TransformerEncoderLayer(4, 2, 6, dropout: 0.0, normFirst: true, dtype: DType.Float64, generator: g);
        Assert.IsTrue(Autograd.GradCheck(t => pre.Forward(t[0], TransformerEncoder.GenerateSquareSubsequentMask(3, DType.Float64)), [Rand(g, 3, 2, 4).RequiresGrad_()]));
    }

    [TestMethod]
    public void WithoutBiasTheLayerIsItsBiasFreeComposition()
    {
        var g = new Generator(508);
        var layer = new TransformerEncoderLayer(4, 2, 8, 0.0, bias: false, dtype: DType.Float64, generator: g);
        PerturbNorms(layer, g);
        Assert.IsNull(layer.Norm1.Bias);
        var x = Rand(g, 3, 2, 4);
        var h = Norm(layer.Norm1, x.Add(Attend(layer.SelfAttn, x, x)));
        AssertClose(Norm(layer.Norm2, h.Add(FeedForward(layer.Linear1, layer.Linear2, h, "relu"))), layer.Forward(x), 1e-12, "bias=false");
    }

    [TestMethod]
    public void SquareSubsequentMaskIsZeroOnAndBelowTheDiagonal()
    {
        var m = TransformerEncoder.GenerateSquareSubsequentMask(4).ToArray<float>();
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                Assert.AreEqual(j > i ? float.NegativeInfinity : 0f, m[i * 4 + j], $"({i}, {j})");
    }

    [TestMethod]
    public void SinusoidalEncodingFollowsItsFormulaAndIsABuffer()
    {
        foreach (int d in new[] { 6, 7 })
        {
            var pe = new SinusoidalPositionalEncoding(d, maxLen: 20, dropout: 0.0, dtype: DType.Float64);
            Assert.AreEqual(0, pe.Parameters().Count(), "no parameters");
            CollectionAssert.AreEqual(new[] { "pe" }, pe.NamedBuffers().Select(b => b.Name).ToArray());
            var table = pe.Pe.ToArray<double>();
            for (int p = 0; p < 20; p++)
                for (int c = 0; c < d; c++)
                {
                    double angle = p / Math.Pow(10000, (c - c % 2) / (double)d);
                    Assert.AreEqual(c % 2 == 0 ? Math.Sin(angle) : Math.Cos(angle), table[p * d + c], 1e-12, $"d={d} pe[{p}, {c}]");
                }
            // (L, N, E): row p is added to every batch element at position p.
            var x = Rand(new Generator(505), 5, 2, d);
            var y = pe.Forward(x).ToArray<double>();
            var xs = x.ToArray<double>();
            for (int i = 0; i < y.Length; i++) Assert.AreEqual(xs[i] + table[i / (2 * d) * d + i % d], y[i], 1e-14, $"d={d} element {i}");
        }
        var batchFirst = new SinusoidalPositionalEncoding(4, 10, 0.0, batchFirst: true, dtype: DType.Float64);
        var z = Tensor.Zeros([2, 3, 4], DType.Float64);
        AssertClose(batchFirst.Pe.Narrow(0, 0, 3).Unsqueeze(0).Expand(2, 3, 4), batchFirst.Forward(z), 0, "batch first");
    }

    [TestMethod]
    public void LearnedEncodingAddsItsEmbeddingRows()
    {
        var pe = new LearnedPositionalEncoding(8, 3, batchFirst: true, dtype: DType.Float64, generator: new Generator(506));
        CollectionAssert.AreEqual(new[] { "embedding.weight" }, pe.NamedParameters().Select(p => p.Name).ToArray());
        var x = Rand(new Generator(507), 2, 5, 3);
        var table = pe.Embedding.Weight.ToArray<double>();
        var (xs, y) = (x.ToArray<double>(), pe.Forward(x).ToArray<double>());
        for (int i = 0; i < y.Length; i++) Assert.AreEqual(xs[i] + table[i % 15], y[i], 1e-14, $"element {i}");
        var seqFirst = new LearnedPositionalEncoding(8, 3, dtype: DType.Float64);
        var zs = seqFirst.Forward(Tensor.Zeros([5, 2, 3], DType.Float64)).ToArray<double>();
        var ts = seqFirst.Embedding.Weight.ToArray<double>();
        for (int i = 0; i < zs.Length; i++) Assert.AreEqual(ts[i / 6 * 3 + i % 3], zs[i], $"seq first element {i}");
        // Its gradient reaches the table rows used.
        pe.Forward(x).Sum().Backward();
        var grad = pe.Embedding.Weight.Grad!.ToArray<double>();
        for (int i = 0; i < grad.Length; i++) Assert.AreEqual(i < 15 ? 2.0 : 0.0, grad[i], $"grad {i}");
    }

    [TestMethod]
    public void BadArgumentsAreClearErrors()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TransformerEncoderLayer(8, 2, activation: "tanh")).Message, "relu/gelu");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TransformerDecoderLayer(9, 2)).Message, "divisible by num_heads");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TransformerEncoder(_ => new TransformerEncoderLayer(4, 2), 0)).Message, "num_layers");
        var layer = new TransformerEncoderLayer(4, 2, 8);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => layer.Forward(Tensor.Zeros(3, 2, 4), null, isCausal: true)).Message, "need attn_mask");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => layer.Forward(Tensor.Zeros(3, 2, 5))).Message, "embedding dimension of 4");
        var pe = new SinusoidalPositionalEncoding(4, maxLen: 3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pe.Forward(Tensor.Zeros(4, 1, 4))).Message, "exceeds max_len=3");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => pe.Forward(Tensor.Zeros(2, 1, 5))).Message, "d_model=4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LearnedPositionalEncoding(4, 4).Forward(Tensor.Zeros(4))).Message, "unbatched 2-D");
    }
}
