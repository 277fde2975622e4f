using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Full sums fused into their elementwise producers' loop, against eager execution.</summary>
[TestClass]
public class ReductionFusionTests
{
    private static Tensor Mse(Tensor[] v) => (v[0] - v[1]).Square().Mean();

    private static Tensor Chain(Tensor[] v) => ((v[0] * 0.5 + v[1]).Tanh() * v[0]).Sum([0, 1], keepdim: true);

    private static Node SummingGroup(TracedModule traced) =>
        traced.Graph.Nodes.Single(n => n.Subgraph is { } b && b.Nodes.Any(m => m.Kind == "aten::sum"));

    [TestMethod]
    [DataRow(1, DType.Float32)]
    [DataRow(15, DType.Float32)]
    [DataRow(1023, DType.Float32)]
    [DataRow(1025, DType.Float64)]
    [DataRow(300_007, DType.Float32)]
    public void SumsOfChainsAccumulateInsteadOfStoring(int n, DType dt)
    {
        var g = new Generator((ulong)n + 5);
        Tensor[] Inputs(int rows) => [Tensor.Randn([rows, n], dt, g), Tensor.Randn([rows, n], dt, g)];
        double tol = dt == DType.Float32 ? 1e-5 : 1e-12;
        foreach (var f in new Func<Tensor[], Tensor>[] { Mse, Chain })
        {
            var traced = Jit.Trace(f, Inputs(2));
            var group = SummingGroup(traced);
            for (int k = 0; k < 2; k++)
            {
                var x = Inputs(2);
                TraceAssert.AllClose(f(x), traced.Call(x)[0], tol, tol, $"n={n}\n{traced.Graph}");
            }
            Assert.IsNotNull(CpuBackend.CompiledKernel(group), traced.GeneratedCode);
        }
    }

    [TestMethod]
    public void TheMseLossGraphIsOneGroupAndADivision()
    {
        var g = new Generator(3);
        var traced = Jit.Trace(Mse, [Tensor.Randn([64, 1000], generator: g), Tensor.Randn([64, 1000], generator: g)]);
        var kinds = traced.Graph.Nodes.Where(n => n.Kind != "prim::Constant").Select(n => n.Kind).ToArray();
        CollectionAssert.AreEqual(new[] { "prim::FusionGroup", "aten::div" }, kinds, traced.Graph.ToString());
        StringAssert.Contains(traced.Graph.ToString(), "aten::sum(");
    }

    [TestMethod]
    [DataRow(1, DType.Float32)]
    [DataRow(37, DType.Float32)]
    [DataRow(1100, DType.Float64)]
    public void SumsOverTrailingDimsAccumulatePerRow(int cols, DType dt)
    {
        var g = new Generator((ulong)cols);
        double tol = dt == DType.Float32 ? 1e-5 : 1e-12;
        // Softmax's backward (a row sum next to a one-value-per-row input), a plain row sum, a two-dim row sum with a
        // repeated (rows, cols) block, and a keepdim sum over all dims but the first.
        var cases = new (Func<Tensor[], Tensor> F, int[] First, int[] Second)[]
        {
            (v => v[1] * (v[0] - (v[0] * v[1]).Sum(-1, keepdim: true)), [4, cols], [4, cols]),
            (v => (v[0] * v[1]).Tanh().Sum(1), [3, cols], [3, cols]),
            (v => (v[0] - v[1]).Square().Sum([1, 2]), [2, 3, cols], [3, cols]),
            (v => (v[0] * 0.5 + v[1]).Exp().Sum([-2, -1], keepdim: true), [2, 3, cols], [2, 1, 1]),
        };
        foreach (var (f, first, second) in cases)
        {
            Tensor[] Inputs() => [Tensor.Randn(first, dt, g), Tensor.Randn(second, dt, g)];
            var traced = Jit.Trace(f, Inputs());
            var group = SummingGroup(traced);
            var x = Inputs();
            TraceAssert.AllClose(f(x), traced.Call(x)[0], tol, tol, traced.Graph.ToString());
            Assert.IsNotNull(CpuBackend.CompiledKernel(group), traced.GeneratedCode);
        }
    }

    [TestMethod]
    public void SumsOverLeadingDimsStayOutsideTheLoop()
    {
        var g = new Generator(4);
        static Tensor Leading(Tensor[] v) => (v[0] * v[1]).Tanh().Sum(0);
        var traced = Jit.Trace(Leading, [Tensor.Randn([3, 40], generator: g), Tensor.Randn([3, 40], generator: g)]);
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), "the elementwise chain is still fused");
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "aten::sum"), "the sum stays a separate op:\n" + traced.Graph);
        var x = new[] { Tensor.Randn([3, 40], generator: g), Tensor.Randn([3, 40], generator: g) };
        TraceAssert.AllClose(Leading(x), traced.Call(x)[0], 1e-5, 1e-6);
    }

    [TestMethod]
    public void ASummingLoopReadsOnlyFullShapeInputs()
    {
        // The summing loop cannot repeat a row: the row-broadcasting mul stays outside, tanh and the sum fuse.
        var g = new Generator(5);
        static Tensor RowBroadcast(Tensor[] v) => (v[0] * v[1]).Tanh().Sum();
        var traced = Jit.Trace(RowBroadcast, [Tensor.Randn([3, 40], generator: g), Tensor.Randn([40], generator: g)]);
        var group = SummingGroup(traced);
        Assert.IsTrue(group.Inputs.All(v => v.TensorType!.Shape.SequenceEqual(new[] { 3, 40 })), traced.Graph.ToString());
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "aten::mul"), traced.Graph.ToString());
        var x = new[] { Tensor.Randn([3, 40], generator: g), Tensor.Randn([40], generator: g) };
        TraceAssert.AllClose(RowBroadcast(x), traced.Call(x)[0], 1e-5, 1e-6);
    }

    [TestMethod]
    public void GradientsFlowThroughSummingGroups()
    {
        var g = new Generator(6);
        Tensor[] Inputs() => [Tensor.Randn([4, 33], DType.Float64, g), Tensor.Randn([4, 33], DType.Float64, g)];
        var traced = TraceAssert.TracedMatchesEager(Chain, Inputs(), [Inputs(), Inputs()], rtol: 1e-10, atol: 1e-12);
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Subgraph is { } b && b.Nodes.Any(m => m.Kind == "aten::sum")) ||
            traced.Differentiable?.Forward.Nodes.Any(n => n.Subgraph is { } b && b.Nodes.Any(m => m.Kind == "aten::sum")) == true);
    }

    [TestMethod]
    public void FusedFloatSumsAreAsAccurateAsEagerOnes()
    {
        // 2M copies of 0.2f: vector lanes that accumulate 64 floats each drift by ~3e-6 relative; double lanes do not.
        static Tensor Full(Tensor[] v) => (v[0] * 2.0).Sum();
        static Tensor Rows(Tensor[] v) => (v[0] * 2.0).Sum(-1);
        var x = new[] { Tensor.Full([2, 1 << 20], 0.1) };
        double exact = (double)(0.1f * 2f) * (1 << 20);
        foreach (var (f, n) in new (Func<Tensor[], Tensor>, int)[] { (Full, 2), (Rows, 1) })
        {
            var traced = Jit.Trace(f, x);
            var code = traced.GeneratedCode;   // compiles the groups
            Assert.IsNotNull(CpuBackend.CompiledKernel(SummingGroup(traced)), code);
            foreach (double s in traced.Call(x)[0].ToArray<double>())
                Assert.AreEqual(n * exact, s, n * exact * 1.2e-7, traced.Graph.ToString());
            foreach (double s in f(x).ToArray<double>())
                Assert.AreEqual(n * exact, s, n * exact * 1.2e-7, "eager");
        }
    }
}
