using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

[TestClass]
public class NnTests
{
    /// <summary>The lecture's custom module: submodules discovered from fields.</summary>
    private sealed class TwoLayerNet : Module
    {
        private readonly Linear _linear1;
        private readonly Linear _linear2;

        public TwoLayerNet(int dIn, int h, int dOut, Generator g)
        {
            _linear1 = new Linear(dIn, h, generator: g);
            _linear2 = new Linear(h, dOut, generator: g);
        }

        public override Tensor Forward(Tensor x) => _linear2.Forward(_linear1.Forward(x).Clamp(min: 0));
    }

    [TestMethod]
    public void ParametersAreDiscoveredWithDottedNames()
    {
        var g = new Generator(1);
        var seq = new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, generator: g));
        CollectionAssert.AreEqual(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, seq.NamedParameters().Select(p => p.Name).ToArray());
        Assert.AreEqual(3, seq.Children().Count());
        var net = new TwoLayerNet(5, 4, 3, g);
        CollectionAssert.AreEqual(new[] { "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias" }, net.NamedParameters().Select(p => p.Name).ToArray());
        Assert.IsTrue(net.Parameters().All(p => p.RequiresGrad && p.IsLeaf));
        Assert.AreEqual(5 * 4 + 4 + 4 * 3 + 3, net.Parameters().Sum(p => p.Numel));
        var shared = new Linear(2, 2, generator: g);
        Assert.AreEqual(2, new Sequential(shared, shared).Parameters().Count(), "a shared module's parameters are listed once");
    }

    [TestMethod]
    public void ToStringPrintsATreeLikePyTorch()
    {
        var g = new Generator(1);
        var seq = new Sequential(new Linear(1000, 100, generator: g), new ReLU(), new Linear(100, 10, bias: false, generator: g));
        Assert.AreEqual(
            "Sequential(\n  (0): Linear(in_features=1000, out_features=100, bias=True)\n  (1): ReLU()\n  (2): Linear(in_features=100, out_features=10, bias=False)\n)",
            seq.ToString());
        var nested = new Sequential(new Sequential(new Tanh()), new LayerNorm(8), new Dropout(0.1));
        Assert.AreEqual(
            "Sequential(\n  (0): Sequential(\n    (0): Tanh()\n  )\n  (1): LayerNorm((8,), eps=1E-05, elementwise_affine=True)\n  (2): Dropout(p=0.1)\n)",
            nested.ToString());
    }

    [TestMethod]
    public void LinearUsesPyTorchInitAndComputesXWtPlusB()
    {
        var lin = new Linear(400, 300, generator: new Generator(3));
        double bound = 1 / Math.Sqrt(400);
        var w = Reference.Values(lin.Weight);
        Assert.IsTrue(w.All(v => Math.Abs(v) <= bound));
        double std = Math.Sqrt(w.Select(v => v * v).Average());
        Assert.AreEqual(bound / Math.Sqrt(3), std, 0.01 * bound, "U(-b, b) has std b/√3");
        Assert.IsTrue(Reference.Values(lin.Bias!).All(v => Math.Abs(v) <= bound));

        var small = new Linear(3, 2, generator: new Generator(4));
        var x = Reference.Random(new Random(5), [4, 3], DType.Float32);
        var y = small.Forward(x);
        var W = Reference.Values(small.Weight);
        var b = Reference.Values(small.Bias!);
        var xv = Reference.Values(x);
        var expected = new double[8];
        for (int i = 0; i < 4; i++)
            for (int o = 0; o < 2; o++)
                expected[i * 2 + o] = b[o] + Enumerable.Range(0, 3).Sum(k => xv[i * 3 + k] * W[o * 3 + k]);
        Reference.AssertClose(expected, y, 1e-5, 1e-6);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => small.Forward(Tensor.Zeros(4, 5)));
        StringAssert.Contains(ex.Message, "aten::linear");
        StringAssert.Contains(ex.Message, "(4, 5)");
        StringAssert.Contains(ex.Message, "(2, 3)");
    }

    [TestMethod]
    public void TrainEvalZeroGradAndStateDict()
    {
        var g = new Generator(6);
        var net = new Sequential(new Linear(3, 4, generator: g), new Dropout(0.5), new Linear(4, 2, generator: g));
        net.Eval();
        Assert.IsTrue(net.NamedModules().All(m => !m.Module.IsTraining));
        net.Train();
        Assert.IsTrue(net[1].IsTraining);

        net.Forward(Tensor.Ones(2, 3)).Sum().Backward();
        Assert.IsTrue(net.Parameters().All(p => p.Grad is not null));
        net.ZeroGrad(setToNone: false);
        Assert.IsTrue(net.Parameters().All(p => Reference.Values(p.Grad!).All(v => v == 0)));
        net.ZeroGrad();
        Assert.IsTrue(net.Parameters().All(p => p.Grad is null));

        var state = net.StateDict();
        CollectionAssert.AreEqual(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, state.Keys.ToArray());
        var other = new Sequential(new Linear(3, 4, generator: g), new Dropout(0.5), new Linear(4, 2, generator: g));
        Assert.AreNotEqual(Reference.Values(net[0].Parameters().First())[0], Reference.Values(other[0].Parameters().First())[0]);
        other.LoadStateDict(state);
        foreach (var ((_, p), (_, q)) in net.NamedParameters().Zip(other.NamedParameters()))
            CollectionAssert.AreEqual(Reference.Values(p), Reference.Values(q));
        Assert.IsTrue(other.Parameters().All(p => p.RequiresGrad && p.IsLeaf), "loading keeps parameters trainable leaves");

        var missing = new Dictionary<string, Tensor>(state);
        missing.Remove("2.bias");
        missing["extra"] = Tensor.Zeros(1);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => other.LoadStateDict(missing));
        StringAssert.Contains(ex.Message, "Missing key(s) in state_dict: \"2.bias\"");
        StringAssert.Contains(ex.Message, "Unexpected key(s) in state_dict: \"extra\"");
        other.LoadStateDict(missing, strict: false);
        var wrong = new Dictionary<string, Tensor>(state) { ["0.weight"] = Tensor.Zeros(5, 3) };
        ex = Assert.ThrowsExactly<ArgumentException>(() => other.LoadStateDict(wrong, strict: false));
        StringAssert.Contains(ex.Message, "size mismatch for 0.weight");
        StringAssert.Contains(ex.Message, "(5, 3)");
    }

    [TestMethod]
    public void ActivationModulesMatchTensorOps()
    {
        var x = Reference.Random(new Random(7), [3, 5], DType.Float32);
        Reference.AssertClose(Reference.Values(x.Relu()), new ReLU().Forward(x), 0);
        Reference.AssertClose(Reference.Values(x.Tanh()), new Tanh().Forward(x), 0);
        Reference.AssertClose(Reference.Values(x.Sigmoid()), new Sigmoid().Forward(x), 0);
        Reference.AssertClose(Reference.Values(x.Gelu(GeluApproximation.Tanh)), new GELU(GeluApproximation.Tanh).Forward(x), 0);
        var sm = new Softmax(1).Forward(x);
        Reference.AssertClose(Enumerable.Repeat(1.0, 3).ToArray(), sm.Sum(1), 1e-6);
        Reference.AssertShape(new Flatten().Forward(Tensor.Zeros(2, 3, 4)), 2, 12);
    }

    [TestMethod]
    public void DropoutScalesKeptValuesAndIsIdentityInEval()
    {
        var x = Tensor.Ones(100_000);
        var d = new Dropout(0.3, new Generator(8));
        var y = Reference.Values(d.Forward(x));
        double zeroFraction = y.Count(v => v == 0) / (double)y.Length;
        Assert.AreEqual(0.3, zeroFraction, 0.01);
        Assert.IsTrue(y.Where(v => v != 0).All(v => Math.Abs(v - 1 / 0.7) < 1e-6));
        Assert.AreEqual(1.0, y.Average(), 0.01, "inverted dropout keeps the expectation");
        d.Eval();
        Assert.AreSame(x, d.Forward(x));
        Assert.ThrowsExactly<ArgumentException>(() => new Dropout(1.5));
    }

    [TestMethod]
    public void LayerNormNormalizesTrailingDims()
    {
        var ln = new LayerNorm([2, 3]);
        var x = Reference.Random(new Random(9), [4, 2, 3], DType.Float64, -5, 5);
        var y = Reference.Values(ln.Forward(x.To(DType.Float32)));
        for (int r = 0; r < 4; r++)
        {
            var row = y.Skip(r * 6).Take(6).ToArray();
            Assert.AreEqual(0, row.Average(), 1e-5);
            Assert.AreEqual(1, row.Select(v => v * v).Average(), 1e-3);
        }
        Assert.AreEqual(2, ln.Parameters().Count());
    }

    [TestMethod]
    public void EmbeddingLooksUpRowsAndAccumulatesGradients()
    {
        var emb = new Embedding(5, 3, generator: new Generator(10));
        var idx = Tensor.From(new long[] { 4, 0, 4, 2 }, [2, 2]);
        var y = emb.Forward(idx);
        Reference.AssertShape(y, 2, 2, 3);
        CollectionAssert.AreEqual(Reference.Values(emb.Weight[4]), Reference.Values(y[1, 0]));
        y.Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2 }, Reference.Values(emb.Weight.Grad!));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => emb.Forward(Tensor.Zeros(2)));
        StringAssert.Contains(ex.Message, "Embedding");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => emb.Forward(Tensor.From(new long[] { 5 })));
    }

    [TestMethod]
    public void MseLossMatchesReference()
    {
        var a = Reference.Random(new Random(11), [4, 5]);
        var b = Reference.Random(new Random(12), [4, 5]);
        var d = Reference.Values(a).Zip(Reference.Values(b), (p, q) => (p - q) * (p - q)).ToArray();
        Assert.AreEqual(d.Average(), Functional.MseLoss(a, b).Item(), 1e-12);
        Assert.AreEqual(d.Sum(), new MseLoss(Reduction.Sum).Forward(a, b).Item(), 1e-12);
        Reference.AssertClose(d, Functional.MseLoss(a, b, Reduction.None), 1e-12);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Functional.MseLoss(a, Tensor.Zeros([4], DType.Float64)));
        StringAssert.Contains(ex.Message, "mse_loss");
        StringAssert.Contains(ex.Message, "(4, 5)");
        Assert.IsTrue(Autograd.GradCheck(t => Functional.MseLoss(t[0], t[1]), [a.RequiresGrad_(), b.RequiresGrad_()]));
    }

    private static double[] CrossEntropyRef(double[] logits, long[] target, int c, double eps, long ignore)
    {
        int n = target.Length;
        var loss = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (target[i] == ignore) continue;
            var row = logits.Skip(i * c).Take(c).ToArray();
            double m = row.Max(), lse = m + Math.Log(row.Sum(v => Math.Exp(v - m)));
            var logp = row.Select(v => v - lse).ToArray();
            loss[i] = -(1 - eps) * logp[target[i]] - eps * logp.Average();
        }
        return loss;
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.1)]
    public void CrossEntropyMatchesReference(double smoothing)
    {
        var x = Reference.Random(new Random(13), [6, 4], DType.Float64, -3, 3);
        var t = Tensor.From(new long[] { 0, 3, 1, -100, 2, 3 });
        var expected = CrossEntropyRef(Reference.Values(x), t.ToArray<long>(), 4, smoothing, -100);
        Reference.AssertClose(expected, Functional.CrossEntropy(x, t, Reduction.None, smoothing), 1e-12);
        Assert.AreEqual(expected.Sum() / 5, Functional.CrossEntropy(x, t, Reduction.Mean, smoothing).Item(), 1e-12, "mean over non-ignored targets");
        Assert.AreEqual(expected.Sum(), new CrossEntropyLoss(Reduction.Sum, smoothing).Forward(x, t).Item(), 1e-12);
        Assert.IsTrue(Autograd.GradCheck(v => Functional.CrossEntropy(v[0], t, labelSmoothing: smoothing), [x.RequiresGrad_()]));

        // (N, C, d) inputs: classes along dim 1.
        var x3 = Reference.Random(new Random(14), [2, 4, 3]);
        var t3 = Tensor.From(new long[] { 0, 1, 2, 3, 3, 0 }, [2, 3]);
        var rows = x3.Permute(0, 2, 1).Reshape(6, 4);
        Reference.AssertClose(CrossEntropyRef(Reference.Values(rows), t3.ToArray<long>(), 4, smoothing, -100),
            Functional.CrossEntropy(x3, t3, Reduction.None, smoothing).Reshape(-1), 1e-12);
    }

    [TestMethod]
    public void ClassificationLossesRejectBadTargets()
    {
        var x = Tensor.Zeros(3, 5);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Functional.CrossEntropy(x, Tensor.From(new long[] { 0, 5, 1 })));
        StringAssert.Contains(ex.Message, "target 5 is out of bounds for 5 classes");
        var ex2 = Assert.ThrowsExactly<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.From(new long[] { 0, 1 })));
        StringAssert.Contains(ex2.Message, "(3,)");
        StringAssert.Contains(ex2.Message, "(2,)");
        Assert.ThrowsExactly<ArgumentException>(() => Functional.CrossEntropy(x, Tensor.From(new float[] { 0, 1, 2 })));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Functional.NllLoss(x, Tensor.From(new long[] { -1, 0, 0 })));
        var logp = x.LogSoftmax(1);
        Assert.AreEqual(Math.Log(5), Functional.NllLoss(logp, Tensor.From(new long[] { 0, 1, 4 })).Item(), 1e-6);
    }
}
