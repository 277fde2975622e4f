using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>
/// A tensor a backward rule reads (an input, an output, an index, a mask, a condition) that is modified in place
/// before backward must be reported with PyTorch's error, never silently give a wrong gradient.
/// </summary>
[TestClass]
public class SavedTensorVersionTests
{
    private const string Modified = "one of the variables needed for gradient computation has been modified by an inplace operation";

    private static InvalidOperationException AssertModified(Action backward, string tensor, string op, int version, int expected)
    {
        var ex = Assert.ThrowsExactly<InvalidOperationException>(backward);
        StringAssert.Contains(ex.Message, Modified);
        StringAssert.Contains(ex.Message, tensor);
        StringAssert.Contains(ex.Message, op);
        StringAssert.Contains(ex.Message, $"is at version {version}; expected version {expected} instead");
        return ex;
    }

    private static Tensor X(params double[] v) => Tensor.From(v).RequiresGrad_();

    [TestMethod]
    public void AGatherIndexModifiedBeforeBackwardIsReported()
    {
        var x = X(1, 2, 3);
        var idx = Tensor.From(new long[] { 0, 2 });
        var y = x.Gather(0, idx);
        idx.Fill_(1);
        AssertModified(() => y.Sum().Backward(), "[torch.LongTensor [2]]", "aten::gather", 1, 0);

        // Unmodified, the same graph gives gather's gradient (a scatter-add of ones at the indices).
        idx = Tensor.From(new long[] { 0, 2, 2 });
        x.Gather(0, idx).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 1, 0, 2 }, x.Grad!.ToArray<double>());
    }

    [TestMethod]
    public void AWhereConditionModifiedBeforeBackwardIsReported()
    {
        var x = X(1, 2, 3);
        var cond = Tensor.From(new[] { true, false, true });
        var y = Tensor.Where(cond, x, 0.0);
        cond.Copy_(Tensor.From(new[] { false, false, false }));
        AssertModified(() => y.Sum().Backward(), "[torch.BoolTensor [3]]", "aten::where", 1, 0);
    }

    [TestMethod]
    public void AMaskedFillMaskModifiedBeforeBackwardIsReported()
    {
        var x = X(1, 2, 3, 4).View(2, 2);
        var mask = Tensor.From(new[] { true, false });
        var y = x.MaskedFill(mask, 7);
        mask.Copy_(Tensor.From(new[] { false, true }));
        mask.Copy_(Tensor.From(new[] { true, true }));
        AssertModified(() => y.Sum().Backward(), "[torch.BoolTensor [2]]", "aten::masked_fill", 2, 0);
    }

    [TestMethod]
    public void AnIndexSelectIndexAndEmbeddingIndicesModifiedBeforeBackwardAreReported()
    {
        var x = X(1, 2, 3, 4, 5, 6).View(3, 2);
        var idx = Tensor.From(new long[] { 2, 0 });
        var y = x.IndexSelect(0, idx);
        idx.Fill_(1);
        AssertModified(() => y.Sum().Backward(), "[torch.LongTensor [2]]", "aten::index_select", 1, 0);

        var emb = new Embedding(4, 3, DType.Float64, new Generator(1));
        var tokens = Tensor.From(new long[] { 1, 3, 3, 0 }, [2, 2]);
        var e = emb.Forward(tokens);
        tokens[0, 1].Fill_(2);          // a view of the indices shares their version counter
        AssertModified(() => e.Sum().Backward(), "[torch.LongTensor [4]]", "aten::index_select", 1, 0);
    }

    [TestMethod]
    public void TheIndicesOfMaxAlongADimAreSavedForItsBackward()
    {
        var x = X(1, 5, 3, 4, 2, 6).View(2, 3);
        var (values, indices) = x.Max(1);
        indices.Fill_(0);
        AssertModified(() => values.Sum().Backward(), "[torch.LongTensor [2]]", "aten::max", 1, 0);
    }

    [TestMethod]
    public void ALayerNormWeightModifiedUnderNoGradIsReported()
    {
        var x = X(1, 2, 4, 8, -1, 0.5).View(2, 3);
        var w = X(1, 2, 3);
        var b = X(0, 0, 0);
        var y = x.LayerNorm([3], w, b);
        using (Autograd.NoGrad()) w.Mul_(2.0);   // an optimizer step between forward and backward
        AssertModified(() => (y * Tensor.From(new double[] { 1, -2, 3, 0.5, 1, -1 }, [2, 3])).Sum().Backward(),
            "[torch.DoubleTensor [3]]", "aten::native_layer_norm", 1, 0);
    }

    [TestMethod]
    public void TheIndexIsCheckedAgainByTheDoubleBackward()
    {
        var x = X(1, 2, 3);
        var idx = Tensor.From(new long[] { 0, 2 });
        var v = Tensor.From(new double[] { 2, 5 }).RequiresGrad_();
        var y = (x.Gather(0, idx) * v).Sum();
        var gx = Autograd.Grad([y], [x], createGraph: true)[0]!;  // gather_backward(v): reads idx again when differentiated
        CollectionAssert.AreEqual(new double[] { 2, 0, 5 }, gx.ToArray<double>());
        idx.Fill_(1);
        AssertModified(() => (gx * Tensor.From(new double[] { 1, 10, 100 })).Sum().Backward(), "[torch.LongTensor [2]]", "aten::gather_backward", 1, 0);
    }

    [TestMethod]
    public void TensorsThatNoRuleReadsMayBeModified()
    {
        // As in PyTorch: add saves nothing, so changing its operands before backward is fine.
        var x = X(1, 2, 3);
        var c = Tensor.From(new double[] { 10, 20, 30 });
        var y = (x + c).Sum();
        c.Add_(1.0);
        y.Backward();
        CollectionAssert.AreEqual(new double[] { 1, 1, 1 }, x.Grad!.ToArray<double>());

        // A view's backward reads only shapes.
        var z = X(1, 2, 3, 4);
        var t = z.View(2, 2).T.Sum(0);
        using (Autograd.NoGrad()) z.Mul_(3.0);
        t.Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 1, 1, 1, 1 }, z.Grad!.ToArray<double>());
    }

    // ---- Every op: any tensor its backward rules close over is either version-checked or not read ----

    /// <summary>Extra graphs beyond the gradcheck table: losses and layers built from indices.</summary>
    private static readonly Dictionary<string, Func<(Func<Tensor[], Tensor> F, Tensor[] X)>> Extra = new()
    {
        ["cross_entropy"] = () => (x => Functional.CrossEntropy(x[0], Tensor.From(new long[] { 2, 0, 1 }), labelSmoothing: 0.1), [Rand(1, 3, 4)]),
        ["nll_loss_ignore"] = () => (x => Functional.NllLoss(x[0].LogSoftmax(1), Tensor.From(new long[] { 1, -100, 3 })), [Rand(2, 3, 4)]),
        ["embedding"] = () => (x => x[0].IndexSelect(0, Tensor.From(new long[] { 1, 3, 3, 0 })) * 2.0, [Rand(3, 4, 2)]),
        ["argmax_max_dim"] = () => (x => x[0].Max(0).Values * x[0].Min(1, keepdim: true).Values.Sum(), [Rand(4, 3, 4)]),
        ["linear_no_bias"] = () => (x => Tensor.Linear(x[0], x[1]).Relu(), [Rand(5, 3, 4), Rand(6, 2, 4)]),
        ["linear_relu"] = () => (x => Tensor.LinearRelu(x[0], x[1], x[2]), [Rand(7, 3, 4), Rand(8, 2, 4), Rand(9, 2)]),
        ["linear_add"] = () => (x => Tensor.LinearAdd(x[0], x[1], x[2], x[3]), [Rand(10, 3, 4), Rand(11, 2, 4), Rand(12, 2), Rand(13, 3, 2)]),
        ["gelu_backward"] = () => (x => x[1].GeluBackward(x[0], GeluApproximation.Tanh), [Rand(14, 5), Rand(15, 5)]),
        ["dropout_mask"] = () => (x => Functional.Dropout(x[0], 0.5, generator: new Generator(3)), [Rand(16, 8)]),
    };

    private static Tensor Rand(int seed, params int[] shape) => Reference.Random(new Random(seed), shape).RequiresGrad_();

    public static IEnumerable<object[]> AllCases() =>
        GradCheckTests.Cases.Keys.Concat(Extra.Keys).Select(k => new object[] { k });

    private static (Func<Tensor[], Tensor> F, Tensor[] X) Make(string name) =>
        GradCheckTests.Cases.TryGetValue(name, out var c) ? c() : Extra[name]();

    /// <summary>
    /// Builds the case's graph and the graph of its gradient: L1 = Σ f(x)·w, L2 = Σ dL1/d(x, w) · v. Returns L2 (whose
    /// graph reaches both the backward ops and the forward ops) and the tensors it is differentiated by.
    /// </summary>
    private static (Tensor Root, Tensor[] Wrt) Build(string name, bool secondOrder)
    {
        var (f, x) = Make(name);
        var y = f(x);
        var w = Reference.Random(new Random(99), [.. y.Shape]).RequiresGrad_();
        var l1 = (y * w).Sum();
        Tensor[] wrt = [.. x.Where(t => t.RequiresGrad), w];
        if (!secondOrder) return (l1, wrt);
        var g = Autograd.Grad([l1], wrt, createGraph: true, allowUnused: true);
        Tensor? l2 = null;
        for (int i = 0; i < g.Length; i++)
        {
            if (g[i] is not { RequiresGrad: true } gi) continue;
            var term = (gi * Reference.Random(new Random(100 + i), [.. gi.Shape])).Sum();
            l2 = l2 is null ? term : l2 + term;
        }
        return (l2 ?? l1, wrt);
    }

    [TestMethod]
    [DynamicData(nameof(AllCases))]
    public void EveryTensorABackwardRuleReadsIsVersionChecked(string name)
    {
        foreach (bool second in new[] { false, true })
        {
            var (root, wrt) = Build(name, second);
            int n = ClosureTensors.Of(root).Count;   // before backward frees the rules
            Assert.IsGreaterThan(0, n, $"{name}: the walk found no tensors");
            var expected = Grads(root, wrt);
            for (int k = 0; k < n; k++)
            {
                var (r, x) = Build(name, second);
                var captured = ClosureTensors.Of(r);
                Assert.HasCount(n, captured, $"{name}: the graph is rebuilt the same way");
                var t = captured[k];
                var (node, shape, dtype) = (ClosureTensors.Owner(r, t), Shapes.Format(t.Shape), t.DType.TorchName());
                ClosureTensors.Scramble(t);
                double[]?[] actual;
                try
                {
                    actual = Grads(r, x);
                }
                catch (InvalidOperationException e) when (e.Message.Contains(Modified))
                {
                    continue;   // the rule reads it and it was saved: reported, as PyTorch does
                }
                for (int i = 0; i < expected.Length; i++)
                    CollectionAssert.AreEqual(expected[i], actual[i],
                        $"{name}{(second ? " (double backward)" : "")}: {dtype} {shape} read by {node} was modified in place, and the gradient of input {i} changed without an error.");
            }
        }
    }

    private static double[]?[] Grads(Tensor root, Tensor[] wrt) =>
        [.. Autograd.Grad([root], wrt, allowUnused: true).Select(g => g?.ToArray<double>())];
}
