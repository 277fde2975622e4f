using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;
using F = Trace.Nn.Functional;

namespace Trace.Jit.Tests;

/// <summary>
/// The new ops traced: each records its table op (or, for composites, the primitives it is built from) and the traced call
/// matches eager on fresh inputs, with gradients; a mask-selected result (data-dependent length) is guarded on its count.
/// </summary>
[TestClass]
public class SortScatterMaskTracingTests
{
    private static Tensor R(ulong seed, params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(seed));

    private static Tensor Model(Tensor x)
    {
        var top = x.Topk(2, 1).Values;
        var sorted = x.Sort(0, descending: true).Values;
        var scattered = x.Scatter(1, Tensor.From(new long[] { 3, 0 }, [2, 1]).Expand(2, 1).Contiguous().Narrow(0, 0, 1).Expand(3, 1).Contiguous(), 0.0);
        var padded = F.Pad(x, [1, 2], "reflect").Flip(1).Roll(1, 0);
        return top.Sum(1, keepdim: true) + sorted.Cumsum(1) + scattered.Norm(2, [1], keepdim: true) + padded.Narrow(1, 0, 4).Floor() + x.Round(1) * x;
    }

    [TestMethod]
    public void TracedSortScanScatterAndPadMatchEagerWithGradients()
    {
        var traced = Jit.Trace(Model, R(1, 3, 4).RequiresGrad_());
        var kinds = traced.RawGraph.Nodes.Select(n => n.Kind).ToHashSet();
        foreach (var k in new[] { "aten::topk", "aten::sort", "aten::scatter", "aten::cumsum", "aten::linalg_vector_norm", "aten::floor", "aten::round", "aten::index_select", "aten::cat" })
            Assert.IsTrue(kinds.Contains(k), $"{k} not recorded:\n{traced.RawGraph}");
        for (int call = 0; call < 2; call++)
        {
            var x = R((ulong)(10 + call), 3, 4);
            var (xe, xt) = (x.Clone().RequiresGrad_(), x.Clone().RequiresGrad_());
            var e = Model(xe);
            var t = traced.Call(xt)[0];
            TraceAssert.AllClose(e, t, 1e-12, 1e-12, "forward");
            e.Sum().Backward();
            t.Sum().Backward();
            TraceAssert.AllClose(xe.Grad!, xt.Grad!, 1e-12, 1e-12, "backward");
        }
        Assert.AreEqual(1, traced.SpecializationCount, "no data-dependent shapes: one trace serves every call; " + traced.ExplainLastRetrace());
    }

    private static Tensor Selecting(Tensor x) => x.MaskedSelect(x.Gt(0.0)).Square().Sum() + x.MaskedScatter(x.Lt(0.0), x.Flip(1) * 2.0);

    [TestMethod]
    public void AMaskedSelectionGuardsItsCountSoAnotherCountRetracesRatherThanReplays()
    {
        var a = Tensor.From(new[,] { { 1.0, -2, 3 }, { -4, 5, 6 } });
        var traced = Jit.Trace(Selecting, a);
        StringAssert.Contains(traced.Graph.ToString(), "prim::ValueGuard");
        var sameCount = Tensor.From(new[,] { { -1.0, 2, 3 }, { 4, -5, 6 } });
        TraceAssert.AllClose(Selecting(sameCount), traced.Forward(sameCount), 0, 0, "same count: replayed, with the new mask");
        Assert.AreEqual(1, traced.SpecializationCount);
        var otherCount = Tensor.From(new[,] { { 1.0, 2, 3 }, { 4, 5, -6 } });
        TraceAssert.AllClose(Selecting(otherCount), traced.Forward(otherCount), 0, 0, "another count: retraced");
        Assert.AreEqual(2, traced.SpecializationCount);
        var strict = Jit.Trace(Selecting, a, new TraceOptions { Strict = true });
        Assert.ThrowsExactly<GuardFailedException>(() => strict.Forward(otherCount));
    }

    [TestMethod]
    public void AMultinomialWithItsOwnGeneratorReplaysThroughIt()
    {
        var w = Tensor.From(new[,] { { 1.0, 2, 3, 4 }, { 4, 3, 2, 1 } });
        var g = new Generator(21);
        var traced = Jit.Trace((Tensor x) => x.Multinomial(3, replacement: true, g).To(DType.Float64), w);
        // The trace's own run drew the first six numbers of seed 21 (two rows of three samples).
        var expected = w.Multinomial(3, true, Skip(new Generator(21), 6));
        CollectionAssert.AreEqual(expected.ToArray<long>(), traced.Forward(w).To(DType.Int64).ToArray<long>(), "the replay draws the generator's next values");
        Assert.IsTrue(traced.RawGraph.Nodes.Any(n => n.Kind == "aten::multinomial"));
    }

    private static Generator Skip(Generator g, int n)
    {
        for (int i = 0; i < n; i++) g.NextDouble();
        return g;
    }
}
