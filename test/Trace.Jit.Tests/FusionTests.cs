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
        Assert.IsNotNull(traced.Graph.Nodes[0].Compiled, "the group was compiled");
        StringAssert.Contains(traced.GeneratedCode, "// prim::FusionGroup_0: one vectorized loop");
        StringAssert.Contains(traced.GeneratedCode, "aten.tanh(");
        Assert.AreNotSame(FusedKernel.Unavailable, traced.Graph.Nodes[0].Compiled);
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
        Assert.AreNotSame(FusedKernel.Unavailable, traced.Graph.Nodes.First(n => n.Subgraph is not null).Compiled);
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
}
