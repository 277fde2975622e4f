using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Elementwise fusion and its compiled loops, checked against eager execution.</summary>
[TestClass]
public class FusionTests
{
    private static Tensor W4(Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1];

    [TestMethod]
    [DataRow(1, DType.Float32)]
    [DataRow(15, DType.Float32)]
    [DataRow(17, DType.Float32)]
    [DataRow(1000, DType.Float64)]
    [DataRow(300_007, DType.Float32)]
    public void ElementwiseChainBecomesOneCompiledGroup(int n, DType dt)
    {
        var g = new Generator((ulong)n);
        Tensor[] Inputs() => [Tensor.Randn([n], dt, g), Tensor.Randn([n], dt, g)];
        var traced = Jit.Trace(W4, Inputs());
        var text = traced.Graph.ToString();
        StringAssert.Contains(text, "prim::FusionGroup_0(%x0, %x1)");
        StringAssert.Contains(text, "with prim::FusionGroup_0 = graph(");
        Assert.AreEqual(1, traced.Graph.Nodes.Count, "the whole chain is one node");
        Assert.AreEqual(text, Parser.Parse(text, traced.Graph.TensorConstants).ToString(), "fusion groups round-trip");
        for (int k = 0; k < 2; k++)
        {
            var x = Inputs();
            TraceAssert.AllClose(W4(x), traced.Call(x)[0], dt == DType.Float32 ? 2e-6 : 1e-14, 1e-7, $"n={n}");
        }
        StringAssert.Contains(traced.GeneratedCode, "// prim::FusionGroup_0: one vectorized loop");
        StringAssert.Contains(traced.GeneratedCode, "aten.tanh(");
        Assert.IsNotNull(CpuBackend.CompiledKernel(traced.Graph.Nodes[0]), "the group was compiled");
    }

    [TestMethod]
    public void GradientsFlowThroughFusionGroups()
    {
        var g = new Generator(7);
        var fresh = new[] { new[] { Tensor.Randn([33], generator: g), Tensor.Randn([33], generator: g) } };
        var traced = TraceAssert.TracedMatchesEager(W4, [Tensor.Randn([33], generator: g), Tensor.Randn([33], generator: g)], fresh);
        StringAssert.Contains(traced.Graph.ToString(), "prim::FusionGroup");
    }

    [TestMethod]
    [DataRow(new[] { 37 }, DType.Float32)]          // a row repeated: bias-like
    [DataRow(new[] { 5, 1 }, DType.Float32)]        // one value per row: a row max or norm
    [DataRow(new[] { 1, 1 }, DType.Float64)]        // one value
    [DataRow(new[] { 5, 37 }, DType.Float64)]       // same shape
    public void BroadcastOperandsFuseAsRowsColumnsOrScalars(int[] otherShape, DType dt)
    {
        var g = new Generator(11);
        static Tensor F(Tensor[] v) => ((v[0] - v[1]) * 0.5).Tanh() * v[0] + v[1].Exp();
        Tensor[] Inputs() => [Tensor.Randn([5, 37], dt, g), Tensor.Randn(otherShape, dt, g)];
        var traced = Jit.Trace(F, Inputs());
        StringAssert.Contains(traced.Graph.ToString(), "prim::FusionGroup_0");
        var x = Inputs();
        TraceAssert.AllClose(F(x), traced.Call(x)[0], dt == DType.Float32 ? 2e-6 : 1e-14, 1e-7);
        Assert.IsNotNull(CpuBackend.CompiledKernel(traced.Graph.Nodes.First(n => n.Subgraph is not null)));
    }

    [TestMethod]
    public void MiddleDimBroadcastsAreNotFused()
    {
        static Tensor F(Tensor[] v) => (v[0] + v[1]).Tanh();
        var traced = Jit.Trace(F, [Tensor.Ones(4, 3, 2), Tensor.Ones(4, 1, 2)]);
        Assert.IsFalse(traced.Graph.ToString().Contains("FusionGroup"), "a (4, 1, 2) operand of a (4, 3, 2) result is not a row, column or scalar");
        var x = new[] { Tensor.Randn(4, 3, 2), Tensor.Randn(4, 1, 2) };
        TraceAssert.AllClose(F(x), traced.Call(x)[0]);
    }

    [TestMethod]
    public void AttentionMasksOverHeadsFuseAsTrailingBlocks()
    {
        // A (T, T) bool mask over (B, H, T, T) scores: one block of the two trailing dims, repeated.
        var g = new Generator(21);
        var mask = Tensor.Ones(7, 7).Triu(1).Ne(0.0);
        static Tensor F(Tensor[] v) => (v[0] * 0.125).MaskedFill(v[1], double.NegativeInfinity).Exp();
        var traced = Jit.Trace(F, [Tensor.Randn([2, 3, 7, 7], generator: g), mask]);
        var group = traced.Graph.Nodes.Single(n => n.Kind == "prim::FusionGroup");
        CollectionAssert.AreEqual(new[] { "aten::mul", "aten::masked_fill", "aten::exp" },
            group.Subgraph!.Nodes.Where(n => n.Kind.StartsWith("aten::", StringComparison.Ordinal)).Select(n => n.Kind).ToArray());
        var x = new[] { Tensor.Randn([2, 3, 7, 7], generator: g), mask };
        TraceAssert.AllClose(F(x), traced.Call(x)[0], 0, 0, "masked scores (exp is bit-identical fused and eager)");
        Assert.IsNotNull(CpuBackend.CompiledKernel(group));
    }

    [TestMethod]
    public void ComparisonsAndWhereFuseAsMasks()
    {
        var g = new Generator(22);
        static Tensor F(Tensor[] v) => Tensor.Where(v[0].Gt(v[1]).LogicalOr(v[0].Le(-1.0)).LogicalAnd(v[1].Ne(0.0).LogicalNot().LogicalNot()),
            v[0] * 2.0, v[1].Relu()) + v[0].Eq(v[1]).LogicalXor(v[0].Lt(0.5)).To(DType.Float32);
        Tensor[] Inputs() => [Tensor.Randn([3, 45], generator: g), Tensor.Randn([45], generator: g)];
        var traced = Jit.Trace(F, Inputs());
        var x = Inputs();
        TraceAssert.AllClose(F(x), traced.Call(x)[0], 0, 0);
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Subgraph is { } b && b.Nodes.Any(m => m.Kind == "aten::where") && b.Nodes.Any(m => m.Kind == "aten::gt")),
            traced.Graph.ToString());
    }

    [TestMethod]
    public void ReluAndClampBackwardsAreFusedMaskLoops()
    {
        var g = new Generator(23);
        var w = Tensor.Randn([16], generator: g).RequiresGrad_();
        var traced = Jit.Trace((Tensor x) => ((x * w).Relu() + (x - w).Clamp(-0.5, 0.5)).Sum(), Tensor.Randn([4, 16], generator: g));
        var backward = traced.Differentiable!.Backward;
        Assert.IsTrue(backward.Nodes.Any(n => n.Subgraph is { } b && b.Nodes.Any(m => m.Kind is "aten::gt" or "aten::ge") && b.Nodes.Any(m => m.Kind == "aten::where")),
            "the backward's masks and selects run inside a fused loop:\n" + backward);
    }
}
