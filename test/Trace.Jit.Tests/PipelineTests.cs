using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Jit.Tests.IrAssert;

namespace Trace.Jit.Tests;

/// <summary>The pass pipeline: the passes together, checked against the interpreter, and the TRACE_JIT_LOG knob.</summary>
[TestClass]
public sealed class PipelineTests
{
    private static readonly string Input = $"""
        graph(%x : {F23}):
          %1 : int = prim::Constant[value=1]()
          %2 : {F23} = aten::mul(%x, %1)
          %3 : int = prim::Constant[value=0]()
          %4 : {F32} = aten::transpose(%2, %3, %1)
          %5 : {F23} = aten::transpose(%4, %1, %3)
          %6 : {F23} = aten::exp(%5)
          %7 : {F3} = prim::Constant[value=<Tensor:0>]()
          %8 : float = prim::Constant[value=2.]()
          %9 : {F3} = aten::mul(%7, %8)
          %10 : {F23} = aten::add(%6, %9)
          %11 : {F23} = aten::exp(%x)
          %12 : {F23} = aten::mul(%10, %11)
          %13 : {F23} = aten::tanh(%12)
          return (%12)

        """;

    [TestMethod]
    public void OptimizeReachesTheExpectedGraphAndKeepsResults()
    {
        var g = Parser.Parse(Input, [Tensor.From(new float[] { 1, 2, 3 })]);
        var x = Tensor.From(new float[] { 0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f }, [2, 3]);
        var before = Interpreter.Run(g, [x])[0].ToArray<float>();
        Assert.AreSame(g, PassPipeline.Optimize(g, verify: true));
        Assert.AreEqual($"""
            graph(%x : {F23}):
              %6 : {F23} = aten::exp(%x)
              %14 : {F3} = prim::Constant[value=<Tensor:1>]()
              %10 : {F23} = aten::add(%6, %14)
              %12 : {F23} = aten::mul(%10, %6)
              return (%12)

            """, Printer.Print(g));
        CollectionAssert.AreEqual(before, Interpreter.Run(g, [x])[0].ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, g.TensorConstants[1].ToArray<float>());
        Assert.AreEqual(g.ToString(), PassPipeline.Optimize(g, verify: true).ToString());
    }

    [TestMethod]
    public void EveryPassHasAUniqueLowercaseName()
    {
        var names = PassPipeline.Passes.Select(p => p.Name).ToList();
        CollectionAssert.AreEqual(new[] { "peephole", "slicecat", "mmsum", "maskpool", "constprop", "cse", "dce" }, names);
    }

    [TestMethod]
    [DoNotParallelize]
    public void TraceJitLogDumpsTheNamedPasses()
    {
        var previousError = Console.Error;
        var previousValue = Environment.GetEnvironmentVariable(PassPipeline.LogVariable);
        var log = new StringWriter();
        try
        {
            Console.SetError(log);
            Environment.SetEnvironmentVariable(PassPipeline.LogVariable, "dce, CSE");
            PassPipeline.Optimize(Parser.Parse(Input, [Tensor.From(new float[] { 1, 2, 3 })]));
        }
        finally
        {
            Console.SetError(previousError);
            Environment.SetEnvironmentVariable(PassPipeline.LogVariable, previousValue);
        }
        var text = log.ToString();
        StringAssert.StartsWith(text, "[TRACE_JIT_LOG] before cse:\ngraph(%x : ");
        StringAssert.Contains(text, "[TRACE_JIT_LOG] after cse:\n");
        StringAssert.Contains(text, "[TRACE_JIT_LOG] before dce:\n");
        StringAssert.Contains(text, "[TRACE_JIT_LOG] after dce:\n");
        Assert.IsFalse(text.Contains("peephole", StringComparison.Ordinal));
        Assert.IsFalse(text.Contains("constprop", StringComparison.Ordinal));
    }
}
