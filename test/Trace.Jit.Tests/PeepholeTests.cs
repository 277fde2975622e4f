using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Golden IR tests for the peephole pass: every rule, and the cases it must leave alone.</summary>
[TestClass]
public sealed class PeepholeTests
{
    private static readonly Peephole Pass = new();

    [TestMethod]
    [DataRow("aten::mul", "int", "1", false)]
    [DataRow("aten::mul", "float", "1.", false)]
    [DataRow("aten::mul", "int", "1", true)]
    [DataRow("aten::div", "float", "1.", false)]
    [DataRow("aten::div", "int", "1", false)]
    [DataRow("aten::add", "int", "0", false)]
    [DataRow("aten::add", "float", "0.", true)]
    [DataRow("aten::sub", "float", "0.", false)]
    [DataRow("aten::sub", "int", "0", false)]
    public void ArithmeticIdentitiesAreRemoved(string op, string type, string value, bool constantFirst)
    {
        string args = constantFirst ? "%1, %x" : "%x, %1";
        Golden(Pass, $"""
            graph(%x : {F23}):
              %1 : {type} = prim::Constant[value={value}]()
              %2 : {F23} = {op}({args})
              %3 : {F23} = aten::relu(%2)
              %4 : {F23} = aten::tanh(%2)
              return (%3, %4)

            """, $"""
            graph(%x : {F23}):
              %1 : {type} = prim::Constant[value={value}]()
              %2 : {F23} = {op}({args})
              %3 : {F23} = aten::relu(%x)
              %4 : {F23} = aten::tanh(%x)
              return (%3, %4)

            """);
    }

    [TestMethod]
    [DataRow("aten::mul", "int", "2", false)]
    [DataRow("aten::div", "int", "1", true)]
    [DataRow("aten::sub", "int", "0", true)]
    [DataRow("aten::add", "int", "1", false)]
    [DataRow("aten::mul", "bool", "1", false)]
    [DataRow("aten::pow", "int", "1", false)]
    public void NonIdentitiesStay(string op, string type, string value, bool constantFirst)
    {
        string args = constantFirst ? "%1, %x" : "%x, %1";
        Unchanged(Pass, $"""
            graph(%x : {F23}):
              %1 : {type} = prim::Constant[value={value}]()
              %2 : {F23} = {op}({args})
              %3 : {F23} = aten::relu(%2)
              return (%3)

            """);
    }

    [TestMethod]
    public void IdentityWhoseResultIsReturnedStays() => Unchanged(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F3} = aten::mul(%x, %1)
          return (%2)

        """);

    [TestMethod]
    public void IdentityWhoseResultIsMutatedThroughAViewStays() => Unchanged(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F3} = aten::mul(%x, %1)
          %3 : {F3} = aten::detach(%2)
          %4 : {F3} = aten::add_(%3, %1)
          %5 : {F3} = aten::add(%4, %x)
          return (%5)

        """);

    [TestMethod]
    public void IdentityOnAValueMutatedLaterStays() => Unchanged(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F3} = aten::mul(%x, %1)
          %3 : {F3} = aten::add_(%x, %1)
          %4 : {F3} = aten::add(%2, %3)
          return (%4)

        """);

    [TestMethod]
    public void IdentityThatPromotesTheDtypeStays() => Unchanged(Pass, $"""
        graph(%x : {L3}):
          %1 : float = prim::Constant[value=1.]()
          %2 : {F3} = aten::mul(%x, %1)
          %3 : {F3} = aten::relu(%2)
          return (%3)

        """);

    [TestMethod]
    public void MultiplyingByABroadcastTensorOfOnesStays() => Unchanged(Pass, $"""
        graph(%x : {F3},
              %ones : {F23}):
          %2 : {F23} = aten::mul(%x, %ones)
          return (%2)

        """);

    [TestMethod]
    public void IdentityWhoseOutputTypeDiffersStays() => Unchanged(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : Float(3, strides=[1], requires_grad=1, device=cpu) = aten::mul(%x, %1)
          %3 : Float(3, strides=[1], requires_grad=1, device=cpu) = aten::relu(%2)
          return (%3)

        """);

    [TestMethod]
    [DataRow("0", "1", "0", "1")]
    [DataRow("0", "1", "1", "0")]
    [DataRow("-1", "0", "1", "-2")]
    public void DoubleTransposeIsRemoved(string a, string b, string c, string d) => Golden(Pass, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value={a}]()
          %2 : int = prim::Constant[value={b}]()
          %3 : {F32} = aten::transpose(%x, %1, %2)
          %4 : int = prim::Constant[value={c}]()
          %5 : int = prim::Constant[value={d}]()
          %6 : {F23} = aten::transpose(%3, %4, %5)
          return (%6)

        """, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value={a}]()
          %2 : int = prim::Constant[value={b}]()
          %3 : {F32} = aten::transpose(%x, %1, %2)
          %4 : int = prim::Constant[value={c}]()
          %5 : int = prim::Constant[value={d}]()
          %6 : {F23} = aten::transpose(%3, %4, %5)
          return (%x)

        """);

    [TestMethod]
    public void TransposesOfDifferentDimsStay() => Unchanged(Pass, $"""
        graph(%x : Float(2, 3, 4, strides=[12, 4, 1], requires_grad=0, device=cpu)):
          %1 : int = prim::Constant[value=0]()
          %2 : int = prim::Constant[value=1]()
          %3 : int = prim::Constant[value=2]()
          %4 : Float(3, 2, 4, strides=[4, 12, 1], requires_grad=0, device=cpu) = aten::transpose(%x, %1, %2)
          %5 : Float(3, 4, 2, strides=[4, 1, 12], requires_grad=0, device=cpu) = aten::transpose(%4, %2, %3)
          return (%5)

        """);

    [TestMethod]
    [DataRow("aten::view", "aten::view", "aten::view")]
    [DataRow("aten::reshape", "aten::view", "aten::reshape")]
    [DataRow("aten::view", "aten::reshape", "aten::reshape")]
    [DataRow("aten::reshape", "aten::reshape", "aten::reshape")]
    public void ReshapeChainsCollapse(string inner, string outer, string combined) => Golden(Pass, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value=6]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : {F6} = {inner}(%x, %2)
          %4 : int = prim::Constant[value=3]()
          %5 : int = prim::Constant[value=-1]()
          %6 : int[] = prim::ListConstruct(%4, %5)
          %7 : {F32C} = {outer}(%3, %6)
          return (%7, %3)

        """, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value=6]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : {F6} = {inner}(%x, %2)
          %4 : int = prim::Constant[value=3]()
          %5 : int = prim::Constant[value=-1]()
          %6 : int[] = prim::ListConstruct(%4, %5)
          %8 : {F32C} = {combined}(%x, %6)
          %7 : {F32C} = {outer}(%3, %6)
          return (%8, %3)

        """);

    [TestMethod]
    public void ReshapeChainsOfNonContiguousInputsStay() => Unchanged(Pass, $"""
        graph(%x : {F32}):
          %1 : int = prim::Constant[value=6]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : {F6} = aten::reshape(%x, %2)
          %4 : int = prim::Constant[value=2]()
          %5 : int = prim::Constant[value=3]()
          %6 : int[] = prim::ListConstruct(%4, %5)
          %7 : {F23} = aten::reshape(%3, %6)
          return (%7)

        """);

    private const string P234 = "Float(2, 3, 4, strides=[12, 4, 1], requires_grad=0, device=cpu)";
    private const string P342 = "Float(3, 4, 2, strides=[4, 1, 12], requires_grad=0, device=cpu)";
    private const string P432 = "Float(4, 3, 2, strides=[1, 4, 12], requires_grad=0, device=cpu)";

    [TestMethod]
    public void InversePermutesAreRemoved() => Golden(Pass, $"""
        graph(%x : {P234}):
          %1 : int = prim::Constant[value=1]()
          %2 : int = prim::Constant[value=2]()
          %3 : int = prim::Constant[value=0]()
          %4 : int[] = prim::ListConstruct(%1, %2, %3)
          %5 : {P342} = aten::permute(%x, %4)
          %6 : int = prim::Constant[value=-1]()
          %7 : int[] = prim::ListConstruct(%6, %3, %1)
          %8 : {P234} = aten::permute(%5, %7)
          return (%8)

        """, $"""
        graph(%x : {P234}):
          %1 : int = prim::Constant[value=1]()
          %2 : int = prim::Constant[value=2]()
          %3 : int = prim::Constant[value=0]()
          %4 : int[] = prim::ListConstruct(%1, %2, %3)
          %5 : {P342} = aten::permute(%x, %4)
          %6 : int = prim::Constant[value=-1]()
          %7 : int[] = prim::ListConstruct(%6, %3, %1)
          %8 : {P234} = aten::permute(%5, %7)
          return (%x)

        """);

    [TestMethod]
    public void PermuteChainsBecomeOnePermute() => Golden(Pass, $"""
        graph(%x : {P234}):
          %1 : int = prim::Constant[value=1]()
          %2 : int = prim::Constant[value=2]()
          %3 : int = prim::Constant[value=0]()
          %4 : int[] = prim::ListConstruct(%1, %2, %3)
          %5 : {P342} = aten::permute(%x, %4)
          %6 : int[] = prim::ListConstruct(%1, %3, %2)
          %7 : {P432} = aten::permute(%5, %6)
          return (%7)

        """, $"""
        graph(%x : {P234}):
          %1 : int = prim::Constant[value=1]()
          %2 : int = prim::Constant[value=2]()
          %3 : int = prim::Constant[value=0]()
          %4 : int[] = prim::ListConstruct(%1, %2, %3)
          %5 : {P342} = aten::permute(%x, %4)
          %6 : int[] = prim::ListConstruct(%1, %3, %2)
          %8 : int = prim::Constant[value=2]()
          %9 : int = prim::Constant[value=1]()
          %10 : int = prim::Constant[value=0]()
          %11 : int[] = prim::ListConstruct(%8, %9, %10)
          %12 : {P432} = aten::permute(%x, %11)
          %7 : {P432} = aten::permute(%5, %6)
          return (%12)

        """);

    [TestMethod]
    public void ToTheSameDtypeIsRemoved() => Golden(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=6]()
          %2 : {F3} = aten::to(%x, %1)
          return (%2)

        """, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=6]()
          %2 : {F3} = aten::to(%x, %1)
          return (%x)

        """);

    [TestMethod]
    public void ToAnotherDtypeStays() => Unchanged(Pass, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=4]()
          %2 : {L3} = aten::to(%x, %1)
          return (%2)

        """);

    [TestMethod]
    public void RewritesAgreeWithTheInterpreter()
    {
        var g = Parser.Parse($"""
            graph(%x : {P234}):
              %1 : int = prim::Constant[value=1]()
              %2 : int = prim::Constant[value=2]()
              %3 : int = prim::Constant[value=0]()
              %4 : int[] = prim::ListConstruct(%1, %2, %3)
              %5 : {P342} = aten::permute(%x, %4)
              %6 : int[] = prim::ListConstruct(%1, %3, %2)
              %7 : {P432} = aten::permute(%5, %6)
              %8 : int = prim::Constant[value=24]()
              %9 : int[] = prim::ListConstruct(%8)
              %10 : Float(24, strides=[1], requires_grad=0, device=cpu) = aten::reshape(%x, %9)
              %11 : int = prim::Constant[value=-1]()
              %12 : int[] = prim::ListConstruct(%2, %11)
              %13 : Float(2, 12, strides=[12, 1], requires_grad=0, device=cpu) = aten::view(%10, %12)
              return (%7, %13)

            """);
        var x = Tensor.Arange(0.0, 24.0, 1.0).Reshape(2, 3, 4);
        var before = Interpreter.Run(g, [x]);
        Assert.IsTrue(Pass.Run(g));
        new DeadCodeElimination().Run(g);
        GraphVerifier.Lint(g);
        Assert.AreEqual(2, g.Nodes.Count(n => n.Kind is "aten::permute" or "aten::reshape" or "aten::view"));
        var after = Interpreter.Run(g, [x]);
        for (int i = 0; i < before.Length; i++)
        {
            CollectionAssert.AreEqual(before[i].Shape.ToArray(), after[i].Shape.ToArray());
            CollectionAssert.AreEqual(before[i].ToArray<float>(), after[i].ToArray<float>());
        }
    }
}
