using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>A traced module called inside another trace: recorded as a replayable call, with gradients as eager, for one output and several.</summary>
[TestClass]
public class NestedTraceTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ATracedModuleThatNeedsGradientsTracesInsideAnotherTrace(int outputs)
    {
        var g = new Generator(41);
        var model = new Sequential(new Linear(6, 5, generator: g), new Tanh(), new Linear(5, 4, generator: g));
        var x = Tensor.Randn([3, 6], generator: g);
        Func<Tensor[], Tensor[]> body = v => outputs == 1 ? [model.Forward(v[0])] : [model.Forward(v[0]), v[0].Exp().Sum(1)];
        var inner = Jit.Trace(body, [x]);
        Assert.IsNotNull(inner.Differentiable, inner.EagerBackwardReason);
        Func<Tensor[], Tensor> outer = v => inner.Call(v[0].Mul(2.0)).Aggregate((a, b) => a.Sum().Add(b.Sum())).Mul(3.0);
        var traced = Jit.Trace(outer, [x]);
        foreach (var seed in new ulong[] { 1, 2 })
        {
            var y = Tensor.Randn([3, 6], generator: new Generator(seed));
            model.ZeroGrad();
            var expected = body([y.Mul(2.0)]).Aggregate((a, b) => a.Sum().Add(b.Sum())).Mul(3.0);
            expected.Sum().Backward();
            var eagerGrads = model.Parameters().Select(p => p.Grad!.Clone()).ToArray();
            model.ZeroGrad();
            var actual = traced.Call(y)[0];
            TraceAssert.AllClose(expected, actual, 1e-5, 1e-6, "outer trace output");
            actual.Sum().Backward();
            var ps = model.Parameters().ToArray();
            for (int i = 0; i < ps.Length; i++) TraceAssert.AllClose(eagerGrads[i], ps[i].Grad!, 1e-5, 1e-6, $"gradient of parameter {i}");
        }
    }
}
