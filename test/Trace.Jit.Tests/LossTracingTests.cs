using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;
using F = Trace.Nn.Functional;

namespace Trace.Jit.Tests;

/// <summary>The regression and binary losses traced (fused into groups, compiled backward) on the CPU and CUDA backends, against eager.</summary>
[TestClass]
[DoNotParallelize]
public class LossTracingTests
{
    [TestMethod]
    [DataRow("cpu")]
    [DataRow("cuda")]
    public void TracedLossesMatchEagerValuesAndGradients(string device)
    {
        var dev = device == "cpu" ? Device.Cpu : Device.Cuda();
        var g = new Generator(43);
        var pw = Tensor.Rand([6], generator: g).Add(0.5).To(dev);
        Tensor Loss(Tensor[] v) =>
            F.HuberLoss(v[0], v[1], delta: 0.5) + F.SmoothL1Loss(v[0], v[1], beta: 0.3) + F.L1Loss(v[0], v[1], Trace.Nn.Reduction.Sum)
            + F.BinaryCrossEntropyWithLogits(v[0], v[1].Sigmoid(), posWeight: pw) + F.BinaryCrossEntropy(v[0].Sigmoid(), v[1].Sigmoid());
        Tensor[] Inputs() => [Tensor.Randn([4, 6], generator: g).Mul(2).To(dev).RequiresGrad_(), Tensor.Randn([4, 6], generator: g).To(dev)];
        var traced = Jit.Trace(Loss, Inputs(), new TraceOptions { CheckTrace = false });
        Assert.IsTrue(traced.CompiledGraphs.Any(gr => gr.Nodes.Any(n => n.Kind == "prim::FusionGroup")), traced.Graph.ToString());
        for (int call = 0; call < 2; call++)
        {
            var x = Inputs();
            var xe = x[0].Detach().Clone().RequiresGrad_();
            var xt = x[0].Detach().Clone().RequiresGrad_();
            var eager = Loss([xe, x[1]]);
            var compiled = traced.Call([xt, x[1]])[0];
            TraceAssert.AllClose(eager, compiled, 1e-5, 1e-5, $"{device} loss");
            eager.Backward();
            compiled.Backward();
            TraceAssert.AllClose(xe.Grad!, xt.Grad!, 1e-5, 1e-6, $"{device} gradient");
        }
    }
}
