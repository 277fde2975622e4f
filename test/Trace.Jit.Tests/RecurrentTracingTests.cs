using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// Modules with several inputs and outputs traced through <see cref="Module.ForwardMany"/> (the lecture's MyCell), and
/// LSTMs unrolled by the tracer: eager equality of outputs and gradients, one specialization per sequence length, and
/// the gate math in fused elementwise groups.
/// </summary>
[TestClass]
public class RecurrentTracingTests
{
    [TestMethod]
    public void MyCell_TracedWithTwoExampleInputs_ReturnsBothOutputsAsEager()
    {
        var g = new Generator(41);
        var cell = new MyCell(g);
        var (x, h) = (Tensor.Rand([3, 4], generator: g), Tensor.Rand([3, 4], generator: g));
        var traced = Jit.Trace(cell, [x, h]);   // torch.jit.trace(my_cell, (x, h))

        var recorded = traced.RawGraph.ToString();
        StringAssert.Contains(recorded, "aten::linear(%input0, %linear.weight, %linear.bias)");
        StringAssert.Contains(recorded, "aten::tanh");
        StringAssert.Contains(recorded, "return (%2, %2", "both outputs are new_h");

        var (x2, h2) = (Tensor.Rand([3, 4], generator: g), Tensor.Rand([3, 4], generator: g));
        var outs = traced.Call(x2, h2);
        var eager = cell.ForwardMany([x2, h2]);
        Assert.AreEqual(2, outs.Length);
        TraceAssert.AllClose(eager[0], outs[0], rtol: 1e-6, atol: 1e-6, "new_h");
        TraceAssert.AllClose(eager[1], outs[1], rtol: 1e-6, atol: 1e-6, "second output");
        Assert.AreEqual(1, traced.SpecializationCount);
    }

    [TestMethod]
    public void ModuleWithoutForwardMany_TracedWithTwoInputs_SaysWhatToOverride()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Jit.Trace(new Linear(4, 4), [Tensor.Rand(3, 4), Tensor.Rand(3, 4)]));
        StringAssert.Contains(e.Message, "Linear: Forward takes one tensor, got 2; override ForwardMany(Tensor[])");
        Assert.ThrowsExactly<ArgumentException>(() => Jit.Trace(new Linear(4, 4), Array.Empty<Tensor>()));
    }

    [TestMethod]
    public void Lstm_UnrollsPerSequenceLength_ForwardAndGradientsEqualEager()
    {
        var g = new Generator(42);
        var lstm = new LSTM(5, 6, numLayers: 2, batchFirst: true, generator: g);
        var x = Tensor.Randn([3, 4, 5], generator: g);
        var (h0, c0) = (Tensor.Randn([2, 3, 6], generator: g), Tensor.Randn([2, 3, 6], generator: g));
        var traced = Jit.Trace(lstm, [x, h0, c0]);
        Assert.AreEqual(3, traced.Call(x, h0, c0).Length, "output, h_n, c_n");

        foreach (int len in new[] { 4, 7 })
        {
            var xs = Tensor.Randn([3, len, 5], generator: g);
            var outs = traced.Call(xs, h0, c0);
            var (o, (h, c)) = lstm.Forward(xs, (h0, c0));
            TraceAssert.AllClose(o, outs[0], rtol: 1e-5, atol: 1e-6, $"output, L={len}");
            TraceAssert.AllClose(h, outs[1], rtol: 1e-5, atol: 1e-6, $"h_n, L={len}");
            TraceAssert.AllClose(c, outs[2], rtol: 1e-5, atol: 1e-6, $"c_n, L={len}");

            // Gradients of the same scalar through the traced and the eager graph.
            lstm.ZeroGrad();
            (outs[0].Sum() + outs[2].Square().Sum()).Backward();
            var tracedGrads = lstm.NamedParameters().Select(p => (p.Name, p.Parameter.Grad!.Clone())).ToList();
            lstm.ZeroGrad();
            (o.Sum() + c.Square().Sum()).Backward();
            foreach (var ((name, gt), (_, p)) in tracedGrads.Zip(lstm.NamedParameters()))
                TraceAssert.AllClose(p.Grad!, gt, rtol: 1e-4, atol: 1e-5, $"gradient of {name}, L={len}");
        }
        // Tracing unrolls the loop: another length is another graph.
        Assert.AreEqual(2, traced.SpecializationCount);
        traced.Call(Tensor.Randn([3, 4, 5], generator: g), h0, c0);
        Assert.AreEqual(2, traced.SpecializationCount, "L = 4 again reuses its graph");
    }

    [TestMethod]
    public void LstmTrainStep_TracedEqualsEagerTraining()
    {
        Module Model(Generator g) => new Sequential(new LSTM(4, 8, batchFirst: true, generator: g), new LastStep(), new Linear(8, 3, generator: g));
        var (eager, jit) = (Model(new Generator(43)), Model(new Generator(43)));
        var (optE, optT) = (new Adam(eager.Parameters(), lr: 1e-2), new Adam(jit.Parameters(), lr: 1e-2));
        var data = new Generator(44);
        Tensor X() => Tensor.Randn([5, 6, 4], generator: data);
        Tensor Y() => Tensor.Randint(0, 3, [5], generator: data);
        var step = Jit.TraceStep(jit, (p, t) => Functional.CrossEntropy(p, t), optT, X(), Y());
        for (int i = 0; i < 5; i++)
        {
            var (x, y) = (X(), Y());
            optE.ZeroGrad();
            var lossE = Functional.CrossEntropy(eager.Forward(x), y);
            lossE.Backward();
            optE.Step();
            var lossT = step.Step(x, y);
            TraceAssert.AllClose(lossE.Detach(), lossT, rtol: 1e-5, atol: 1e-6, $"loss at step {i}");
            foreach (var ((n, pe), (_, pt)) in eager.NamedParameters().Zip(jit.NamedParameters()))
                TraceAssert.AllClose(pe.Grad!, pt.Grad!, rtol: 1e-4, atol: 1e-6, $"gradient of {n} at step {i}");
        }
        Assert.AreEqual(1, step.Traced.SpecializationCount);
    }

    [TestMethod]
    public void LstmInference_GateMathIsOneLstmCellPerStep()
    {
        var g = new Generator(45);
        var lstm = new LSTM(4, 8, generator: g);
        var x = Tensor.Randn([3, 2, 4], generator: g);
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(lstm, x);
        // Every step's i, f, g, o activations and the state update c' = f·c + i·g, h' = o·tanh(c') are one fused cell:
        // no activation or product is left as a node of its own.
        Assert.AreEqual(3, traced.Graph.Nodes.Count(n => n.Kind == "trace::lstm_cell"), traced.Graph.ToString());
        foreach (var kind in new[] { "aten::sigmoid", "aten::tanh", "aten::mul", "prim::FusionGroup" })
            Assert.IsFalse(traced.Graph.Nodes.Any(n => n.Kind == kind), $"{kind} in the graph:\n{traced.Graph}");
        using (Autograd.NoGrad())
            TraceAssert.AllClose(lstm.Forward(x), traced.Forward(x), rtol: 1e-5, atol: 1e-6, "traced output");
    }

    private sealed class LastStep : Module
    {
        public override Tensor Forward(Tensor input) => input.Select(1, -1);
    }
}
