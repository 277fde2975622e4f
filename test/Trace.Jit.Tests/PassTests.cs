using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>Golden IR tests for DCE, CSE and constant propagation: IR text in, pass, lint, IR text out.</summary>
[TestClass]
public sealed class PassTests
{
    private static readonly DeadCodeElimination Dce = new();
    private static readonly CommonSubexpressionElimination Cse = new();
    private static readonly ConstantPropagation ConstProp = new();

    // ---- dce ----

    [TestMethod]
    public void DceRemovesUnusedChains() => Golden(Dce, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          %2 : {F3} = aten::relu(%1)
          %3 : int = prim::Constant[value=1]()
          %4 : {F3} = aten::tanh(%x)
          return (%4)

        """, $"""
        graph(%x : {F3}):
          %4 : {F3} = aten::tanh(%x)
          return (%4)

        """);

    [TestMethod]
    public void DceKeepsLiveNodesAndTheirConstants() => Unchanged(Dce, $"""
        graph(%x : {F3}):
          %1 : float = prim::Constant[value=0.5]()
          %2 : {F3} = aten::mul(%x, %1)
          return (%2, %x)

        """);

    [TestMethod]
    public void DceKeepsGuards() => Golden(Dce, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          prim::ValueGuard[value=[1., 0.5, -2.]](%1)
          %2 : {F3} = aten::neg(%x)
          return (%x)

        """, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          prim::ValueGuard[value=[1., 0.5, -2.]](%1)
          return (%x)

        """);

    [TestMethod]
    public void DceKeepsInPlaceOpsOnGraphInputs() => Unchanged(Dce, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F3} = aten::add_(%x, %1)
          %3 : {F3} = aten::exp(%x)
          return (%3)

        """);

    [TestMethod]
    public void DceKeepsInPlaceOpsOnLiveValuesThroughViewsAndChains() => Unchanged(Dce, $"""
        graph(%x : {F23}):
          %1 : {F23} = aten::relu(%x)
          %2 : int = prim::Constant[value=6]()
          %3 : int[] = prim::ListConstruct(%2)
          %4 : {F6} = aten::view(%1, %3)
          %5 : float = prim::Constant[value=2.]()
          %6 : {F6} = aten::mul_(%4, %5)
          %7 : {F6} = aten::add_(%6, %5)
          return (%1)

        """);

    [TestMethod]
    public void DceRemovesInPlaceOpsOnDeadTemporaries() => Golden(Dce, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::relu(%x)
          %2 : float = prim::Constant[value=2.]()
          %3 : {F3} = aten::mul_(%1, %2)
          %4 : {F3} = aten::add_(%3, %2)
          %5 : {F3} = aten::tanh(%x)
          return (%5)

        """, $"""
        graph(%x : {F3}):
          %5 : {F3} = aten::tanh(%x)
          return (%5)

        """);

    // ---- cse ----

    [TestMethod]
    public void CseMergesDuplicateOps() => Golden(Cse, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          %2 : {F3} = aten::exp(%x)
          %3 : {F3} = aten::mul(%1, %2)
          return (%3, %2)

        """, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          %2 : {F3} = aten::exp(%x)
          %3 : {F3} = aten::mul(%1, %1)
          return (%3, %1)

        """);

    [TestMethod]
    public void CseMergesConstantsListsAndTheirUsersInOneRun() => Golden(Cse, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value=1]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : bool = prim::Constant[value=0]()
          %4 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::sum(%x, %2, %3)
          %5 : int = prim::Constant[value=1]()
          %6 : int[] = prim::ListConstruct(%5)
          %7 : bool = prim::Constant[value=0]()
          %8 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::sum(%x, %6, %7)
          %9 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::add(%4, %8)
          return (%9)

        """, $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value=1]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : bool = prim::Constant[value=0]()
          %4 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::sum(%x, %2, %3)
          %5 : int = prim::Constant[value=1]()
          %6 : int[] = prim::ListConstruct(%1)
          %7 : bool = prim::Constant[value=0]()
          %8 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::sum(%x, %2, %3)
          %9 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::add(%4, %4)
          return (%9)

        """);

    [TestMethod]
    public void CseKeepsDifferentAttributesAndTypesApart() => Unchanged(Cse, $"""
        graph(%x : {F3}):
          %1 : int = prim::Constant[value=1]()
          %2 : bool = prim::Constant[value=1]()
          %3 : float = prim::Constant[value=1.]()
          %4 : int = prim::Constant[value=2]()
          %5 : str = prim::Constant[value="tanh"]()
          %6 : str = prim::Constant[value="none"]()
          %7 : {F3} = aten::gelu(%x, %5)
          %8 : {F3} = aten::gelu(%x, %6)
          return (%7, %8)

        """);

    [TestMethod]
    public void CseDoesNotMergeRandomOps() => Unchanged(Cse, $"""
        graph():
          %0 : int = prim::Constant[value=3]()
          %1 : int[] = prim::ListConstruct(%0)
          %2 : int = prim::Constant[value=6]()
          %3 : {F3} = aten::rand(%1, %2)
          %4 : {F3} = aten::rand(%1, %2)
          %5 : {F3} = aten::randn(%1, %2)
          %6 : {F3} = aten::randn(%1, %2)
          return (%3, %4, %5, %6)

        """);

    [TestMethod]
    public void CseDoesNotMergeAcrossInPlaceOpsOrMergeInPlaceOpsAndGuards() => Unchanged(Cse, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          prim::ValueGuard[value=[1., 2., 3.]](%1)
          prim::ValueGuard[value=[1., 2., 3.]](%1)
          %2 : int = prim::Constant[value=1]()
          %3 : {F3} = aten::add_(%x, %2)
          %4 : {F3} = aten::add_(%x, %2)
          %5 : {F3} = aten::exp(%x)
          return (%1, %5)

        """);

    [TestMethod]
    public void CseDoesNotMergeValuesThatAreMutatedLater() => Unchanged(Cse, $"""
        graph(%x : {F3}):
          %1 : {F3} = aten::exp(%x)
          %2 : {F3} = aten::exp(%x)
          %3 : float = prim::Constant[value=2.]()
          %4 : {F3} = aten::mul_(%2, %3)
          return (%1, %4)

        """);

    [TestMethod]
    public void CseMergesEqualTensorConstantsOnly()
    {
        var g = new Graph();
        var a = g.AppendConstant(Tensor.From(new float[] { 1, 2, 3 }));
        var b = g.AppendConstant(Tensor.From(new float[] { 1, 2, 3 }));
        var c = g.AppendConstant(Tensor.From(new float[] { 1, 2, 4 }));
        var d = g.AppendConstant(Tensor.From(new double[] { 1, 2, 3 }));
        var e = g.AppendConstant(Tensor.From(new float[] { -0f, 2, 3 }));
        var f = g.AppendConstant(Tensor.From(new float[] { 0f, 2, 3 }));
        foreach (var v in new[] { a, b, c, d, e, f }) g.Outputs.Add(g.Append("aten::neg", [v], v.Type).Output);
        Assert.IsTrue(Cse.Run(g));
        GraphVerifier.Lint(g);
        const string D3 = "Double(3, strides=[1], requires_grad=0, device=cpu)";
        Assert.AreEqual($"""
            graph():
              %0 : {F3} = prim::Constant[value=<Tensor:0>]()
              %1 : {F3} = prim::Constant[value=<Tensor:1>]()
              %2 : {F3} = prim::Constant[value=<Tensor:2>]()
              %3 : {D3} = prim::Constant[value=<Tensor:3>]()
              %4 : {F3} = prim::Constant[value=<Tensor:4>]()
              %5 : {F3} = prim::Constant[value=<Tensor:5>]()
              %6 : {F3} = aten::neg(%0)
              %7 : {F3} = aten::neg(%0)
              %8 : {F3} = aten::neg(%2)
              %9 : {D3} = aten::neg(%3)
              %10 : {F3} = aten::neg(%4)
              %11 : {F3} = aten::neg(%5)
              return (%6, %6, %8, %9, %10, %11)

            """, Printer.Print(g));
    }

    // ---- constprop ----

    [TestMethod]
    public void ConstPropFoldsChainsAndMatchesEagerResults()
    {
        var g = new Graph();
        var x = Tensor.From(new float[] { 1, -2, 3 });
        var c = g.AppendConstant(x);
        var half = g.AppendConstant(0.5);
        var m = g.Append("aten::mul", [c, half], TensorType.Of(x)).Output;
        var s = g.Append("aten::add", [m, c], TensorType.Of(x)).Output;
        var r = g.Append("aten::relu", [s], TensorType.Of(x)).Output;
        g.Outputs.Add(r);
        Assert.IsTrue(ConstProp.Run(g));
        GraphVerifier.Lint(g);
        Assert.AreEqual($"""
            graph():
              %0 : {F3} = prim::Constant[value=<Tensor:0>]()
              %1 : float = prim::Constant[value=0.5]()
              %5 : {F3} = prim::Constant[value=<Tensor:1>]()
              %6 : {F3} = prim::Constant[value=<Tensor:2>]()
              %7 : {F3} = prim::Constant[value=<Tensor:3>]()
              return (%7)

            """, Printer.Print(g));
        var folded = g.ConstantTensor(g.Outputs[0].Node!);
        CollectionAssert.AreEqual(x.Mul(0.5).Add(x).Relu().ToArray<float>(), folded.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 1.5f, 0, 4.5f }, folded.ToArray<float>());
        Assert.IsFalse(ConstProp.Run(g));
    }

    [TestMethod]
    public void ConstPropFoldsOpsWithListAndBoolArguments() => GoldenWithConstants(ConstProp, $"""
        graph():
          %0 : {F23} = prim::Constant[value=<Tensor:0>]()
          %1 : int = prim::Constant[value=-1]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : bool = prim::Constant[value=1]()
          %4 : Float(2, 1, strides=[1, 1], requires_grad=0, device=cpu) = aten::sum(%0, %2, %3)
          return (%4)

        """, $"""
        graph():
          %0 : {F23} = prim::Constant[value=<Tensor:0>]()
          %1 : int = prim::Constant[value=-1]()
          %2 : int[] = prim::ListConstruct(%1)
          %3 : bool = prim::Constant[value=1]()
          %5 : Float(2, 1, strides=[1, 1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor:1>]()
          return (%5)

        """, [Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3])], g =>
        CollectionAssert.AreEqual(new float[] { 6, 15 }, g.TensorConstants[1].ToArray<float>()));

    [TestMethod]
    public void ConstPropSkipsInputsRandomInPlaceMutatedAndHugeResults() => GoldenWithConstants(ConstProp, $"""
        graph(%x : {F3}):
          %0 : {F3} = prim::Constant[value=<Tensor:0>]()
          %1 : {F3} = aten::add(%x, %0)
          %2 : int = prim::Constant[value=3]()
          %3 : int[] = prim::ListConstruct(%2)
          %4 : int = prim::Constant[value=6]()
          %5 : {F3} = aten::rand(%3, %4)
          %6 : {F3} = prim::Constant[value=<Tensor:1>]()
          %7 : {F3} = aten::exp(%6)
          %8 : {F3} = aten::add_(%6, %2)
          %9 : int = prim::Constant[value=2000]()
          %10 : int = prim::Constant[value=1000]()
          %11 : int[] = prim::ListConstruct(%9, %10, %2)
          %12 : Float(2000, 1000, 3, strides=[0, 0, 1], requires_grad=0, device=cpu) = aten::expand(%0, %11)
          return (%1, %5, %7, %8, %12)

        """, null, [Tensor.From(new float[] { 1, 2, 3 }), Tensor.From(new float[] { 4, 5, 6 })]);

    private static void GoldenWithConstants(IGraphPass pass, string input, string? expected, Tensor[] constants, Action<Graph>? check = null)
    {
        expected ??= input;
        var g = Parser.Parse(input, constants);
        GraphVerifier.Lint(g);
        Assert.AreEqual(input != expected, pass.Run(g));
        GraphVerifier.Lint(g);
        Assert.AreEqual(expected, Printer.Print(g));
        Assert.IsFalse(pass.Run(g));
        check?.Invoke(g);
    }
}
