using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// Symbolic sizes in the IR (<c>Float(s0, 16, ...)</c>, <c>prim::SymInt</c>): expressions, printing and parsing, lint,
/// and running one symbolic graph — passes, fusion groups compiled once, memory plan — at many sizes against eager.
/// </summary>
[TestClass]
public sealed class SymbolicGraphTests
{
    private static string F(string dims, string strides, int rg = 0) => $"Float({dims}, strides=[{strides}], requires_grad={rg}, device=cpu)";

    [TestMethod]
    [DataRow("s0", "s0")]
    [DataRow("2*s0*s1+s1-1", "2*s0*s1+s1-1")]
    [DataRow("s1 - 1 + s0*2", "2*s0+s1-1")]
    [DataRow("-s0+3", "-s0+3")]
    [DataRow("s1*s0*s0", "s0*s0*s1")]
    [DataRow("s0-s0", "0")]
    [DataRow("3*4", "12")]
    public void ExpressionsHaveOneCanonicalText(string text, string canonical)
    {
        var e = SymExpr.Parse(text);
        Assert.AreEqual(canonical, e.ToString());
        Assert.AreEqual(e, SymExpr.Parse(canonical));
    }

    [TestMethod]
    public void ExpressionsEvaluateAsPolynomials()
    {
        var (s0, s1) = (SymExpr.Symbol(0), SymExpr.Symbol(1));
        var e = s0 * s1 * SymExpr.Constant(2) + s1 - SymExpr.Constant(1);
        Assert.AreEqual("2*s0*s1+s1-1", e.ToString());
        // Against the formula computed directly, over a grid of sizes.
        for (long a = 0; a < 5; a++)
            for (long b = 0; b < 5; b++)
                Assert.AreEqual(2 * a * b + b - 1, e.Evaluate([a, b]));
        Assert.AreEqual(0, (s0 - s0).Evaluate([]));
        Assert.AreEqual(1, s1.BareSymbol);
        Assert.IsNull((s1 * SymExpr.Constant(2)).BareSymbol);
        Assert.ThrowsExactly<InvalidOperationException>(() => s1.Evaluate([3]));
        Assert.ThrowsExactly<InvalidOperationException>(() => (s0 * s0 * s0).Evaluate([long.MaxValue / 2]));
        foreach (var bad in new[] { "", "s", "2**s0", "x0", "s0/2", "(s0)" })
            Assert.ThrowsExactly<FormatException>(() => SymExpr.Parse(bad), bad);
    }

    /// <summary>Sizes of traces at (B, T) and the number each recorded, for formulas a model's .NET code computes.</summary>
    [TestMethod]
    [DataRow("T", "s1")]
    [DataRow("B*T", "s0*s1")]
    [DataRow("T-1", "s1-1")]
    [DataRow("2*T+1", "2*s1+1")]
    [DataRow("T*T", "s1*s1")]
    [DataRow("48*T", "48*s1")]
    [DataRow("4*B*T*T", "4*s0*s1*s1")]
    [DataRow("B+T", "s0+s1")]
    [DataRow("7", "7")]
    public void SizeFitFindsTheFormulaBehindTracedNumbers(string what, string expected)
    {
        long[][] sizes = [[2, 3], [2, 5], [3, 4], [1, 7]];
        Func<long, long, long> f = what switch
        {
            "T" => (b, t) => t,
            "B*T" => (b, t) => b * t,
            "T-1" => (b, t) => t - 1,
            "2*T+1" => (b, t) => 2 * t + 1,
            "T*T" => (b, t) => t * t,
            "48*T" => (b, t) => 48 * t,
            "4*B*T*T" => (b, t) => 4 * b * t * t,
            "B+T" => (b, t) => b + t,
            _ => (b, t) => 7,
        };
        var fit = SizeFit.Fit([.. sizes.Select(s => f(s[0], s[1]))], sizes);
        Assert.AreEqual(expected, fit?.ToString());
    }

    [TestMethod]
    public void SizeFitFindsNoFormulaForAFloorDivisionOrAClamp()
    {
        long[][] sizes = [[2], [3], [4], [5], [9]];
        Assert.IsNull(SizeFit.Fit([.. sizes.Select(s => s[0] / 2)], sizes));
        Assert.IsNull(SizeFit.Fit([.. sizes.Select(s => Math.Min(s[0], 4))], sizes));
    }

    [TestMethod]
    public void SymbolicTypesAndSizeNodesRoundTripAndLint()
    {
        var text = $"""
            graph(%x : {F("s0, s1, 16", "16*s1, 16, 1")}):
              %1 : int = prim::SymInt[value="s0*s1"]()
              %2 : int = prim::Constant[value=16]()
              %3 : int[] = prim::ListConstruct(%1, %2)
              %4 : {F("s0*s1, 16", "16, 1")} = aten::view(%x, %3)
              %5 : float = prim::SymFloat[value="16*s0*s1"]()
              %6 : {F("s0*s1, 16", "16, 1")} = aten::div(%4, %5)
              return (%6)

            """;
        var g = Parser.Parse(text);
        Assert.AreEqual(text, Printer.Print(g));
        GraphVerifier.Lint(g);
        Assert.IsTrue(g.Inputs[0].TensorType!.IsSymbolic);
        StringAssert.Contains(CodePrinter.Print(g), "aten.view(x, new[] { (s0*s1), 16 })");
        // A size node typed as the wrong scalar, or holding no expression, fails lint.
        foreach (var (bad, why) in new[] { ("%1 : float = prim::SymInt", "yields int"), ("%1 : int = prim::SymInt[value=\"s0/s1\"]", "not a size expression") })
        {
            var broken = Parser.Parse(text.Replace("%1 : int = prim::SymInt[value=\"s0*s1\"]", bad.Contains("value") ? bad : bad + "[value=\"s0*s1\"]"));
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(broken));
            StringAssert.Contains(e.Message, why);
        }
    }

    /// <summary>x.View(B*T, 16) / (16*B*T), then (tanh(v) + bias) * 2 over rows, a row sum and a full sum: fused, planned.</summary>
    private static string Model => $"""
        graph(%x : {F("s0, s1, 16", "16*s1, 16, 1")},
              %b : {F("16", "1")}):
          %1 : int = prim::SymInt[value="s0*s1"]()
          %2 : int = prim::Constant[value=16]()
          %3 : int[] = prim::ListConstruct(%1, %2)
          %4 : {F("s0*s1, 16", "16, 1")} = aten::view(%x, %3)
          %5 : float = prim::SymFloat[value="16*s0*s1"]()
          %6 : {F("s0*s1, 16", "16, 1")} = aten::div(%4, %5)
          %7 : {F("s0*s1, 16", "16, 1")} = aten::tanh(%6)
          %8 : {F("s0*s1, 16", "16, 1")} = aten::add(%7, %b)
          %9 : float = prim::Constant[value=2.]()
          %10 : {F("s0*s1, 16", "16, 1")} = aten::mul(%8, %9)
          %11 : int = prim::Constant[value=-1]()
          %12 : int[] = prim::ListConstruct(%11)
          %13 : bool = prim::Constant[value=1]()
          %14 : {F("s0*s1, 1", "1, 1")} = aten::sum(%10, %12, %13)
          %15 : {F("s0*s1, 16", "16, 1")} = aten::mul(%10, %10)
          %16 : int[] = prim::ListConstruct()
          %17 : bool = prim::Constant[value=0]()
          %18 : Float(requires_grad=0, device=cpu) = aten::sum(%15, %16, %17)
          return (%10, %14, %18)

        """;

    private static Tensor[] Eager(Tensor x, Tensor b)
    {
        int n = x.Size(0) * x.Size(1);
        var y = ((x.View(n, 16) / (16.0 * n)).Tanh() + b) * 2.0;
        return [y, y.Sum([-1], keepdim: true), (y * y).Sum()];
    }

    [TestMethod]
    public void OneSymbolicGraphRunsCompiledAtEverySize()
    {
        var g = PassPipeline.Optimize(Parser.Parse(Model), verify: true, fuse: true);
        var groups = g.Nodes.Where(n => n.Kind == "prim::FusionGroup").ToList();
        Assert.IsTrue(groups.Count >= 2, "elementwise chains and sums fuse over symbolic shapes:\n" + g);
        var program = new GraphProgram(g, planMemory: true);
        Assert.IsTrue(program.IsSymbolic);
        var gen = new Generator(5);
        var bias = Tensor.Randn([16], generator: gen);
        var kernels = new List<FusedKernel>();
        foreach (var (b, t) in new[] { (1, 1), (2, 3), (1, 7), (4, 5), (2, 3), (3, 1), (1, 300) })
        {
            var x = Tensor.Randn([b, t, 16], generator: gen);
            var expected = Eager(x, bias);
            var actual = program.Run([x, bias]);
            for (int k = 0; k < expected.Length; k++) TraceAssert.AllClose(expected[k], actual[k], 1e-5, 1e-6, $"output {k} at B={b}, T={t}");
            var compiled = groups.Select(n => CpuBackend.CompiledKernel(n)!).ToList();
            Assert.IsTrue(compiled.All(c => c is not null), "every group compiles");
            if (kernels.Count == 0) kernels = compiled;
            CollectionAssert.AreEqual(kernels, compiled, "the groups compile once and run at every size");
        }
    }

    [TestMethod]
    public void ACallTheSymbolicTypesDoNotDescribeIsAClearError()
    {
        var program = new GraphProgram(Parser.Parse(Model), planMemory: false);
        var e = Assert.ThrowsExactly<ArgumentException>(() => program.Run([Tensor.Zeros(2, 3, 15), Tensor.Zeros(16)]));
        StringAssert.Contains(e.Message, "input 0 (%x) is declared Float(s0, s1, 16, strides=[16*s1, 16, 1], requires_grad=0, device=cpu), but the call passed Float(2, 3, 15");
        StringAssert.Contains(e.Message, "shape (2, 3, 15) != declared (s0, s1, 16) at s0 = 2, s1 = 3");
        e = Assert.ThrowsExactly<ArgumentException>(() => program.Run([Tensor.Zeros(2, 3, 16), Tensor.Zeros(15)]));
        StringAssert.Contains(e.Message, "input 1 (%b) is declared Float(16, strides=[1], requires_grad=0, device=cpu)");
        StringAssert.Contains(e.Message, "shape (15,) != declared (16,)");
        // A graph whose symbol is no input's size needs its caller's sizes.
        var body = Parser.Parse($"""
            graph(%x : {F("2*s0", "1")}):
              %1 : int = prim::SymInt[value="s0"]()
              %2 : int = prim::Constant[value=0]()
              %3 : int = prim::Constant[value=0]()
              %4 : {F("s0", "1")} = aten::narrow(%x, %2, %3, %1)
              return (%4)

            """);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => Interpreter.Run(body, [Tensor.Zeros(6)]));
        StringAssert.Contains(ex.Message, "size symbol s0 is not the size of any input dim");
        var half = new GraphProgram(body, planMemory: false).Run([Tensor.Arange(0.0, 6.0, 1.0)], symbols: [3])[0];
        TraceAssert.AllClose(Tensor.Arange(0.0, 3.0, 1.0), half);
    }

    [TestMethod]
    public void AnOpWhoseSizesContradictItsSymbolicTypeFailsTheCall()
    {
        // The type claims 2*s0 elements; the narrow makes s0: the formulas do not describe this graph.
        var g = Parser.Parse($"""
            graph(%x : {F("2*s0, s0", "s0, 1")}):
              %1 : int = prim::SymInt[value="s0"]()
              %2 : int = prim::Constant[value=0]()
              %3 : int = prim::Constant[value=0]()
              %4 : {F("2*s0, s0", "s0, 1")} = aten::narrow(%x, %2, %3, %1)
              return (%4)

            """);
        var program = new GraphProgram(g, planMemory: false);
        var e = Assert.ThrowsExactly<SymbolicShapeException>(() => program.Run([Tensor.Zeros(6, 3)]));
        StringAssert.Contains(e.Message, "aten::narrow produced shape (3, 3), but its symbolic type (2*s0, s0) is (6, 3) at s0 = 3");
    }

    [TestMethod]
    public void SymbolicSlotsShareBuffersOfOneSizeAndFollowNewSizes()
    {
        var text = $"""
            graph(%x : {F("s0, 4", "4, 1")}):
              %1 : {F("s0, 4", "4, 1")} = aten::exp(%x)
              %2 : {F("s0, 4", "4, 1")} = aten::tanh(%1)
              %3 : {F("s0, 4", "4, 1")} = aten::neg(%2)
              %4 : {F("s0, 4", "4, 1")} = aten::relu(%3)
              return (%4)

            """;
        var g = Parser.Parse(text);
        var plan = MemoryPlan.Build(g)!;
        Assert.AreEqual(3, plan.PlannedValues);
        Assert.AreEqual(2, plan.Slots, "%1 and %3 share a slot: same element count expression, lifetimes apart");
        var program = new GraphProgram(g, planMemory: true);
        var gen = new Generator(9);
        foreach (int n in new[] { 3, 5, 5, 2, 8 })
        {
            var x = Tensor.Randn([n, 4], generator: gen);
            TraceAssert.AllClose(x.Exp().Tanh().Neg().Relu(), program.Run([x])[0], 0, 0, $"s0 = {n}");
        }
    }
}
