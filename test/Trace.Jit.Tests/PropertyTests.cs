using CsCheck;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// Property-based differential tests (CsCheck, with shrinking): random elementwise/reduction graphs, traced and
/// compiled (fusion groups, summing loops, memory plans), against the interpreter running the unfused graph.
/// </summary>
[TestClass]
public class PropertyTests
{
    [TestMethod]
    public void CompiledGraphsMatchTheInterpreterOnRandomGraphs() => Check(iter: 60);

    [TestMethod]
    [TestCategory("Slow")]
    public void CompiledGraphsMatchTheInterpreterOnManyRandomGraphs() => Check(iter: 1000);

    /// <summary>Each case: trace, then two fresh calls compared with the unfused graph and with eager (a failure prints the shrunk case and its seed).</summary>
    private static void Check(int iter)
    {
        RandomGraphs.Specs.Sample(spec =>
        {
            var g = new Generator((ulong)spec.GetHashCode());
            Tensor[] Inputs() => [Tensor.Randn(spec.First, generator: g), Tensor.Randn(spec.Second, generator: g)];
            var traced = Jit.Trace(spec.Apply, Inputs());
            for (int call = 0; call < 2; call++)
            {
                var x = Inputs();
                var compiled = traced.Call(x)[0];
                var bound = spec.SumBound(x);
                RandomGraphs.Close(Interpreter.Run(traced.RawGraph, x)[0], compiled, bound, $"{spec}\n{traced.Graph}");   // unfused: every op's eager kernel
                RandomGraphs.Close(spec.Apply(x), compiled, bound, $"{spec} vs eager");
            }
        }, iter: iter, threads: 1);
    }
}
