using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>The IR text form round-trips, and malformed text fails with an <see cref="IrParseException"/> at the offending token.</summary>
[TestClass]
public sealed class RoundTripTests
{
    [TestMethod]
    public void EveryTypeRoundTrips() => AssertRoundTrip("""
        graph(%x : Float(64, 1000, strides=[1000, 1], requires_grad=0, device=cpu),
              %fc1.weight : Float(100, 1000, strides=[1000, 1], requires_grad=1, device=cpu),
              %d : Double(2, 3, strides=[1, 2], requires_grad=0, device=cpu),
              %l : Long(5, strides=[1], requires_grad=0, device=cpu),
              %i : Int(1, 1, strides=[1, 1], requires_grad=0, device=cpu),
              %b : Bool(4, strides=[1], requires_grad=0, device=cpu),
              %s : Float(requires_grad=0, device=cpu),
              %g : Float(8, strides=[1], requires_grad=0, device=cuda:0),
              %any : Tensor):
          %0 : Float(64, 100, strides=[100, 1], requires_grad=1, device=cpu) = aten::linear(%x, %fc1.weight)
          return (%0, %s)

        """);

    [TestMethod]
    public void EveryConstantFormRoundTrips() => AssertRoundTrip("""
        graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):
          %0 : int = prim::Constant[value=-7]()
          %1 : int = prim::Constant[value=9223372036854775807]()
          %2 : float = prim::Constant[value=1.]()
          %3 : float = prim::Constant[value=0.5]()
          %4 : float = prim::Constant[value=-2.25]()
          %5 : float = prim::Constant[value=1e-05]()
          %6 : float = prim::Constant[value=1e+20]()
          %7 : float = prim::Constant[value=inf]()
          %8 : float = prim::Constant[value=-inf]()
          %9 : float = prim::Constant[value=nan]()
          %10 : bool = prim::Constant[value=1]()
          %11 : bool = prim::Constant[value=0]()
          %12 : str = prim::Constant[value="tanh"]()
          %13 : str = prim::Constant[value="say \"hi\", (a = [b]) \\ ok"]()
          %14 : str = prim::Constant[value=""]()
          %15 : int[] = prim::Constant[value=[1, -2, 3]]()
          %16 : int[] = prim::Constant[value=[]]()
          %17 : NoneType = prim::Constant()
          %18 : Float(3, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor:0>]()
          %19 : int[] = prim::ListConstruct(%0, %1)
          %20 : int[] = prim::ListConstruct()
          %21 : Float(3, strides=[1], requires_grad=0, device=cpu) = aten::clamp(%x, %17, %3)
          prim::ValueGuard[value=[1., -0.5, 1e-05]](%21)
          %22 : Float(3, strides=[1], requires_grad=0, device=cpu), %23 : Long(3, strides=[1], requires_grad=0, device=cpu) = aten::sort(%x, %0, %11)
          %24 : str = prim::Constant[value="it\"s in c:\\"]()
          %25 : str = prim::Constant[value="]"]()
          return (%21, %22, %23)

        """);

    [TestMethod]
    public void ParsedConstantsHaveTheirDotNetTypes()
    {
        var g = Parser.Parse("""
            graph():
              %0 : int = prim::Constant[value=-7]()
              %1 : float = prim::Constant[value=1e-05]()
              %2 : bool = prim::Constant[value=1]()
              %3 : str = prim::Constant[value="a\"b"]()
              %4 : int[] = prim::Constant[value=[1, -2]]()
              %5 : NoneType = prim::Constant()
              return ()

            """);
        Assert.AreEqual(-7L, g.Nodes[0].Attribute);
        Assert.AreEqual(1e-05, g.Nodes[1].Attribute);
        Assert.AreEqual(true, g.Nodes[2].Attribute);
        Assert.AreEqual("a\"b", g.Nodes[3].Attribute);
        CollectionAssert.AreEqual(new long[] { 1, -2 }, (long[])g.Nodes[4].Attribute!);
        Assert.IsFalse(g.Nodes[5].HasAttribute);
    }

    [TestMethod]
    public void GraphsBuiltWithTheApiRoundTrip()
    {
        var g = new Graph();
        var x = g.AddInput("x", new TensorType(DType.Float32, [2, 3], [3, 1], false, Device.Cpu));
        var c = g.AppendConstant(Tensor.From(new float[] { 1, 2, 3 }));
        var half = g.AppendConstant(0.5);
        var none = g.AppendConstant(null);
        var dims = g.Append("prim::ListConstruct", [g.AppendConstant(1L), g.AppendConstant(0L)], JitType.IntList).Output;
        var t = g.Append("aten::permute", [x, dims], new TensorType(DType.Float32, [3, 2], [1, 3], false, Device.Cpu)).Output;
        var m = g.Append("aten::mul", [t, half], t.Type).Output;
        g.Outputs.Add(g.Append("aten::clamp", [m, none, half], t.Type).Output);
        g.Outputs.Add(c);
        GraphVerifier.Lint(g);
        AssertRoundTrip(g.ToString());
        Assert.AreEqual(g.ToString(), g.Clone().ToString());
    }

    [TestMethod]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : Float(3, strides=[1], requires_grad=0, device=cpu) = aten::relu(%y)\n  return (%1)\n", 2, 72, "use of undefined value %y")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : Float(3, strides=[1], requires_grad=0, device=cpu) = aten::relu(%x)\n  return (%2)\n", 3, 11, "use of undefined value %2")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : Quux = aten::relu(%x)\n  return (%1)\n", 2, 8, "unknown type 'Quux'")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : Quux(3) = aten::relu(%x)\n  return (%1)\n", 2, 8, "unknown tensor dtype 'Quux'")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : int = prim::Constant[value=1]()\n  %1 : int = prim::Constant[value=2]()\n  return (%1)\n", 3, 3, "value %1 is defined twice")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : Float(3, strides=[1], requires_grad=0, device=cpu) = aten::relu\n  return (%1)\n", 3, 3, "expected '(' and the arguments of aten::relu, found 'return'")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 Float(3) = aten::relu(%x)\n  return (%1)\n", 2, 6, "expected ':' and a type after %1, found 'Float'")]
    [DataRow("graph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  %1 : int = prim::Constant[value=abc]()\n  return (%1)\n", 2, 35, "expected a number, found 'abc'")]
    [DataRow("graph(%x : Bogus):\n  return (%x)\n", 1, 12, "unknown type 'Bogus'")]
    [DataRow("grph(%x : Float(3, strides=[1], requires_grad=0, device=cpu)):\n  return (%x)\n", 1, 1, "expected 'graph' to start a graph, found 'grph'")]
    public void MalformedTextThrowsIrParseExceptionAtTheToken(string text, int line, int column, string detail)
    {
        var e = Assert.ThrowsExactly<IrParseException>(() => Parser.Parse(text));
        Assert.AreEqual((line, column), (e.Line, e.Column), e.Message);
        StringAssert.StartsWith(e.Message, $"IR parse error at {line}:{column}: ");
        StringAssert.Contains(e.Message, detail);
    }

    private static void AssertRoundTrip(string text)
    {
        var g = Parser.Parse(text);
        Assert.AreEqual(text, Printer.Print(g));
        Assert.AreEqual(text, Printer.Print(Parser.Parse(Printer.Print(g))));
    }
}
