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
    [DataRow(false, DisplayName = "mask cut from a buffer")]
    [DataRow(true, DisplayName = "mask made at each call")]
    public void AGrowingContextLoopStaysOneSpecialization(bool maskPerCall)
    {
        var g = new Generator(11);
        var model = new CausalSelfAttention(16, 4, 32, g, maskPerCall);
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
        if (maskPerCall) StringAssert.Contains(traced.Graph.ToString(), "aten::arange", "the mask's factories run at each size");
    }

    [TestMethod]
    public void TrustedDynamicSizesRunCompiledFromTheThirdSizeOn()
    {
        var g = new Generator(22);
        var model = new CausalSelfAttention(16, 4, 32, g);
        var options = new TraceOptions { DynamicDims = [[1]], TrustDynamicSizes = true };
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(model, Tensor.Randn([2, 1, 16], generator: g), options);
        for (int t = 1; t <= 20; t++)
        {
            using var _ = Autograd.NoGrad();
            var x = Tensor.Randn([2, t, 16], generator: g);
            var expected = model.Forward(x);
            int runs = model.Runs;
            TraceAssert.AllClose(expected, traced.Forward(x), 1e-5, 1e-6, $"T = {t}");
            // Sizes 1, 2 and 3 are traced (and unified); from then on a new size runs compiled without running the model.
            if (t > 3) Assert.AreEqual(runs, model.Runs, $"T = {t} ran the model eagerly: {traced.ExplainLastRetrace()}");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
    }

    /// <summary>A module that counts its eager runs (each trace is one).</summary>
    private sealed class Counted(Module inner) : Module
    {
        private readonly Module inner = inner;

        public int Runs { get; private set; }

        public override Tensor Forward(Tensor x)
        {
            Runs++;
            return inner.Forward(x);
        }
    }

    [TestMethod]
    public void RandomOpsDrawAtEachCallsSize()
    {
        // Dropout's mask is an aten::rand of the input's shape: in the symbolic graph its size is the call's.
        var model = new Counted(new Dropout(0.5));
        var options = Dims([0]) with { CheckTrace = false };
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(model, Tensor.Ones(4, 1000), options);
        var seen = new HashSet<int>();
        foreach (int b in new[] { 4, 6, 5, 6, 4, 3, 6 })
        {
            using var _ = Autograd.NoGrad();
            int runs = model.Runs;
            var y = traced.Forward(Tensor.Ones(b, 1000));
            CollectionAssert.AreEqual(new[] { b, 1000 }, y.Shape.ToArray());
            var values = y.ToArray<float>();
            Assert.IsTrue(values.All(v => v is 0f or 2f), "dropped or scaled by 1/(1-p)");
            double kept = values.Count(v => v == 2f) / (double)values.Length;
            Assert.IsTrue(Math.Abs(kept - 0.5) < 0.05, $"B = {b}: {kept:P1} kept");
            if (!seen.Add(b)) Assert.AreEqual(runs, model.Runs, $"B = {b} was served before: it runs compiled ({traced.ExplainLastRetrace()})");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "aten::rand"), traced.Graph.ToString());
        // With its own generator a random op replays at its traced size: such traces stay static.
        model = new Counted(new Dropout(0.5, new Generator(3)));
        using (Autograd.NoGrad()) traced = Jit.Trace(model, Tensor.Ones(4, 10), options);
        foreach (int b in new[] { 4, 6, 5 })
        {
            using var _ = Autograd.NoGrad();
            CollectionAssert.AreEqual(new[] { b, 10 }, traced.Forward(Tensor.Ones(b, 10)).Shape.ToArray());
        }
        Assert.AreEqual(3, traced.SpecializationCount);
        StringAssert.Contains(traced.ExplainLastRetrace(), "aten::rand draws from its own generator at its traced size");
    }

    [TestMethod]
    public void ReshapeAndContiguousTraceAsOneOpWhateverTheLayout()
    {
        // At one row the transposed tensor is contiguous (its size-1 dim's stride does not matter) and viewable; at
        // more rows both need a copy. Either way the trace records one op, so the traces unify.
        static Tensor F(Tensor x) => x.Transpose(0, 1).Reshape(-1) + x.Transpose(0, 1).Contiguous().View(-1);
        var g = new Generator(23);
        var traced = Jit.Trace(F, Tensor.Randn([1, 4], generator: g), Dims([0]));
        foreach (int n in new[] { 1, 3, 2, 1, 6 })
        {
            var x = Tensor.Randn([n, 4], generator: g);
            TraceAssert.AllClose(F(x), traced.Forward(x), 0, 0, $"{n} rows");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        var raw = traced.RawGraph.ToString();
        StringAssert.Contains(raw, "aten::reshape(");
        StringAssert.Contains(raw, "aten::contiguous(");
        Assert.IsFalse(raw.Contains("aten::clone", StringComparison.Ordinal), raw);
    }

    /// <summary>A custom function whose output keeps at most 4 rows: a size rule no trace up to 4 rows shows.</summary>
    private sealed class FirstRows : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0].Narrow(0, 0, Math.Min(inputs[0].Size(0), 4)).Clone();

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => throw new NotSupportedException("inference only");
    }

    [TestMethod]
    public void AGraphWhoseSizesContradictItsFormulasTracesTheCallInstead()
    {
        static Tensor F(Tensor x) => new FirstRows().Apply(x).Exp();
        var options = new TraceOptions { DynamicDims = [[0]], TrustDynamicSizes = true };
        var g = new Generator(24);
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(F, Tensor.Randn([2, 3], generator: g), options);
        var reasons = new List<string?>();
        foreach (int n in new[] { 2, 3, 4, 6, 6, 3, 6 })
        {
            using var _ = Autograd.NoGrad();
            var x = Tensor.Randn([n, 3], generator: g);
            TraceAssert.AllClose(F(x), traced.Forward(x), 0, 0, $"{n} rows");
            reasons.Add(traced.ExplainLastRetrace());
        }
        // Trusted after 2, 3, 4 rows, the symbolic graph makes 4 rows where its type says 6: that call is traced, as a static specialization.
        Assert.AreEqual(2, traced.SpecializationCount, string.Join("\n", reasons));
        StringAssert.Contains(reasons[3], "produced shape (4, 3), but its symbolic type (s0, 3) is (6, 3) at s0 = 6");
    }

    [TestMethod]
    public void TensorsFactoriesMakeFromSizesFollowTheSizes()
    {
        static Tensor F(Tensor x)
        {
            int t = x.Size(0);
            var positions = Tensor.Arange(t).To(DType.Float32) * Tensor.Full([t], 0.5) + Tensor.Zeros(t);
            return x.MaskedFill(Tensor.Ones([t, t], DType.Bool).Triu(1), 0) + positions;
        }
        var g = new Generator(21);
        var traced = Jit.Trace(F, Tensor.Randn([3, 3], generator: g), Dims([0, 1]));
        foreach (int t in new[] { 3, 5, 1, 4, 5, 9 })
        {
            var x = Tensor.Randn([t, t], generator: g);
            TraceAssert.AllClose(F(x), traced.Forward(x), 0, 0, $"T = {t}");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        var raw = traced.RawGraph.ToString();
        foreach (var factory in new[] { "aten::arange(", "aten::full(", "aten::zeros(" }) StringAssert.Contains(raw, factory);
        // A factory's tensor that code filled differently (Eye writes its diagonal) is data: frozen, one specialization per size.
        static Tensor E(Tensor x) => x.Matmul(Tensor.Eye(x.Size(0)));
        traced = Jit.Trace(E, Tensor.Randn([3, 3], generator: g), Dims([0, 1]));
        foreach (int t in new[] { 3, 5, 4 })
        {
            var x = Tensor.Randn([t, t], generator: g);
            TraceAssert.AllClose(E(x), traced.Forward(x), 0, 0, $"T = {t}");
        }
        Assert.AreEqual(3, traced.SpecializationCount);
        StringAssert.Contains(traced.ExplainLastRetrace(), "tensor constant 0");
    }

    [TestMethod]
    public void OneSpecializationServesEveryBatchSize()
    {
        var g = new Generator(12);
        var model = new Sequential(new ParallelBlock(20, 8, g), new LayerNorm(8), new Linear(8, 3, generator: g), new Softmax(-1));
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(model, Tensor.Randn([4, 20], generator: g), Dims([0]));
        foreach (int b in new[] { 4, 7, 1, 64, 2, 7, 33, 5, 1, 130 })
        {
            using var _ = Autograd.NoGrad();
            var x = Tensor.Randn([b, 20], generator: g);
            TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-5, 1e-6, $"B = {b}");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        var text = traced.Graph.ToString();
        StringAssert.Contains(text, "%input : Float(s0, 20, strides=[20, 1], requires_grad=0, device=cpu)");
        StringAssert.Contains(text, "Float(s0, 3, strides=[3, 1]");
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), "the symbolic graph is fused:\n" + text);
        Assert.IsFalse(traced.GeneratedCode.Contains("not compiled"), traced.GeneratedCode);
    }

    [TestMethod]
    public void SymbolicGraphsPrintTheirSymbolsAndRoundTrip()
    {
        var g = new Generator(13);
        var model = new CausalSelfAttention(16, 4, 32, g);
        TracedModule traced;
        using (Autograd.NoGrad())
        {
            traced = Jit.Trace(model, Jit.MarkDynamic(Tensor.Randn([2, 3, 16], generator: g), 0, 1));
            traced.Forward(Tensor.Randn([3, 5, 16], generator: g));
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        StringAssert.Contains(traced.ExplainLastRetrace(), "unified 2 traces into one symbolic specialization (s0 = input.size(0), s1 = input.size(1))");
        foreach (var graph in new[] { traced.Graph, traced.RawGraph })
        {
            var text = graph.ToString();
            StringAssert.Contains(text, "%input : Float(s0, s1, 16, strides=[16*s1, 16, 1], requires_grad=0, device=cpu)");
            StringAssert.Contains(text, "prim::SymInt[value=\"s0*s1\"]()", "View(B*T, C)");
            StringAssert.Contains(text, "Float(s0, 4, s1, s1, strides=[4*s1*s1, s1*s1, s1, 1]", "the attention scores (B, H, T, T)");
            Assert.AreEqual(text, Parser.Parse(text, graph.TensorConstants).ToString());
            GraphVerifier.Lint(Parser.Parse(text, graph.TensorConstants));
        }
        StringAssert.Contains(traced.Code, "(s0*s1)");
    }

    /// <summary>Branches on its batch size in .NET: the structure of its trace depends on the size.</summary>
    private sealed class SizeBranch(Generator g) : Module
    {
        private readonly Linear linear = new(6, 6, generator: g);

        public override Tensor Forward(Tensor x) => x.Size(0) > 4 ? linear.Forward(x).Relu() : linear.Forward(x).Tanh();
    }

    [TestMethod]
    public void AStructureThatDependsOnTheSizeIsNotUnified()
    {
        var g = new Generator(14);
        var model = new SizeBranch(g);
        TracedModule traced;
        using (Autograd.NoGrad()) traced = Jit.Trace(model, Tensor.Randn([2, 6], generator: g), Dims([0]));
        string? reason = null;
        foreach (int b in new[] { 2, 3, 4, 5, 6, 8, 3, 7, 4, 5 })
        {
            using var _ = Autograd.NoGrad();
            var x = Tensor.Randn([b, 6], generator: g);
            TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-6, 1e-7, $"B = {b}");
            if (b == 5 && reason is null) reason = traced.ExplainLastRetrace();
        }
        // Sizes 2-4 share one symbolic specialization, 5-8 another: never the branch of the other side.
        Assert.AreEqual(2, traced.SpecializationCount, traced.ExplainLastRetrace());
        StringAssert.Contains(reason, "dynamic dims not unified, traced as a static specialization: the traces at (s0 = 2) and (s0 = 5) differ in structure");
        StringAssert.Contains(reason, "aten::tanh");
    }

    [TestMethod]
    public void ANumberWithNoSizeFormulaIsNotUnified()
    {
        // A tensor built in .NET from the size (not from tensor ops) is a different constant at each size.
        static Tensor F(Tensor x) => x * Tensor.From(Enumerable.Range(0, x.Size(0)).Select(i => (float)(i * i)).ToArray()).Unsqueeze(1);
        var g = new Generator(15);
        var traced = Jit.Trace(F, Tensor.Randn([3, 2], generator: g), Dims([0]));
        foreach (int b in new[] { 3, 5, 4 })
        {
            var x = Tensor.Randn([b, 2], generator: g);
            TraceAssert.AllClose(F(x), traced.Forward(x), 0, 0, $"B = {b}");
        }
        Assert.AreEqual(3, traced.SpecializationCount);
        StringAssert.Contains(traced.ExplainLastRetrace(), "differ in structure (tensor constant 0 (torch.float32");
        // Floor division of a size: a float constant that no c·m + d formula fits.
        static Tensor H(Tensor x) => x * (double)(x.Size(0) / 2);
        traced = Jit.Trace(H, Tensor.Randn([2, 2], generator: g), Dims([0]));
        var reasons = new List<string?>();
        foreach (int b in new[] { 2, 3, 4, 5, 6, 7 })
        {
            var x = Tensor.Randn([b, 2], generator: g);
            TraceAssert.AllClose(H(x), traced.Forward(x), 0, 0, $"B = {b}");
            reasons.Add(traced.ExplainLastRetrace());
        }
        // 2 and 3 (both 1), then 4 and 5 (2), then 6 and 7 (3) unify: equal numbers are constants.
        Assert.AreEqual(3, traced.SpecializationCount, string.Join("\n", reasons));
        StringAssert.Contains(reasons[2], "is 1, 1, 2 in the traces: a size-dependent float that is not a formula of the sizes");
    }

    [TestMethod]
    public void ValueGuardsStayGuards()
    {
        // The branch reads a value of the second input into .NET: a value guard in the symbolic graph as in a static one.
        static Tensor F(Tensor[] v) => v[1].Item() > 0 ? v[0].Exp() : v[0].Neg();
        var g = new Generator(16);
        var traced = Jit.Trace(F, [Tensor.Randn([2, 3], generator: g), Tensor.Ones(1)], Dims([0]));
        foreach (var (b, flag) in new[] { (2, 1.0), (5, 1.0), (3, 1.0), (3, -1.0), (4, -1.0), (2, 1.0) })
        {
            Tensor[] inputs = [Tensor.Randn([b, 3], generator: g), Tensor.Full([1], flag)];
            TraceAssert.AllClose(F(inputs), traced.Call(inputs)[0], 0, 0, $"B = {b}, flag {flag}");
        }
        Assert.AreEqual(2, traced.SpecializationCount, traced.ExplainLastRetrace());
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "prim::ValueGuard"), traced.Graph.ToString());
        StringAssert.Contains(traced.Graph.ToString(), "Float(s0, 3,");
    }

    [TestMethod]
    public void DimsOfEqualSizeShareASymbolUntilTheyDiffer()
    {
        static Tensor F(Tensor[] v) => v[0].Matmul(v[1]);   // (n, k) @ (k, m): k is the inner size of both
        var g = new Generator(17);
        var traced = Jit.Trace(F, [Tensor.Randn([3, 3], generator: g), Tensor.Randn([3, 2], generator: g)], Dims([0, 1], [0]));
        foreach (var (n, k) in new[] { (3, 3), (4, 4), (5, 5), (2, 6), (7, 3), (5, 5) })
        {
            Tensor[] inputs = [Tensor.Randn([n, k], generator: g), Tensor.Randn([k, 2], generator: g)];
            TraceAssert.AllClose(F(inputs), traced.Call(inputs)[0], 1e-6, 1e-6, $"n = {n}, k = {k}");
            if (n == 4) StringAssert.Contains(traced.Graph.ToString(), "%x0 : Float(s0, s0,", "while n = k in every trace, one symbol");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        StringAssert.Contains(traced.Graph.ToString(), "%x0 : Float(s0, s1, strides=[s1, 1]");
        StringAssert.Contains(traced.Graph.ToString(), "%x1 : Float(s1, 2, strides=[2, 1]");
    }

    [TestMethod]
    public void GradientsThroughTheCompiledBackwardAtEverySize()
    {
        var g = new Generator(18);
        var model = new CausalSelfAttention(16, 4, 32, g);
        var ps = model.Parameters().ToList();
        Tensor Leaf(int b, int t) => Tensor.Randn([b, t, 16], generator: g).RequiresGrad_();
        var traced = Jit.Trace(model, Leaf(2, 3), Dims([0, 1]));
        // The first call at a new size is its trace (an eager run); the second runs the compiled graphs.
        foreach (var (b, t, compiled) in new[] { (2, 3, true), (2, 5, false), (2, 5, true), (3, 4, false), (3, 4, true), (1, 7, false), (1, 7, true), (2, 3, true) })
        {
            var x = Leaf(b, t);
            var xt = NoGradClone(x).RequiresGrad_();
            var w = Tensor.Randn([b, t, 16], generator: g);
            foreach (var p in ps) p.Grad = null;
            model.Forward(x).Mul(w).Sum().Backward();
            var eager = ps.Select(p => p.Grad!).ToList();
            foreach (var p in ps) p.Grad = null;
            var y = traced.Forward(xt);
            if (compiled) Assert.AreEqual("prim::DifferentiableGraph", y.GradFn?.Name, $"the compiled backward runs ({traced.EagerBackwardReason})");
            y.Mul(w).Sum().Backward();
            TraceAssert.AllClose(x.Grad!, xt.Grad!, 1e-4, 1e-5, $"input gradient at B = {b}, T = {t}");
            for (int i = 0; i < ps.Count; i++) TraceAssert.AllClose(eager[i], ps[i].Grad!, 1e-4, 1e-5, $"gradient of parameter {i} at B = {b}, T = {t}");
        }
        Assert.AreEqual(1, traced.SpecializationCount, traced.ExplainLastRetrace());
        var backward = traced.Differentiable!.Backward.ToString();
        StringAssert.Contains(backward, "s1");
        StringAssert.Contains(backward, "aten::cat(", "the q, k, v gradients join by one cat, as in a static backward");
    }

    [TestMethod]
    public void ATrainingStepWithADynamicBatchMatchesEagerTraining()
    {
        static Sequential Model(Generator g) => new(new Linear(30, 16, generator: g), new ReLU(), new Linear(16, 5, generator: g));
        var (eager, jit) = (Model(new Generator(19)), Model(new Generator(19)));
        var (optE, optT) = (new Adam(eager.Parameters(), lr: 1e-2), new Adam(jit.Parameters(), lr: 1e-2));
        var g = new Generator(20);
        var step = Jit.TraceStep(jit, (p, t) => Functional.MseLoss(p, t), optT, Tensor.Randn([16, 30], generator: g), Tensor.Randn([16, 5], generator: g),
            Dims([0], [0]));
        foreach (int n in new[] { 16, 5, 16, 9, 5, 16, 3, 9 })
        {
            var (x, y) = (Tensor.Randn([n, 30], generator: g), Tensor.Randn([n, 5], generator: g));
            optE.ZeroGrad();
            var expected = Functional.MseLoss(eager.Forward(x), y);
            expected.Backward();
            optE.Step();
            TraceAssert.AllClose(expected.Detach(), step.Step(x, y), 1e-5, 1e-6, $"loss at batch {n}");
        }
        Assert.AreEqual(1, step.Traced.SpecializationCount, step.Traced.ExplainLastRetrace());
        StringAssert.Contains(step.Traced.Graph.ToString(), "prim::SymFloat[value=\"5*s0\"]()", "the mean divides by the element count");
        foreach (var (pe, pt) in eager.Parameters().Zip(jit.Parameters()))
            TraceAssert.AllClose(pe.Detach(), pt.Detach(), rtol: 1e-5, atol: 1e-6, "parameters");
    }

    [TestMethod]
    public void BadDynamicDimsAreClearErrors()
    {
        var x = Tensor.Zeros(2, 5);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Jit.MarkDynamic(x, 2));
        StringAssert.Contains(e.Message, "Jit.MarkDynamic: dim 2 is out of range for a tensor of shape (2, 5)");
        e = Assert.ThrowsExactly<ArgumentException>(() => Jit.Trace((Tensor t) => t.Exp(), x, Dims([0], [0])));
        StringAssert.Contains(e.Message, "TraceOptions.DynamicDims lists dims of 2 inputs; the traced function takes 1");
        e = Assert.ThrowsExactly<ArgumentException>(() => Jit.Trace((Tensor t) => t.Exp(), x, Dims([-3])));
        StringAssert.Contains(e.Message, "TraceOptions.DynamicDims: dim -3 of input 0 is out of range for its shape (2, 5)");
        Assert.AreSame(x, Jit.MarkDynamic(x, -1), "marking returns the tensor");
    }
}
