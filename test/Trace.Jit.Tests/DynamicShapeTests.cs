using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// Dynamic dims (<see cref="TraceOptions.DynamicDims"/>, <see cref="Jit.MarkDynamic"/>): one symbolic specialization
/// serves every size, against eager at each; what cannot be unified stays static, with the reason.
/// </summary>
[TestClass]
public sealed class DynamicShapeTests
{
    private static TraceOptions Dims(params int[][] dims) => new() { DynamicDims = dims };

    private static Tensor NoGradClone(Tensor t)
    {
        using var _ = Autograd.NoGrad();
        return t.Clone();
    }

    [TestMethod]
    public void AGrowingContextLoopStaysOneSpecialization()
    {
        var g = new Generator(11);
        var model = new CausalSelfAttention(16, 4, 32, g);
        var context = Tensor.Randn([2, 1, 16], generator: g);
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(model, context, Dims([1]));
        for (int pass = 0; pass < 2; pass++)
        {
            var x = context;
            int runs = model.Runs;
            for (int t = 1; t <= 20; t++)
            {
                using var _ = Autograd.NoGrad();
                var expected = model.Forward(x);
                var actual = traced.Forward(x);
                TraceAssert.AllClose(expected, actual, 1e-5, 1e-6, $"pass {pass}, T = {t}");
                Assert.AreEqual(1, traced.SpecializationCount, $"T = {t}: {traced.ExplainLastRetrace()}");
                // The next step's context: one more position (as a sampling loop appends a token's embedding).
                x = Tensor.Cat([x, actual.Narrow(1, t - 1, 1).Tanh()], 1);
            }
            if (pass == 1) Assert.AreEqual(runs + 20, model.Runs, "the second pass runs eagerly only as the reference: every size is served compiled");
        }
        StringAssert.Contains(traced.Graph.ToString(), "Float(2, s0, 16, strides=[16*s0, 16, 1]");
    }
}
