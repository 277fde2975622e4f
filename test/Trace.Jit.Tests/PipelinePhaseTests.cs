using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>The phases of <see cref="PassPipeline"/>: what each runs, for which backend, and that options turn them off.</summary>
[TestClass]
public class PipelinePhaseTests
{
    /// <summary>relu(linear) (an epilogue), then an elementwise chain (a fusion group), recorded without passes.</summary>
    private static Graph Raw()
    {
        var g = new Generator(8);
        Tensor[] xs = [Tensor.Randn([3, 4], generator: g), Tensor.Randn([5, 4], generator: g), Tensor.Randn([5], generator: g)];
        return Jit.Trace(x => (Tensor.Linear(x[0], x[1], x[2]).Relu() * 0.5 + 1.0).Tanh(), xs, new TraceOptions { Optimize = false, CheckTrace = false }).RawGraph;
    }

    private static string[] Kinds(Graph g) => [.. g.Nodes.Select(n => n.Kind)];

    [TestMethod]
    public void InferenceFusesWhatTheBackendCan()
    {
        var raw = Raw();
        var before = raw.ToString();
        var cpu = PassPipeline.Inference(raw, CpuBackend.Instance, new TraceOptions());
        CollectionAssert.AreEqual(new[] { "trace::linear_relu", "prim::FusionGroup" }, Kinds(cpu), cpu.ToString());
        var reference = PassPipeline.Inference(raw, ReferenceBackend.Instance, new TraceOptions());
        CollectionAssert.AreEqual(new[] { "aten::linear", "aten::relu", "prim::Constant", "aten::mul", "prim::Constant", "aten::add", "aten::tanh" }, Kinds(reference), reference.ToString());
        Assert.AreEqual(before, raw.ToString(), "the phase works on a copy");
    }

    [TestMethod]
    public void OptionsTurnPhasesOff()
    {
        var raw = Raw();
        Assert.AreSame(raw, PassPipeline.Inference(raw, CpuBackend.Instance, new TraceOptions { Optimize = false }));
        var unfused = PassPipeline.Inference(raw, CpuBackend.Instance, new TraceOptions { Fuse = false });
        Assert.IsFalse(unfused.Nodes.Any(n => n.Kind is "prim::FusionGroup" or "trace::linear_relu"), unfused.ToString());
        var joint = PassPipeline.Joint(raw, new TraceOptions { Optimize = false });
        Assert.AreNotSame(raw, joint);
        Assert.AreEqual(raw.ToString(), joint.ToString(), "without optimization the joint phase copies");
    }

    [TestMethod]
    public void JointPhaseNeverFuses()
    {
        var joint = PassPipeline.Joint(Raw(), new TraceOptions());
        Assert.IsFalse(joint.Nodes.Any(n => n.Kind is "prim::FusionGroup" or "trace::linear_relu"), joint.ToString());
        Assert.IsTrue(joint.Nodes.Any(n => n.Kind == "aten::linear"));
    }

    [TestMethod]
    public void CompiledBackwardHalvesAreFusedForTheCpuOnly()
    {
        var g = new Generator(9);
        Tensor[] Inputs() => [Tensor.Randn([4, 6], generator: g).RequiresGrad_(), Tensor.Randn([6], generator: g).RequiresGrad_()];
        Func<Tensor[], Tensor> f = x => ((x[0] * x[1]).Tanh() * 2.0 + x[1]).Sigmoid();
        var cpu = Jit.Trace(f, Inputs());
        var reference = Jit.Trace(f, Inputs(), new TraceOptions { Backend = ReferenceBackend.Instance });
        Assert.IsNotNull(cpu.Differentiable);
        Assert.IsNotNull(reference.Differentiable, reference.EagerBackwardReason);
        Assert.IsTrue(cpu.Differentiable.Backward.Nodes.Any(n => n.Kind == "prim::FusionGroup"), cpu.Differentiable.Backward.ToString());
        var graphs = new[] { reference.Differentiable.Forward, reference.Differentiable.Backward };
        Assert.IsFalse(graphs.SelectMany(x => x.Nodes).Any(n => n.Kind == "prim::FusionGroup"), string.Join("\n", graphs.Select(x => x.ToString())));
    }
}
