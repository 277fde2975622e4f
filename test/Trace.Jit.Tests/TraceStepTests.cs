using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>Jit.TraceStep (forward, loss, backward and update compiled) against eager training, step by step.</summary>
[TestClass]
public class TraceStepTests
{
    private static Module Model(string name, Generator g) => name switch
    {
        "two-layer" => new Sequential(new Linear(30, 12, generator: g), new ReLU(), new Linear(12, 5, generator: g)),
        _ => new Sequential(new ParallelBlock(30, 12, g), new ParallelBlock(12, 12, g), new Linear(12, 5, generator: g)),
    };

    private static Optimizer Make(string optimizer, Module m) => optimizer switch
    {
        "sgd" => new SGD(m.Parameters(), lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3),
        "adam" => new Adam(m.Parameters(), lr: 1e-2, amsgrad: true),
        _ => new AdamW(m.Parameters(), lr: 1e-2, weightDecay: 0.1),
    };

    public static IEnumerable<object[]> Cases() =>
        from model in new[] { "two-layer", "parallel-block" } from opt in new[] { "sgd", "adam", "adamw" } select new object[] { model, opt };

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void ParametersAfterTwentyStepsEqualEagerTraining(string model, string optimizer)
    {
        var (eager, jit) = (Model(model, new Generator(7)), Model(model, new Generator(7)));
        var (optE, optT) = (Make(optimizer, eager), Make(optimizer, jit));
        var data = new Generator(8);
        Tensor X() => Tensor.Randn([16, 30], generator: data);
        Tensor Y() => Tensor.Randn([16, 5], generator: data);
        var step = Jit.TraceStep(jit, (p, t) => Functional.MseLoss(p, t), optT, X(), Y());
        for (int i = 0; i < 20; i++)
        {
            var (x, y) = (X(), Y());
            optE.ZeroGrad();
            var lossE = Functional.MseLoss(eager.Forward(x), y);
            lossE.Backward();
            optE.Step();
            var lossT = step.Step(x, y);
            // float32: fused loops and a differently ordered backward round differently from eager by a few ulps.
            TraceAssert.AllClose(lossE.Detach(), lossT, rtol: 1e-5, atol: 1e-6, $"loss at step {i}");
            foreach (var ((n, pe), (_, pt)) in eager.NamedParameters().Zip(jit.NamedParameters()))
                TraceAssert.AllClose(pe.Grad!, pt.Grad!, rtol: 1e-4, atol: 1e-6, $"gradient of {n} at step {i}");
        }
        foreach (var ((n, pe), (_, pt)) in eager.NamedParameters().Zip(jit.NamedParameters()))
            TraceAssert.AllClose(pe.Detach(), pt.Detach(), rtol: 1e-4, atol: 1e-5, $"{model}/{optimizer}: parameter {n} after 20 steps");
        Assert.AreEqual(1, step.Traced.SpecializationCount);
    }

    [TestMethod]
    public void TheStepGraphHoldsForwardAndBackwardAndRunsCompiled()
    {
        var g = new Generator(9);
        var model = Model("two-layer", g);
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), new SGD(model.Parameters(), lr: 0.1), Tensor.Randn([8, 30], generator: g), Tensor.Randn([8, 5], generator: g));
        var graph = step.Traced.Graph;
        CollectionAssert.AreEqual(new[] { "input", "target", "0.weight", "0.bias", "2.weight", "2.bias" }, graph.Inputs.Select(v => v.Name).ToArray());
        Assert.AreEqual(5, graph.Outputs.Count, "the loss and four gradients");
        Assert.IsTrue(graph.Nodes.Count(n => n.Kind == "aten::matmul") >= 3, "backward matmuls are in the graph:\n" + graph);
        Assert.IsTrue(graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), "elementwise work is fused:\n" + graph);
        Assert.IsFalse(step.Traced.GeneratedCode.Contains("not compiled"), step.Traced.GeneratedCode);
        var loss = step.Step(Tensor.Randn([8, 30], generator: g), Tensor.Randn([8, 5], generator: g));
        Assert.IsFalse(loss.RequiresGrad, "a compiled step builds no tape");
        Assert.IsTrue(model.Parameters().All(p => p.Grad is { RequiresGrad: false }));
    }

    [TestMethod]
    public void StepsWriteGradientsIntoTheSameBuffersAndAllocateLittle()
    {
        var g = new Generator(15);
        var model = new Sequential(new ParallelBlock(300, 200, g), new Linear(200, 5, generator: g));   // 121K parameters
        var (x, y) = (Tensor.Randn([16, 300], generator: g), Tensor.Randn([16, 5], generator: g));
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), new Adam(model.Parameters(), lr: 1e-3), x, y);
        for (int i = 0; i < 3; i++) step.Step(x, y);
        var grads = model.Parameters().Select(p => p.Grad!).ToArray();
        long gradBytes = grads.Sum(t => (long)t.Numel * 4);
        long before = GC.GetAllocatedBytesForCurrentThread();
        step.Step(x, y);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        CollectionAssert.AreEqual(grads, model.Parameters().Select(p => p.Grad!).ToArray(), "the same gradient tensors, updated in place");
        Assert.IsTrue(allocated < gradBytes / 4, $"a steady-state step allocated {allocated} bytes; its gradients alone are {gradBytes}");
    }

    [TestMethod]
    public void ANewBatchSizeRetracesAndStillMatchesEager()
    {
        var (eager, jit) = (Model("two-layer", new Generator(10)), Model("two-layer", new Generator(10)));
        var (optE, optT) = (new SGD(eager.Parameters(), lr: 0.1), new SGD(jit.Parameters(), lr: 0.1));
        var g = new Generator(11);
        var step = Jit.TraceStep(jit, (p, t) => Functional.MseLoss(p, t), optT, Tensor.Randn([16, 30], generator: g), Tensor.Randn([16, 5], generator: g));
        foreach (int n in new[] { 16, 4, 16, 4 })
        {
            var (x, y) = (Tensor.Randn([n, 30], generator: g), Tensor.Randn([n, 5], generator: g));
            optE.ZeroGrad();
            Functional.MseLoss(eager.Forward(x), y).Backward();
            optE.Step();
            step.Step(x, y);
        }
        Assert.AreEqual(2, step.Traced.SpecializationCount);
        StringAssert.Contains(step.Traced.ExplainLastRetrace(), "shape (4, 30) != traced (16, 30)");
        foreach (var (pe, pt) in eager.Parameters().Zip(jit.Parameters()))
            TraceAssert.AllClose(pe.Detach(), pt.Detach(), rtol: 1e-5, atol: 1e-6, "parameters");
    }

    [TestMethod]
    public void AFunctionStepWithCapturedParameters()
    {
        var g = new Generator(12);
        var w = Tensor.Randn([4, 3], generator: g).RequiresGrad_();
        var b = Tensor.Zeros(3).RequiresGrad_();
        var opt = new Adam([w, b], lr: 0.05);
        var x = Tensor.Randn([32, 4], generator: g);
        var y = x.Matmul(Tensor.Randn([4, 3], generator: g)) + 0.5;
        var step = Jit.TraceStep(v => (v[0].Matmul(w) + b - v[1]).Square().Mean(), opt, [x, y]);
        double first = step.Step(x, y).Item(), last = first;
        for (int i = 0; i < 200; i++) last = step.Step(x, y).Item();
        Assert.IsTrue(last < first * 0.01, $"linear regression converges: {first} -> {last}");
        Assert.AreEqual("param.0", step.Traced.Graph.Inputs[2].Name);
    }

    [TestMethod]
    public void ParametersTheLossIgnoresAndNonScalarLossesAreErrors()
    {
        var g = new Generator(13);
        var model = Model("two-layer", g);
        var unused = Tensor.Ones(2).RequiresGrad_();
        var opt = new SGD([.. model.Parameters(), unused], lr: 0.1);
        var (x, y) = (Tensor.Randn([4, 30], generator: g), Tensor.Randn([4, 5], generator: g));
        var e = Assert.ThrowsExactly<ArgumentException>(() => Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), opt, x, y));
        StringAssert.Contains(e.Message, "does not depend on parameter param.4 (shape (2,))");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => Jit.TraceStep(model, (p, t) => p - t, new SGD(model.Parameters(), lr: 0.1), x, y));
        StringAssert.Contains(e2.Message, "one-element floating point tensor, got torch.float32 of shape (4, 5)");
        var sgd = new SGD(model.Parameters(), lr: 0.1);
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), sgd, x, y);
        sgd.AddParamGroup(new ParamGroup([Tensor.Ones(2).RequiresGrad_()]));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => step.Step(x, y)).Message, "trace the step again");
    }
}

[TestClass]
public class OpProfileTests
{
    [TestMethod]
    public void CountsEveryNodeRunByKindAndShape()
    {
        var g = new Generator(14);
        var model = new Sequential(new Linear(30, 12, generator: g), new ReLU(), new Linear(12, 5, generator: g));
        var x = Tensor.Randn([4, 30], generator: g);
        var traced = Jit.Trace(model, x);
        OpProfile p;
        using (Autograd.NoGrad())
        {
            traced.Forward(x);   // the no-grad specialization is traced outside the profile
            using (p = OpProfile.Start())
                for (int i = 0; i < 3; i++) traced.Forward(x);
            traced.Forward(x);   // after Dispose: not counted
        }
        Assert.AreEqual(3, p.Rows["trace::linear_relu (4, 12)"].Count);
        Assert.AreEqual(3, p.Rows["aten::linear (4, 5)"].Count);
        Assert.AreEqual(2, p.Rows.Count, "one row per node kind and shape");
        Assert.IsTrue(p.Rows.Values.All(r => r.Ms >= 0));
        StringAssert.Contains(p.ToString(), "trace::linear_relu (4, 12)");
        Assert.IsNull(OpProfile.Current);
    }
}
