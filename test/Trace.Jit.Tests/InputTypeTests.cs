using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>
/// Executors check the tensors a graph runs on against its declared input types: a compiled fusion group would
/// otherwise cut larger inputs to its declared shape and convert float64 inputs to float32 without a word.
/// </summary>
[TestClass]
public sealed class InputTypeTests
{
    /// <summary>relu(2x) over Float(3), as one fusion group.</summary>
    private static readonly string Fused = $"""
        graph(%x : {F3}):
          %1 : {F3} = prim::FusionGroup_0(%x)
          return (%1)
        with prim::FusionGroup_0 = graph(%0 : {F3}):
          %1 : float = prim::Constant[value=2.]()
          %2 : {F3} = aten::mul(%0, %1)
          %3 : {F3} = aten::relu(%2)
          return (%3)

        """;

    private static Graph ParseFused()
    {
        var g = Parser.Parse(Fused);
        GraphVerifier.Lint(g);
        return g;
    }

    /// <summary>Runs under NoGrad, where fusion groups run their compiled loop.</summary>
    private static Tensor[] Run(Graph g, params Tensor[] inputs)
    {
        using var _ = Autograd.NoGrad();
        return Interpreter.Run(g, inputs);
    }

    /// <summary>Runs <paramref name="g"/> on the compiled CPU backend (fusion groups compiled), without gradients.</summary>
    private static Tensor[] RunCompiled(Graph g, params Tensor[] inputs)
    {
        using var _ = Autograd.NoGrad();
        return CpuBackend.Instance.Compile(g).Run(inputs);
    }

    private static void AssertRejected(Graph g, Tensor?[] inputs, params string[] fragments)
    {
        using var _ = Autograd.NoGrad();
        var e = Assert.ThrowsExactly<ArgumentException>(() => Interpreter.Run(g, inputs!));
        foreach (var f in fragments) StringAssert.Contains(e.Message, f);
        e = Assert.ThrowsExactly<ArgumentException>(() => new GraphProgram(g, planMemory: true).Run(inputs!));
        foreach (var f in fragments) StringAssert.Contains(e.Message, f);
    }

    [TestMethod]
    public void MatchingInputsRunTheCompiledGroup()
    {
        var x = Tensor.From(new float[] { -1.5f, 0.25f, 3f });
        var y = Run(ParseFused(), x)[0];
        CollectionAssert.AreEqual(new[] { 3 }, y.Shape.ToArray());
        CollectionAssert.AreEqual(x.ToArray<float>().Select(v => Math.Max(0f, 2 * v)).ToArray(), y.ToArray<float>());
    }

    [TestMethod]
    public void LargerInputsAreRejectedNotCut() =>
        AssertRejected(ParseFused(), [Tensor.Ones(5)],
            $"graph input 0 (%x) is declared {F3}, but the call passed Float(5, strides=[1], requires_grad=0, device=cpu): shape (5,) != declared (3,)");

    [TestMethod]
    public void Float64InputsAreRejectedNotConverted() =>
        AssertRejected(ParseFused(), [Tensor.Ones([3], DType.Float64)], "graph input 0 (%x)", "dtype torch.float64 != declared torch.float32");

    [TestMethod]
    public void InputsOfAnotherRankAreRejected() =>
        AssertRejected(ParseFused(), [Tensor.Ones(3, 1)], "shape (3, 1) != declared (3,)");

    [TestMethod]
    public void InputsOnAnotherDeviceAreRejected()
    {
        var g = Parser.Parse("graph(%x : Float(3, strides=[1], requires_grad=0, device=cuda:0)):\n  return (%x)\n");
        AssertRejected(g, [Tensor.Ones(3)], "graph input 0 (%x) is declared Float(3, strides=[1], requires_grad=0, device=cuda:0)", "device cpu != declared cuda:0");
    }

    [TestMethod]
    public void TheWrongNumberOfInputsIsRejected()
    {
        AssertRejected(ParseFused(), [Tensor.Ones(3), Tensor.Ones(3)], $"the graph takes 1 input(s) (%x : {F3}), but the call passed 2");
        AssertRejected(ParseFused(), [], "the graph takes 1 input(s)", "passed 0");
        AssertRejected(ParseFused(), [null], "graph input 0 (%x)", "passed null: a tensor is required");
    }

    [TestMethod]
    public void StridesAndRequiresGradAreNotPartOfTheCheck()
    {
        var g = ParseFused();
        var strided = Tensor.From(new float[] { 1, -9, 2, -9, -3, -9 }).Slice(0, 0, 6, 2);
        CollectionAssert.AreEqual(new float[] { 2, 4, 0 }, Run(g, strided)[0].ToArray<float>());
        var leaf = Tensor.From(new float[] { 1, 2, -3 }).RequiresGrad_();
        var y = Interpreter.Run(g, [leaf])[0];
        y.Sum().Backward();
        CollectionAssert.AreEqual(new float[] { 2, 2, 0 }, leaf.Grad!.ToArray<float>());
    }

    [TestMethod]
    public void AnUnspecializedTensorInputAdmitsAnyTensor()
    {
        var g = Parser.Parse("graph(%x : Tensor):\n  return (%x)\n");
        Assert.AreEqual(5, Run(g, Tensor.Ones(5))[0].Numel);
        Assert.AreEqual(DType.Int64, Run(g, Tensor.Arange(2))[0].DType);
    }

    [TestMethod]
    public void AGroupFedALyingIntermediateIsRejected()
    {
        // %1 is declared Float(3) but relu of a Float(6) produces 6 elements: the graph lints (the verifier does not
        // infer shapes), and the group's compiled loop would silently compute 3 of them.
        var g = Parser.Parse($"""
            graph(%x : {F6}):
              %1 : {F3} = aten::relu(%x)
              %2 : {F3} = prim::FusionGroup_0(%1)
              return (%2)
            with prim::FusionGroup_0 = graph(%0 : {F3}):
              %1 : {F3} = aten::neg(%0)
              return (%1)

            """);
        GraphVerifier.Lint(g);
        using var _ = Autograd.NoGrad();
        var e = Assert.ThrowsExactly<ArgumentException>(() => Interpreter.Run(g, [Tensor.Ones(6)]));
        StringAssert.Contains(e.Message, $"prim::FusionGroup body input 0 (%0) is declared {F3}, but the call passed Float(6");
    }

    private static Graph Group(string body)
    {
        var g = Parser.Parse($"graph(%x : {F3},\n      %y : {F3}):\n  %2 : {F3} = prim::FusionGroup_0(%x, %y)\n  return (%2)\n" +
                             $"with prim::FusionGroup_0 = graph(%0 : {F3},\n      %1 : {F3}):\n" + body);
        GraphVerifier.Lint(g);
        return g;
    }

    [TestMethod]
    public void BodiesTheCodeGeneratorCannotExpressAreInterpreted()
    {
        var (x, y) = (Tensor.From(new float[] { -1, 2, 5 }), Tensor.From(new float[] { 0, 1, 3 }));
        // A body returning its input (the generator emitted an invalid program for it).
        var identity = Group($"  %2 : {F3} = aten::relu(%0)\n  return (%0)\n");
        var warnings = new List<string>();
        void Collect(string m) => warnings.Add(m);
        Warnings.Raised += Collect;
        try
        {
            CollectionAssert.AreEqual(x.ToArray<float>(), RunCompiled(identity, x, y)[0].ToArray<float>());
        }
        finally
        {
            Warnings.Raised -= Collect;
        }
        // The failed compile is reported, not swallowed: it names the group's ops and the reason.
        Assert.IsTrue(warnings.Any(m => m.Contains("prim::FusionGroup (aten::relu) could not be compiled (the body returns %0", StringComparison.Ordinal)), string.Join("\n", warnings));
        // A tensor clamp bound (the generator dropped it: the result was x unclamped): the schema says float? min, and the
        // verifier, which reads the body too, rejects the graph before anything runs.
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => RunCompiled(Group($"  %2 : NoneType = prim::Constant()\n  %3 : {F3} = aten::clamp(%0, %1, %2)\n  return (%3)\n"), x, y));
        StringAssert.Contains(e.Message, "argument 1 is %1 of type Float(3");
        StringAssert.Contains(e.Message, "aten::clamp expects float? min");
        // A string where a tensor is read (the generator failed with a raw FormatException).
        e = Assert.ThrowsExactly<InvalidOperationException>(() => RunCompiled(Group($"  %2 : str = prim::Constant[value=\"tanh\"]()\n  %3 : {F3} = aten::mul(%2, %0)\n  return (%3)\n"), x, y));
        StringAssert.Contains(e.Message, "argument 0 is %2 of type str, but aten::mul expects Tensor self");
    }

    [TestMethod]
    public void TracedModulesRetraceForOtherInputsAndStillRun()
    {
        var traced = Jit.Trace((Tensor x) => (x * 2.0).Relu(), Tensor.Ones(3));
        var y = traced.Forward(Tensor.From(new double[] { -1, 1, 2, 3, 4 }));
        Assert.AreEqual(2, traced.SpecializationCount);
        Assert.AreEqual(DType.Float64, y.DType);
        CollectionAssert.AreEqual(new double[] { 0, 2, 4, 6, 8 }, y.ToArray<double>());
    }
}
