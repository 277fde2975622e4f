using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Each malformed-graph condition is reported by <see cref="GraphVerifier.Lint"/>; well-formed graphs pass.</summary>
[TestClass]
public sealed class LintTests
{
    private static readonly string Text = $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F3} = aten::add(%x, %1)
          %3 : int[] = prim::ListConstruct(%1)
          %4 : {F3} = prim::Constant[value=<Tensor:0>]()
          %5 : {F3} = aten::mul(%2, %4)
          %6 : NoneType = prim::Constant()
          %7 : {F3} = aten::clamp(%5, %6, %6)
          prim::ValueGuard[value=[1., 2., 3.]](%7)
          return (%7)

        """;

    private static Graph Parse() => Parser.Parse(Text, [Tensor.From(new float[] { 1, 2, 3 })]);

    private static void AssertLintFails(Graph g, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
        foreach (var f in fragments) StringAssert.Contains(e.Message, f);
    }

    [TestMethod]
    public void WellFormedGraphsPass()
    {
        GraphVerifier.Lint(Parse());
        GraphVerifier.Lint(new Graph());
    }

    [TestMethod]
    public void ValueDefinedTwice()
    {
        var g = Parse();
        g.Nodes[2].Outputs.Add(g.Nodes[1].Output);
        AssertLintFails(g, "%2 is defined twice", "node 1 (aten::add)", "node 2 (prim::ListConstruct)");
    }

    [TestMethod]
    public void TwoValuesWithOneName()
    {
        var g = Parse();
        g.Nodes[2].Output.Name = "x";
        AssertLintFails(g, "name %x", "graph input", "node 2");
    }

    [TestMethod]
    public void ValueUsedBeforeItsDefinition()
    {
        var g = Parse();
        (g.Nodes[1], g.Nodes[4]) = (g.Nodes[4], g.Nodes[1]);
        AssertLintFails(g, "node 1 (aten::mul) uses %2 before its definition at node 4 (aten::add)");
    }

    [TestMethod]
    public void InputFromAnotherGraph()
    {
        var g = Parse();
        var other = Parse();
        g.Nodes[1].ReplaceInput(0, other.Inputs[0]);
        AssertLintFails(g, "node 1 (aten::add) uses %x, which is not defined in this graph");
    }

    [TestMethod]
    public void UseListMissingAUse()
    {
        var g = Parse();
        g.Nodes[0].Output.Uses.Remove(g.Nodes[2]);
        AssertLintFails(g, "node 2 (prim::ListConstruct) reads %1", "does not name it");
    }

    [TestMethod]
    public void UseListWithAnExtraUse()
    {
        var g = Parse();
        g.Inputs[0].Uses.Add(g.Nodes[4]);
        AssertLintFails(g, "use list of %x names node 4 (aten::mul) 1 time(s), but it reads %x 0 time(s)");
    }

    [TestMethod]
    public void UseListNamingARemovedNode()
    {
        var g = Parse();
        g.Nodes.RemoveAt(2);
        AssertLintFails(g, "use list of %1 names prim::ListConstruct, which is not in the graph");
    }

    [TestMethod]
    public void UndefinedGraphOutput()
    {
        var g = Parse();
        g.Outputs.Add(Parse().Nodes[1].Output);
        AssertLintFails(g, "graph output %2 is not defined");
    }

    [TestMethod]
    [DataRow("int", "holds 1. (Double)")]
    [DataRow("float", "holds 1 (Int64)")]
    [DataRow("bool", "holds 1 (Int64)")]
    [DataRow("str", "holds 1 (Int64)")]
    [DataRow("NoneType", "holds 1 (Int64)")]
    public void ConstantWhoseValueDoesNotMatchItsType(string type, string holds)
    {
        var g = Parse();
        var c = g.Nodes[0];
        c.Output.Type = Parser.ParseType(type);
        if (type == "int") c.Attribute = 1.0;
        AssertLintFails(g, $"node 0 (prim::Constant) of type {type} {holds}");
    }

    [TestMethod]
    public void IntListConstantHoldingFloats()
    {
        var g = Parse();
        g.Nodes[0].Output.Type = JitType.IntList;
        g.Nodes[0].Attribute = new double[] { 1, 2 };
        g.Nodes[2].Inputs.Clear();
        g.Nodes[0].Output.Uses.Remove(g.Nodes[2]);
        AssertLintFails(g, "node 0 (prim::Constant) of type int[] holds [1., 2.]");
    }

    [TestMethod]
    public void NoneConstantWithAValue()
    {
        var g = Parse();
        g.Nodes[5].HasAttribute = true;
        g.Nodes[5].Attribute = 0L;
        AssertLintFails(g, "node 5 (prim::Constant) of type NoneType holds 0");
    }

    [TestMethod]
    public void TensorConstantOutOfRange()
    {
        var g = Parse();
        g.Nodes[3].Attribute = new TensorRef(1);
        AssertLintFails(g, "refers to <Tensor:1>, but the graph has 1 tensor constant(s)");
    }

    [TestMethod]
    public void TensorConstantWithAnotherDtypeOrShape()
    {
        var g = Parser.Parse(Text, [Tensor.From(new double[] { 1, 2, 3 })]);
        AssertLintFails(g, "node 3 (prim::Constant) is typed Float(3) but <Tensor:0> is Double(3)");
        g = Parser.Parse(Text, [Tensor.From(new float[] { 1, 2, 3, 4 })]);
        AssertLintFails(g, "is typed Float(3) but <Tensor:0> is Float(4)");
    }

    [TestMethod]
    public void TensorConstantWithoutATensorReference()
    {
        var g = Parse();
        g.Nodes[3].Attribute = 2.0;
        AssertLintFails(g, "node 3 (prim::Constant) of type Float(3, strides=[1], requires_grad=0, device=cpu) holds 2., not a tensor reference");
    }

    [TestMethod]
    public void ListConstructWithNonIntElements()
    {
        var g = Parse();
        g.Nodes[2].ReplaceInput(0, g.Inputs[0]);
        AssertLintFails(g, "node 2 (prim::ListConstruct) has element %x of type Float(3");
    }

    [TestMethod]
    public void OpWithNonTensorOutput()
    {
        var g = Parse();
        g.Nodes[4].Output.Type = JitType.Float;
        AssertLintFails(g, "node 4 (aten::mul) has output %5 of type float");
    }

    [TestMethod]
    public void OptimizeWithVerifyNamesThePassThatBrokeTheGraph()
    {
        var g = Parse();
        g.Nodes[0].Attribute = 1.5;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => PassPipeline.Optimize(g, verify: true));
        StringAssert.Contains(e.Message, "after pass 'input'");
    }
}
