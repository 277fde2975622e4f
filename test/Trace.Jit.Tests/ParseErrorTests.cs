using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>
/// Every malformed input to <see cref="Parser.Parse"/> raises <see cref="IrParseException"/> at the offending
/// token (never ArgumentOutOfRange, Overflow, a raw FormatException or a stack overflow), and text that parses
/// prints back to itself.
/// </summary>
[TestClass]
public sealed class ParseErrorTests
{
    private static readonly string Header = $"graph(%x : {F3}):\n";

    private static IrParseException AssertParseError(string text, int line, int column, string detail)
    {
        var e = Assert.ThrowsExactly<IrParseException>(() => Parser.Parse(text));
        Assert.AreEqual((line, column), (e.Line, e.Column), e.Message);
        StringAssert.StartsWith(e.Message, $"IR parse error at {line}:{column}: ");
        StringAssert.Contains(e.Message, detail);
        return e;
    }

    [TestMethod]
    [DataRow("", 1, 1, "expected 'graph' to start a graph, found end of input")]
    [DataRow("graph", 1, 6, "expected '(' after 'graph', found end of input")]
    [DataRow("graph(", 1, 7, "expected a value declaration '%name : Type', found end of input")]
    [DataRow("graph(%x", 1, 9, "expected ':' and a type after %x, found end of input")]
    [DataRow("graph(%x : Float(3", 1, 19, "expected ')' to close the tensor type, found end of input")]
    [DataRow("graph():", 1, 9, "expected a node or 'return (...)' to end the graph, found end of input")]
    [DataRow("graph():\n  return (", 2, 11, "expected a value reference '%name', found end of input")]
    [DataRow("graph():\n  %1 : int = prim::Constant[value=", 2, 35, "expected a number, found end of input")]
    [DataRow("graph():\n  %1 : str = prim::Constant[value=\"abc", 2, 35, "unterminated string")]
    public void TruncatedTextIsAParseError(string text, int line, int column, string detail) => AssertParseError(text, line, column, detail);

    [TestMethod]
    public void AGraphWithoutReturnIsAParseError()
    {
        AssertParseError(Header + $"  %1 : {F3} = aten::relu(%x)\n", 3, 1, "expected a node or 'return (...)' to end the graph, found end of input");
        AssertParseError(Header + "  return (%x)\n  return (%x)\n", 3, 3, "found 'return'");
        AssertParseError(Header + $"  return (%x)\n  %1 : {F3} = aten::relu(%x)\n", 3, 3, "after the graph's 'return (...)', found '%1'");
    }

    [TestMethod]
    [DataRow("99999999999", "size 99999999999 does not fit in a 32-bit int")]
    [DataRow("2147483648", "size 2147483648 does not fit in a 32-bit int")]
    [DataRow("3.5", "expected an integer size, found '3.5'")]
    [DataRow("3x", "malformed number '3x'")]
    [DataRow("1e3", "expected an integer size, found '1e3'")]
    public void ABadSizeIsAParseError(string size, string detail) =>
        AssertParseError($"graph(%x : Float({size}, strides=[1], requires_grad=0, device=cpu)):\n  return (%x)\n", 1, 18, detail);

    [TestMethod]
    [DataRow("int", "99999999999999999999", "integer 99999999999999999999 does not fit in 64 bits")]
    [DataRow("int", "1.5", "expected an integer, found '1.5'")]
    [DataRow("int", "nan", "expected an integer, found 'nan'")]
    [DataRow("float", "1.2.3", "malformed number '1.2.3'")]
    [DataRow("float", "1e", "malformed number '1e'")]
    [DataRow("float", "--1", "unexpected character '-'")]
    [DataRow("float", "0x10", "malformed number '0x10'")]
    [DataRow("bool", "2", "a bool value is 0 or 1, not 2")]
    [DataRow("int[]", "[1, 2.5]", "expected an integer, found '2.5'")]
    [DataRow("int[]", "[1,, 2]", "expected a number, found ','")]
    [DataRow("int[]", "[1, 2", "expected ']' to close the node's value, found '('")]
    [DataRow("Float(3, strides=[1], requires_grad=0, device=cpu)", "3", "cannot read the number 3 as a value of type Float(3")]
    [DataRow("Float(3, strides=[1], requires_grad=0, device=cpu)", "<Tensor:99999999999>", "tensor constant index 99999999999 does not fit in a 32-bit int")]
    [DataRow("str", "\"a\\nb\"", "a string may only escape")]
    public void ABadValueIsAParseError(string type, string value, string detail)
    {
        var text = Header + $"  %1 : {type} = prim::Constant[value={value}]()\n  return (%x)\n";
        var e = Assert.ThrowsExactly<IrParseException>(() => Parser.Parse(text));
        Assert.AreEqual(2, e.Line, e.Message);
        StringAssert.Contains(e.Message, detail);
    }

    [TestMethod]
    [DataRow("requires_grad=2", "requires_grad is 0 or 1, not 2")]
    [DataRow("device=tpu", "unknown device 'tpu'")]
    [DataRow("device=cuda:-1", "device index -1 is negative")]
    [DataRow("device=cuda:99999999999", "device index 99999999999 does not fit in a 32-bit int")]
    [DataRow("strides=[1, 99999999999]", "stride 99999999999 does not fit in a 32-bit int")]
    [DataRow("layout=strided", "unknown tensor type field 'layout'")]
    [DataRow("requires_grad=0, requires_grad=1", "'requires_grad' is given twice")]
    public void ABadTensorTypeFieldIsAParseError(string field, string detail)
    {
        var e = Assert.ThrowsExactly<IrParseException>(() => Parser.Parse($"graph(%x : Float(3, {field})):\n  return (%x)\n"));
        Assert.AreEqual(1, e.Line);
        StringAssert.Contains(e.Message, detail);
    }

    [TestMethod]
    [DataRow('(')]
    [DataRow('[')]
    [DataRow('<')]
    public void TenThousandNestedBracketsAreAParseErrorAtTheFirstOne(char open)
    {
        char close = open switch { '(' => ')', '[' => ']', _ => '>' };
        var nested = new string(open, 10_000) + "%x" + new string(close, 10_000);
        AssertParseError(Header + $"  %1 : {F3} = aten::relu({nested})\n  return (%1)\n", 2, 72, $"expected a value reference '%name', found '{open}'");
        AssertParseError($"graph(%x : Float({nested}, requires_grad=0, device=cpu)):\n  return (%x)\n", 1, 18, "expected a size, 'strides=', 'requires_grad=' or 'device='");
        AssertParseError(Header + $"  %1 : int[] = prim::Constant[value=[{nested}]]()\n  return (%x)\n", 2, 38, "expected a number");
    }

    [TestMethod]
    public void AMillionNestedParenthesesDoNotOverflowTheStack()
    {
        var text = "graph(" + new string('(', 1_000_000);
        AssertParseError(text, 1, 7, "found '('");
    }

    [TestMethod]
    public void FusionGroupBlocksMustMatchTheirNodes()
    {
        var body = $"graph(%0 : {F3}):\n  %1 : {F3} = aten::relu(%0)\n  return (%1)\n";
        var group = Header + $"  %2 : {F3} = prim::FusionGroup_0(%x)\n  return (%2)\n";
        Assert.IsNotNull(Parser.Parse(group + "with prim::FusionGroup_0 = " + body).Nodes[0].Subgraph);
        AssertParseError(group, 2, 61, "prim::FusionGroup_0 has no 'with prim::FusionGroup_0 = graph(...)' block");
        AssertParseError(group + "with prim::FusionGroup_1 = " + body, 4, 6, "no node of the graph is prim::FusionGroup_1");
        AssertParseError(group + "with prim::FusionGroup_0 = " + body + "with prim::FusionGroup_0 = " + body, 7, 6, "prim::FusionGroup_0 has a second body");
        AssertParseError(Header + $"  %2 : {F3} = prim::FusionGroup_0(%x)\n  %3 : {F3} = prim::FusionGroup_0(%x)\n  return (%3)\n", 3, 61,
            "prim::FusionGroup_0 names a second node");
        var nested = $"graph(%0 : {F3}):\n  %1 : {F3} = prim::FusionGroup_1(%0)\n  return (%1)\n";
        AssertParseError(group + "with prim::FusionGroup_0 = " + nested, 5, 61, "fusion groups cannot nest");
    }

    [TestMethod]
    public void PositionsCountLinesOfCrLfTextAndStringsSpanningLines()
    {
        AssertParseError("graph():\r\n  %1 : int = prim::Constant[value=1]()\r\n  return (%2)\r\n", 3, 11, "use of undefined value %2");
        var text = "graph():\n  %1 : str = prim::Constant[value=\"two\nlines\"]()\n  %2 : int = prim::Constant[value=x]()\n  return ()\n";
        AssertParseError(text, 4, 35, "expected a number, found 'x'");
    }

    [TestMethod]
    public void UnexpectedCharactersAreParseErrors()
    {
        AssertParseError(Header + "  return (%x);\n", 2, 14, "unexpected character ';'");
        AssertParseError(Header + "  return (%x)\n\u0000", 3, 1, "unexpected character '\\u0000'");
        AssertParseError(Header + "  return (% x)\n", 2, 11, "expected a value name after '%'");
    }

    [TestMethod]
    public void ParseTypeRaisesTheParseErrorToo()
    {
        Assert.AreEqual(F3, Parser.ParseType(F3).ToString());
        Assert.AreEqual("int[]", Parser.ParseType("int[]").ToString());
        var e = Assert.ThrowsExactly<IrParseException>(() => Parser.ParseType("Float(3) extra"));
        Assert.AreEqual((1, 10), (e.Line, e.Column));
        Assert.ThrowsExactly<IrParseException>(() => Parser.ParseType("Float(99999999999)"));
    }

    [TestMethod]
    public void TextThatParsesPrintsInCanonicalForm()
    {
        // Whitespace, number spellings and omitted fields normalize; the canonical text then round-trips.
        var text = "graph( %x :Float( 3 ,strides = [ 1 ] ,requires_grad=0,device=cuda ) ) :\n" +
                   "  %1 : float = prim::Constant[value=1.000]()  %2 : int = prim::Constant[value=-007]()\n" +
                   "  %3 : Float(3) = aten::mul(%x, %1)\n  return (%3, %x)";
        var printed = Parser.Parse(text).ToString();
        Assert.AreEqual(
            "graph(%x : Float(3, strides=[1], requires_grad=0, device=cuda:0)):\n" +
            "  %1 : float = prim::Constant[value=1.]()\n  %2 : int = prim::Constant[value=-7]()\n" +
            "  %3 : Float(3, strides=[], requires_grad=0, device=cpu) = aten::mul(%x, %1)\n  return (%3, %x)\n", printed);
        Assert.AreEqual(printed, Parser.Parse(printed).ToString());
    }
}
