using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Jit.Tests;

/// <summary>Type strings and the parse → pass → lint → print round of the golden IR tests.</summary>
internal static class IrAssert
{
    public const string F3 = "Float(3, strides=[1], requires_grad=0, device=cpu)";
    public const string F23 = "Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu)";
    public const string F32 = "Float(3, 2, strides=[1, 3], requires_grad=0, device=cpu)";
    public const string F32C = "Float(3, 2, strides=[2, 1], requires_grad=0, device=cpu)";
    public const string F6 = "Float(6, strides=[1], requires_grad=0, device=cpu)";
    public const string L3 = "Long(3, strides=[1], requires_grad=0, device=cpu)";

    /// <summary>Parses <paramref name="input"/>, runs <paramref name="pass"/>, lints, and checks the printed result and that a second run changes nothing.</summary>
    public static void Golden(IGraphPass pass, string input, string expected)
    {
        var g = Parser.Parse(input);
        Assert.AreEqual(input, Printer.Print(g), "the input is not in canonical form");
        GraphVerifier.Lint(g);
        bool changed = pass.Run(g);
        GraphVerifier.Lint(g);
        Assert.AreEqual(expected, Printer.Print(g));
        Assert.AreEqual(input != expected, changed, $"{pass.Name} reported changed={changed}");
        Assert.IsFalse(pass.Run(g), $"{pass.Name} is not at a fixed point after one run");
        Assert.AreEqual(expected, Printer.Print(g));
    }

    /// <summary>A pass that must leave <paramref name="input"/> unchanged.</summary>
    public static void Unchanged(IGraphPass pass, string input) => Golden(pass, input, input);
}
