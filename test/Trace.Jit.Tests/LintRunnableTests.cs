using Trace.Ops;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>
/// <see cref="GraphVerifier.Lint"/> rejects graphs the executors cannot run — each case parses, and fails
/// inside the interpreter or silently misbehaves without the check — and descends into fusion-group bodies.
/// </summary>
[TestClass]
public sealed class LintRunnableTests
{
    private const string F3Neg = "Float(-3, strides=[1], requires_grad=0, device=cpu)";
    private static readonly string Header = $"graph(%x : {F3}):\n";

    private static void AssertLintFails(string text, params string[] fragments)
    {
        var g = Parser.Parse(text);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
        StringAssert.StartsWith(e.Message, "IR lint: ");
        foreach (var f in fragments) StringAssert.Contains(e.Message, f);
    }

    [TestMethod]
    public void NegativeSizes()
    {
        AssertLintFails($"graph(%x : {F3Neg}):\n  return (%x)\n", "graph input %x", "has size -3 in dim 0");
        AssertLintFails(Header + $"  %1 : {F3Neg} = aten::relu(%x)\n  return (%1)\n", "node 0 (aten::relu) output %1", "has size -3 in dim 0");
    }

    [TestMethod]
    [DataRow("Float(2, 3, strides=[1], requires_grad=0, device=cpu)", "has 1 stride(s) for 2 dim(s)")]
    [DataRow("Float(3, requires_grad=0, device=cpu)", "has 0 stride(s) for 1 dim(s)")]
    [DataRow("Float(3, strides=[1, 1, 1], requires_grad=0, device=cpu)", "has 3 stride(s) for 1 dim(s)")]
    [DataRow("Float(3, strides=[-1], requires_grad=0, device=cpu)", "has stride -1 in dim 0")]
    public void StrideListsOfTheWrongLength(string type, string detail) =>
        AssertLintFails($"graph(%x : {type}):\n  return (%x)\n", "graph input %x", detail);

    [TestMethod]
    [DataRow("aten::relu(%x, %x)", "node 0 (aten::relu) takes 1 input(s), got 2")]
    [DataRow("aten::add(%x)", "node 0 (aten::add) takes 2 input(s), got 1")]
    [DataRow("aten::linear(%x)", "node 0 (aten::linear) takes 2 or 3 input(s), got 1")]
    [DataRow("aten::cat(%x)", "node 0 (aten::cat) takes at least 2 input(s), got 1")]
    [DataRow("aten::sum(%x, %x)", "node 0 (aten::sum) takes 3 input(s), got 2")]
    public void WrongArityForTheOp(string call, string detail) => AssertLintFails(Header + $"  %1 : {F3} = {call}\n  return (%1)\n", detail);

    [TestMethod]
    public void OpsTheRegistryDoesNotKnowKeepAnyArity()
    {
        // Custom functions run through their replay; their arity is theirs.
        var g = Parser.Parse(Header + $"  %1 : {F3} = Square(%x, %x, %x)\n  return (%1)\n");
        GraphVerifier.Lint(g);
    }

    [TestMethod]
    public void ValueGuardsWithoutAValue()
    {
        AssertLintFails(Header + "  prim::ValueGuard(%x)\n  return (%x)\n", "node 0 (prim::ValueGuard) has no value to compare with");
        AssertLintFails(Header + "  prim::ValueGuard[value=\"1\"](%x)\n  return (%x)\n", "node 0 (prim::ValueGuard) has no value to compare with");
        AssertLintFails(Header + "  prim::ValueGuard[value=[1.]]()\n  return (%x)\n", "node 0 (prim::ValueGuard) must read one tensor");
        AssertLintFails(Header + "  %1 : int = prim::Constant[value=1]()\n  prim::ValueGuard[value=[1.]](%1)\n  return (%x)\n", "node 1 (prim::ValueGuard) must read one tensor");
    }

    [TestMethod]
    public void NodesWithoutOutputs()
    {
        AssertLintFails(Header + "  aten::relu(%x)\n  return (%x)\n", "node 0 (aten::relu) has no outputs");
        AssertLintFails(Header + $"  %1 : {F3}, %2 : {F3} = aten::relu(%x)\n  return (%1)\n", "node 0 (aten::relu) has 2 outputs");
        AssertLintFails(Header + "  Square(%x)\n  return (%x)\n", "node 0 (Square) has no outputs");
    }

    [TestMethod]
    public void UnknownPrimitivesAndStrayValues()
    {
        AssertLintFails(Header + $"  %1 : {F3} = prim::If(%x)\n  return (%1)\n", "node 0 (prim::If) is not a primitive the executors know");
        AssertLintFails(Header + $"  %1 : {F3} = aten::relu[value=[1.]](%x)\n  return (%1)\n", "node 0 (aten::relu) holds a value ([1.])");
    }

    [TestMethod]
    public void NonTensorGraphInputsAndOutputs()
    {
        AssertLintFails("graph(%n : int):\n  return ()\n", "graph input %n has type int; graphs take tensors only");
        AssertLintFails(Header + "  %1 : int = prim::Constant[value=1]()\n  return (%1)\n", "graph output %1 has type int; graphs return tensors only");
    }

    private static readonly string GroupNode = Header + $"  %2 : {F3} = prim::FusionGroup_0(%x)\n  return (%2)\n";

    [TestMethod]
    public void FusionGroupsWithoutABody() =>
        AssertLintFails(Header + $"  %2 : {F3} = prim::FusionGroup(%x)\n  return (%2)\n", "node 0 (prim::FusionGroup) has no body");

    [TestMethod]
    public void FusionGroupsNestedInABody()
    {
        // The text cannot hold a nested group (the parser rejects it); a graph built in memory can.
        var g = Parser.Parse(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3}):\n  %1 : {F3} = aten::relu(%0)\n  return (%1)\n");
        var body = g.Nodes[0].Subgraph!;
        var inner = body.Append("prim::FusionGroup", [body.Inputs[0]], Parser.ParseType(F3));
        body.Outputs[0] = inner.Output;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
        StringAssert.Contains(e.Message, "in the body of node 0 (prim::FusionGroup): node 1 (prim::FusionGroup) has no body");
        inner.Subgraph = Parser.Parse($"graph(%0 : {F3}):\n  return (%0)\n");
        e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
        StringAssert.Contains(e.Message, "node 1 (prim::FusionGroup) is inside a fusion-group body; fusion groups do not nest");
    }

    [TestMethod]
    public void TheVerifierDescendsIntoBodies()
    {
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3}):\n  %1 : {F3} = aten::relu(%0, %0)\n  return (%1)\n",
            "IR lint: in the body of node 0 (prim::FusionGroup): node 0 (aten::relu) takes 1 input(s), got 2");
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3}):\n  %1 : {F3Neg} = aten::relu(%0)\n  return (%0)\n",
            "in the body of node 0 (prim::FusionGroup): node 0 (aten::relu) output %1", "has size -3");
    }

    [TestMethod]
    public void FusionGroupsWhoseBodyDoesNotMatchTheNode()
    {
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3},\n      %1 : {F3}):\n  return (%0)\n",
            "node 0 (prim::FusionGroup) passes 1 input(s) to a body that takes 2");
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F6}):\n  return (%0)\n",
            $"node 0 (prim::FusionGroup) passes %x of type {F3} as body input %0 of type {F6}");
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3}):\n  %1 : {F6} = aten::relu(%0)\n  return (%1)\n",
            $"node 0 (prim::FusionGroup) has output type {F3} but its body returns %1 of type {F6}");
        AssertLintFails(GroupNode + $"with prim::FusionGroup_0 = graph(%0 : {F3}):\n  return (%0, %0)\n",
            "node 0 (prim::FusionGroup) has 1 output(s) and its body returns 2");
    }

    [TestMethod]
    public void BodiesOnOtherNodes()
    {
        var g = Parser.Parse(Header + $"  %1 : {F3} = aten::relu(%x)\n  return (%1)\n");
        g.Nodes[0].Subgraph = Parser.Parse($"graph(%0 : {F3}):\n  return (%0)\n");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
        StringAssert.Contains(e.Message, "node 0 (aten::relu) has a body; only prim::FusionGroup nodes do");
    }

    [TestMethod]
    public void TracedGraphsWithFusionGroupsPass()
    {
        var g = new Generator(5);
        var w = Tensor.Randn([4, 3], generator: g);
        var traced = Jit.Trace((Tensor x) => ((x * w).Relu() + x.Sigmoid()).Sum(), Tensor.Randn([4, 3], generator: g));
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Subgraph is not null), traced.Graph.ToString());
        GraphVerifier.Lint(traced.Graph);
        GraphVerifier.Lint(Parser.Parse(traced.Graph.ToString(), traced.Graph.TensorConstants));
    }

    [TestMethod]
    public void EveryRecordedOpCallFitsItsSchema()
    {
        var calls = new List<(string Kind, int Count)>();
        using (Dispatch.Observe(new ArityCollector(calls)))
        {
            var g = new Generator(11);
            foreach (var (f, inputs) in InterpreterOpTests.Cases.Values)
                f(inputs(g).Select(t => t.RequiresGrad_()).ToArray()).Sum().Backward();   // backward rules record ops too
            Tensor.Randn([2]);
            Tensor.Randint(0, 3, [2]);
            Tensor.Zeros(2).Copy_(Tensor.Ones(2)).Fill_(3).Any();
        }
        Assert.IsTrue(calls.Count > 100, $"saw {calls.Count} calls");
        foreach (var (kind, count) in calls)
            if (OpTable.Find(kind) is { } def) Assert.IsTrue(def.Schema.AllowsInputs(count), $"{kind} was recorded with {count} inputs; its schema is {def.Schema}");
    }

    private sealed class ArityCollector(List<(string, int)> calls) : IOpObserver
    {
        public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => calls.Add((op.Name, inputs.Count + op.Attributes.Length));
        public void OnRead(Tensor tensor, string api) { }
        public void OnMutating(Tensor tensor) { }
    }
}
