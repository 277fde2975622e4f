using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// The compiled backward (joint trace through the ops' backward rules, split into forward and backward graphs)
/// against the eager tape: every op, the lecture models, training, and the cases that fall back to the tape.
/// </summary>
[TestClass]
public class AutodiffTests
{
    public static IEnumerable<object[]> OpNames() => InterpreterOpTests.Cases.Keys.Select(k => new object[] { k });

    /// <summary>Outputs and input gradients of the compiled graph vs eager, on fresh inputs, under a random output weighting.</summary>
    internal static TracedModule CheckCompiledGradients(Func<Tensor[], Tensor> f, Tensor[] example, IEnumerable<Tensor[]> fresh,
        IReadOnlyList<Tensor>? parameters = null, double rtol = 1e-9, double atol = 1e-11)
    {
        var traced = Jit.Trace(f, example.Select(Leaf).ToArray());
        Assert.IsNotNull(traced.Differentiable, traced.EagerBackwardReason);
        var ps = parameters ?? [];
        foreach (var inputs in fresh)
        {
            var (xe, xt) = (inputs.Select(Leaf).ToArray(), inputs.Select(Leaf).ToArray());
            var ye = f(xe);
            var yt = traced.Call(xt)[0];
            Assert.AreEqual("prim::DifferentiableGraph", yt.GradFn?.Name, "the call should run the compiled graphs");
            TraceAssert.AllClose(ye, yt, rtol, atol, "output");
            var w = Tensor.Randn([.. ye.Shape], ye.DType, new Generator(77));
            var eagerParamGrads = Grads(ps, () => ye.Mul(w).Sum().Backward());
            var tracedParamGrads = Grads(ps, () => yt.Mul(w).Sum().Backward());
            for (int i = 0; i < xe.Length; i++)
                if (xe[i].Grad is { } ge) TraceAssert.AllClose(ge, xt[i].Grad ?? throw new AssertFailedException($"input {i}: no traced gradient"), rtol, atol, $"gradient of input {i}");
            for (int i = 0; i < ps.Count; i++) TraceAssert.AllClose(eagerParamGrads[i], tracedParamGrads[i], rtol, atol, $"gradient of parameter {i}");
        }
        return traced;
    }

    internal static Tensor Leaf(Tensor t)
    {
        using var _ = Autograd.NoGrad();
        var c = t.Clone();
        return c.IsFloatingPoint ? c.RequiresGrad_() : c;
    }

    private static Tensor[] Grads(IReadOnlyList<Tensor> ps, Action backward)
    {
        foreach (var p in ps) p.Grad = null;
        backward();
        return ps.Select(p => p.Grad ?? throw new AssertFailedException("a parameter got no gradient")).ToArray();
    }

    [TestMethod]
    [DynamicData(nameof(OpNames))]
    public void EveryOpsCompiledBackwardMatchesEager(string name)
    {
        var (f, inputs) = InterpreterOpTests.Cases[name];
        var g = new Generator((ulong)name.Length * 104729);
        CheckCompiledGradients(f, inputs(g), Enumerable.Range(0, 2).Select(_ => inputs(g)).ToList());
    }

    [TestMethod]
    public void RandomBroadcastShapesAndOddSizesFloat32()
    {
        var g = new Generator(11);
        foreach (var (rows, cols) in new[] { (1, 1), (3, 17), (5, 33), (2, 100) })
        {
            Func<Tensor[], Tensor> f = x => ((x[0] * 0.5 + x[1]).Tanh() * x[0] + x[2]).Sigmoid().Sum(1, keepdim: true) * x[1].Relu();
            Tensor[] Make() => [Tensor.Randn([rows, cols], generator: g), Tensor.Randn([cols], generator: g), Tensor.Randn([rows, 1], generator: g)];
            var traced = CheckCompiledGradients(f, Make(), [Make(), Make()], rtol: 1e-5, atol: 1e-5);
            Assert.IsTrue(traced.Differentiable!.Backward.Nodes.Any(n => n.Kind == "prim::FusionGroup"),
                "the backward graph's elementwise chains are fused:\n" + traced.Differentiable.Backward);
        }
    }

    /// <summary>A small pre-LayerNorm causal self-attention block with a GELU MLP (W5's structure).</summary>
    private sealed class AttentionBlock : Module
    {
        private readonly LayerNorm ln1, ln2;
        private readonly Linear qkv, proj, fc, fcOut;
        private readonly int heads;

        public AttentionBlock(int c, int heads, Generator g)
        {
            (ln1, ln2, this.heads) = (new LayerNorm(c), new LayerNorm(c), heads);
            (qkv, proj) = (new Linear(c, 3 * c, generator: g), new Linear(c, c, generator: g));
            (fc, fcOut) = (new Linear(c, 4 * c, generator: g), new Linear(4 * c, c, generator: g));
        }

        public override Tensor Forward(Tensor x)
        {
            int b = x.Size(0), t = x.Size(1), c = x.Size(2), hs = c / heads;
            var parts = qkv.Forward(ln1.Forward(x)).Split(c, 2);
            Tensor Heads(Tensor z) => z.View(b, t, heads, hs).Transpose(1, 2);
            var (q, k, v) = (Heads(parts[0]), Heads(parts[1]), Heads(parts[2]));
            var mask = Tensor.Ones([t, t], DType.Bool).Triu(1);
            var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(hs)).MaskedFill(mask, double.NegativeInfinity).Softmax(-1);
            var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);
            x = x + proj.Forward(y);
            return x + fcOut.Forward(fc.Forward(ln2.Forward(x)).Gelu());
        }
    }

    public static IEnumerable<object[]> Models() => new[] { "two-layer", "parallel-block", "attention-block" }.Select(n => new object[] { n });

    private static (Module Model, int[] InputShape) Model(string name, Generator g) => name switch
    {
        "two-layer" => (new Sequential(new Linear(20, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g)), [6, 20]),
        "parallel-block" => (new Sequential(new ParallelBlock(20, 8, g), new ParallelBlock(8, 8, g), new Linear(8, 3, generator: g)), [6, 20]),
        _ => (new AttentionBlock(16, 4, g), [2, 5, 16]),
    };

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void LectureModelsCompiledGradientsMatchEager(string name)
    {
        var g = new Generator(21);
        var (model, shape) = Model(name, g);
        var ps = model.Parameters().ToList();
        Tensor X() => Tensor.Randn(shape, generator: g);
        var traced = CheckCompiledGradients(x => model.Forward(x[0]), [X()], [[X()], [X()]], ps, rtol: 1e-4, atol: 1e-5);
        Assert.AreEqual(ps.Count + 1, traced.Differentiable!.GradInputs.Count, "a gradient for the input and every parameter");
    }

    [TestMethod]
    [DynamicData(nameof(Models))]
    public void TrainingThroughTheCompiledBackwardEqualsEagerTraining(string name)
    {
        // Two identical models: one trained eagerly, one through its traced module. SGD, not Adam: the key bias of
        // attention has an exactly-zero true gradient, and Adam would blow its round-off up to full-size steps.
        var (eager, shape) = Model(name, new Generator(31));
        var (jit, _) = Model(name, new Generator(31));
        var traced = Jit.Trace(jit, Tensor.Zeros(shape));
        var (optE, optT) = (new SGD(eager.Parameters(), lr: 0.05, momentum: 0.9), new SGD(jit.Parameters(), lr: 0.05, momentum: 0.9));
        var data = new Generator(32);
        for (int step = 0; step < 15; step++)
        {
            var x = Tensor.Randn(shape, generator: data);
            var target = Tensor.Randn(shape[..^1].Append(name == "attention-block" ? 16 : 3).ToArray(), generator: data);
            optE.ZeroGrad();
            Functional.MseLoss(eager.Forward(x), target).Backward();
            optE.Step();
            optT.ZeroGrad();
            Functional.MseLoss(traced.Forward(x), target).Backward();
            optT.Step();
        }
        Assert.IsNotNull(traced.Differentiable, traced.EagerBackwardReason);
        foreach (var ((n, pe), (_, pt)) in eager.NamedParameters().Zip(jit.NamedParameters()))
            TraceAssert.AllClose(pe, pt, rtol: 1e-4, atol: 1e-5, $"{name} parameter {n} after 15 SGD steps");
    }

    [TestMethod]
    public void ModelsOutsideTheCompiledBackwardFallBackToTheTapeAndSayWhy()
    {
        var g = new Generator(41);
        var a = Tensor.Randn([3], generator: g).RequiresGrad_();
        var two = Jit.Trace((Tensor[] x) => new[] { x[0] * 2.0, x[0].Exp().To(DType.Float64) }, new[] { a });
        Assert.IsNull(two.Differentiable);
        StringAssert.Contains(two.EagerBackwardReason, "different dtypes");
        var outs = two.Call(a);
        var outs2 = two.Call(a);
        (outs2[0].Sum() + outs2[1].Sum()).Backward();
        TraceAssert.AllClose(a.Exp().Add(2.0).Detach(), a.Grad!, what: "gradient through the tape");
        Assert.AreEqual(2, outs.Length);

        var custom = Jit.Trace((Tensor x) => new Square().Apply(x).Sum(), Tensor.Randn([4], generator: g).RequiresGrad_());
        StringAssert.Contains(custom.EagerBackwardReason, "custom Function");
        var y = Tensor.Randn([4], generator: g).RequiresGrad_();
        custom.Forward(y).Backward();
        TraceAssert.AllClose(y.Mul(2.0).Detach(), y.Grad!, what: "custom function gradient");
    }

    private sealed class Square : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0]);
            return x[0] * x[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0] * 2.0];
    }

    [TestMethod]
    public void HigherOrderGradientsNeedTheTapeAndSaySo()
    {
        var x = Tensor.From(new double[] { 0.5, -1.5 }).RequiresGrad_();
        var compiled = Jit.Trace((Tensor t) => t.Pow(3.0).Sum(), x);
        var y = compiled.Forward(x);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Autograd.Grad([y], [x], createGraph: true));
        StringAssert.Contains(e.Message, "CompileBackward = false");

        var taped = Jit.Trace((Tensor t) => t.Pow(3.0).Sum(), x, new TraceOptions { CompileBackward = false });
        var first = Autograd.Grad([taped.Forward(x)], [x], createGraph: true)[0]!;
        var second = Autograd.Grad([first.Sum()], [x])[0]!;
        TraceAssert.AllClose(x.Mul(6.0).Detach(), second, what: "d²/dx² of x³");
    }

    [TestMethod]
    public void ChangingASavedTensorBeforeBackwardIsAnError()
    {
        var w = Tensor.Randn([3], generator: new Generator(51)).RequiresGrad_();
        var traced = Jit.Trace((Tensor x) => (x * w).Sum(), Tensor.Ones(3).RequiresGrad_());
        var y = traced.Forward(Tensor.Ones(3).RequiresGrad_());
        using (Autograd.NoGrad()) w.Add_(1.0);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => y.Backward());
        StringAssert.Contains(e.Message, "modified by an inplace operation");
    }

    [TestMethod]
    public void AValueGuardInACompiledForwardStillRetraces()
    {
        Func<Tensor, Tensor> f = x => x.Sum().Item() > 0 ? x * 2.0 : x * 3.0;
        var traced = Jit.Trace(f, Tensor.Ones(2).RequiresGrad_());
        Assert.IsNotNull(traced.Differentiable);
        var neg = Tensor.From(new double[] { -1, -2 }).RequiresGrad_();
        traced.Forward(neg).Sum().Backward();
        TraceAssert.AllClose(Tensor.Full([2], 3.0, DType.Float64), neg.Grad!, what: "gradient of the branch eager takes");
        Assert.AreEqual(2, traced.SpecializationCount);
    }

    [TestMethod]
    public void PartitionerSavesForwardValuesAndMovesGradientOnlyWorkToBackward()
    {
        const string F = IrAssert.F3;
        var joint = Parser.Parse($"""
            graph(%x : {F},
                  %w : {F},
                  %grad_output : {F}):
              %1 : {F} = aten::mul(%x, %w)
              %2 : {F} = aten::tanh(%1)
              %3 : {F} = aten::square(%2)
              %4 : {F} = aten::neg(%3)
              %5 : {F} = aten::mul(%grad_output, %4)
              %6 : {F} = aten::mul(%5, %w)
              %7 : {F} = aten::mul(%5, %x)
              return (%2, %6, %7)

            """);
        var parts = Partitioner.Split(joint, forwardOutputs: 1, gradOutputs: 1);
        Assert.AreEqual($"""
            graph(%x : {F},
                  %w : {F}):
              %1 : {F} = aten::mul(%x, %w)
              %2 : {F} = aten::tanh(%1)
              return (%2, %2)

            """, parts.Forward.ToString());
        Assert.AreEqual($"""
            graph(%2 : {F},
                  %grad_output : {F},
                  %w : {F},
                  %x : {F}):
              %3 : {F} = aten::square(%2)
              %4 : {F} = aten::neg(%3)
              %5 : {F} = aten::mul(%grad_output, %4)
              %6 : {F} = aten::mul(%5, %w)
              %7 : {F} = aten::mul(%5, %x)
              return (%6, %7)

            """, parts.Backward.ToString());
        CollectionAssert.AreEqual(new[] { (BackwardSource.Saved, 1), (BackwardSource.GradOutput, 0), (BackwardSource.Input, 1), (BackwardSource.Input, 0) },
            parts.BackwardInputs);
    }

    [TestMethod]
    public void CheapElementwiseValuesAreRecomputedInBackwardNotSaved()
    {
        const string F = IrAssert.F3;
        const string S = "Float(requires_grad=0, device=cpu)";
        // mse-like: d = a - b feeds a fusible square; backward needs d (2·d·g): recomputing it lets the forward fuse d away.
        var joint = Parser.Parse($"""
            graph(%a : {F},
                  %b : {F},
                  %grad_output : {S}):
              %1 : {F} = aten::sub(%a, %b)
              %2 : {F} = aten::square(%1)
              %3 : int[] = prim::ListConstruct()
              %4 : bool = prim::Constant[value=0]()
              %5 : {S} = aten::sum(%2, %3, %4)
              %6 : float = prim::Constant[value=2.]()
              %7 : {F} = aten::mul(%1, %6)
              %8 : {F} = aten::mul(%7, %grad_output)
              return (%5, %8)

            """);
        var parts = Partitioner.Split(joint, forwardOutputs: 1, gradOutputs: 1);
        Assert.AreEqual(1, parts.Forward.Outputs.Count, "nothing saved:\n" + parts.Forward);
        Assert.AreEqual($"""
            graph(%a : {F},
                  %b : {F},
                  %grad_output : {S}):
              %6 : float = prim::Constant[value=2.]()
              %1 : {F} = aten::sub(%a, %b)
              %7 : {F} = aten::mul(%1, %6)
              %8 : {F} = aten::mul(%7, %grad_output)
              return (%8)

            """, parts.Backward.ToString());
    }
}
