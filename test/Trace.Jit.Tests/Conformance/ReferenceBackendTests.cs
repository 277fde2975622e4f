using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>The reference backend is pure: it never fuses and never runs a compiled loop, even for a fusion group it is given.</summary>
[TestClass]
public class ReferenceBackendTests
{
    private static readonly Func<Tensor[], Tensor> Chain = x => ((x[0] * 0.5 + x[1]).Tanh() * x[0]).Sum();

    [TestMethod]
    public void TracingForTheReferenceFusesNothing()
    {
        var g = new Generator(3);
        Tensor[] xs = [Tensor.Randn([4, 6], generator: g), Tensor.Randn([6], generator: g)];
        var reference = Jit.Trace(Chain, xs, new TraceOptions { Backend = ReferenceBackend.Instance });
        var cpu = Jit.Trace(Chain, xs);
        Assert.IsFalse(reference.Graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), reference.Graph.ToString());
        Assert.IsTrue(cpu.Graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), "the CPU backend fuses the same chain:\n" + cpu.Graph);
        Assert.AreEqual(Chain(xs).Item(), reference.Call(xs)[0].Item(), 1e-6);
    }

    [TestMethod]
    public void InterpreterRunsAFusionGroupBodyNodeByNode()
    {
        var g = new Generator(4);
        Tensor[] xs = [Tensor.Randn([4, 6], generator: g), Tensor.Randn([6], generator: g)];
        var graph = Jit.Trace(Chain, xs).Graph;
        var groups = graph.Nodes.Where(n => n.Kind == "prim::FusionGroup").ToList();
        Assert.IsNotEmpty(groups, graph.ToString());
        Assert.IsTrue(groups.All(n => CpuBackend.CompiledKernel(n) is null && !CpuBackend.FailedToCompile(n)), "not run yet");
        var expected = Chain(xs);
        TraceAssertClose(expected, Interpreter.Run(graph, xs)[0]);
        TraceAssertClose(expected, ReferenceBackend.Instance.Compile(graph).Run(xs)[0]);
        Assert.IsTrue(groups.All(n => CpuBackend.CompiledKernel(n) is null && !CpuBackend.FailedToCompile(n)), "the reference compiled a fusion group");
        TraceAssertClose(expected, CpuBackend.Instance.Compile(graph).Run(xs)[0]);
        Assert.IsTrue(groups.All(n => CpuBackend.CompiledKernel(n) is not null), "the CPU backend compiles the groups on first use");
    }

    [TestMethod]
    public void ReferenceIgnoresOutputBuffers()
    {
        var x = Tensor.Randn([8]);
        var graph = Jit.Trace(t => t.Exp(), x).Graph;
        var buffer = Tensor.Zeros([8]);
        var output = ReferenceBackend.Instance.Compile(graph).Run([x], [buffer])[0];
        CollectionAssert.AreEqual(x.Exp().ToArray<float>(), output.ToArray<float>());
        Assert.AreNotSame(buffer, output);
        Assert.IsTrue(buffer.ToArray<float>().All(v => v == 0), "the reference wrote into a caller's buffer");
    }

    [TestMethod]
    public void ReferenceBackendClaimsNoFusion()
    {
        var g = Parser.Parse($"graph(%x : {IrAssert.F3}):\n  %1 : {IrAssert.F3} = aten::relu(%x)\n  return (%1)\n");
        Assert.IsFalse(ReferenceBackend.Instance.CanFuse(g.Nodes[0]));
        Assert.IsTrue(CpuBackend.Instance.CanFuse(g.Nodes[0]));
        Assert.IsFalse(ReferenceBackend.Instance.FusesElementwise || ReferenceBackend.Instance.FusesLinearEpilogues);
    }

    private static void TraceAssertClose(Tensor expected, Tensor actual) => Trace.Testing.TraceAssert.AllClose(expected, actual, 1e-5, 1e-6);
}
