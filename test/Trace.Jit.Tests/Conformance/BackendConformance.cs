using Trace.Ops;
using CsCheck;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// What every backend must do as the <see cref="ReferenceBackend"/> does: each op the registry executes, forward and
/// backward (<see cref="OpCases"/>); graphs that passes produce (epilogues, fusion groups); the lecture models, called
/// and trained; and random elementwise/reduction graphs (CsCheck). Each case traces the same code twice — with the
/// reference and with <see cref="Backend"/> — and compares outputs and gradients on fresh inputs. A backend adds one
/// subclass naming itself.
/// </summary>
public abstract class BackendConformance
{
    /// <summary>The backend under test.</summary>
    protected abstract IBackend Backend { get; }

    /// <summary>Relative tolerance: fused loops and eager kernels agree elementwise; sums may add in another order.</summary>
    protected virtual double Rtol => 1e-9;

    /// <summary>Absolute tolerance.</summary>
    protected virtual double Atol => 1e-10;

    /// <summary>The device the cases' tensors and models live on (the reference runs the same device's eager kernels).</summary>
    protected virtual Device Device => Device.Cpu;

    /// <summary><paramref name="xs"/> on <see cref="Device"/>.</summary>
    private Tensor[] On(Tensor[] xs) => [.. xs.Select(t => t.To(Device))];

    public static IEnumerable<object[]> OpKinds() => OpCases.Cases.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> GraphNames() => GraphCases.Keys.Select(k => new object[] { k });

    public static IEnumerable<object[]> ModelNames() => Models.Keys.Select(k => new object[] { k });

    [TestMethod]
    public void EveryTableOpHasACase()
    {
        var covered = OpCases.Cases.Keys.Concat(GraphCases.Keys).ToHashSet();
        var missing = OpTable.All.Select(d => d.Name).Where(k => !covered.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.AreEqual(0, missing.Count, "op kinds without a conformance case: " + string.Join(", ", missing));
    }

    [TestMethod]
    [DynamicData(nameof(OpKinds))]
    public void OpForwardAndBackwardMatchTheReference(string kind)
    {
        var c = OpCases.Cases[kind];
        var g = new Generator((ulong)kind.GetHashCode(StringComparison.Ordinal) & 0xffff);
        var (reference, subject) = Traced(x => c.F(x), Grad(On(c.Inputs(g))));
        Assert.IsTrue(subject.RawGraph.Nodes.Any(n => n.Kind == kind), $"the case for {kind} does not record it:\n{subject.RawGraph}");
        for (int call = 0; call < 2; call++)
        {
            var x = On(c.Inputs(g));
            Compare(kind, reference.Call, subject.Call, x, []);
        }
    }

    [TestMethod]
    [DynamicData(nameof(GraphNames))]
    public void PassProducedGraphsMatchTheReference(string name)
    {
        var (f, inputs, pass) = GraphCases[name];
        var g = new Generator(17);
        var graph = WithPasses(f, On(inputs(g)), pass());
        Assert.IsTrue(graph.Nodes.Any(n => n.Kind == name), $"the graph case for {name} does not contain it:\n{graph}");
        var reference = ReferenceBackend.Instance.Compile(graph);
        var subject = Backend.Compile(graph);
        for (int call = 0; call < 2; call++)
            Compare(name, x => reference.Run(x), x => subject.Run(x), On(inputs(g)), []);
    }

    [TestMethod]
    [DynamicData(nameof(ModelNames))]
    public void LectureModelsMatchTheReference(string name)
    {
        var (make, input) = Models[name];
        var g = new Generator(23);
        var model = make(g);
        model.To(Device);
        Tensor Input() => input(g).To(Device);
        var reference = Jit.Trace(model, Grad([Input()])[0], Options(ReferenceBackend.Instance));
        var subject = Jit.Trace(model, Grad([Input()])[0], Options(Backend));
        for (int call = 0; call < 2; call++)
            Compare(name, x => reference.Call(x), x => subject.Call(x), [Input()], [.. model.Parameters()]);
        // Without gradients: the compiled forward (fusion groups run as compiled loops, memory plans).
        using (Autograd.NoGrad())
        {
            var x = Input();
            TraceAssert.AllClose(reference.Forward(x), subject.Forward(x), Rtol, Atol, $"{name} under NoGrad");
        }
    }

    public static IEnumerable<object[]> RowProgramNames() => RowProgramCases.Keys.Select(k => new object[] { k });

    /// <summary>
    /// Row reductions with prologues and epilogues, traced and differentiated: each fuses into one group holding its
    /// reductions (forward, and the backward where it reduces rows: softmax's and layer norm's), and matches the reference
    /// — outputs, input gradients, and NaN / −∞ rows as the eager kernels treat them.
    /// </summary>
    [TestMethod]
    [DynamicData(nameof(RowProgramNames))]
    public void RowProgramsFuseAndMatchTheReference(string name)
    {
        var (f, inputs, forward, backward) = RowProgramCases[name];
        var g = new Generator(31);
        var (reference, subject) = Traced(f, Grad(On(inputs(g))));
        if (Backend != ReferenceBackend.Instance)
        {
            static int Reductions(Node group) => group.Subgraph!.Nodes.Count(n => n.Kind is "aten::sum" or "aten::amax" or "aten::softmax" or "aten::log_softmax");
            if (forward > 0)
            {
                using var _ = Autograd.NoGrad();
                var inference = Jit.Trace(f, On(inputs(g)), Options(Backend));
                // A backend may keep softmax as its own kernel (the CPU's: its exps cost more recomputed than stored).
                if (inference.Graph.Nodes.FirstOrDefault(n => n.Kind is "aten::softmax" or "aten::log_softmax") is { } kept)
                    Assert.IsFalse(Backend.CanFuseReduction(kept), $"{name}: {Backend.Name} fuses {kept.Kind}, yet it stayed outside a group:\n{inference.Graph}");
                else
                {
                    var group = inference.Graph.Nodes.SingleOrDefault(n => n.Kind == "prim::FusionGroup");
                    Assert.IsNotNull(group, $"{name}: expected one fusion group:\n{inference.Graph}");
                    Assert.AreEqual(forward, Reductions(group), $"{name}: the group's reductions:\n{inference.Graph}");
                }
            }
            if (backward > 0)
            {
                var backwardGraph = subject.CompiledGraphs[^1];
                Assert.IsTrue(backwardGraph.Nodes.Any(n => n.Kind == "prim::FusionGroup" && Reductions(n) == backward),
                    $"{name}: expected a backward fusion group with {backward} row reduction(s):\n{backwardGraph}");
            }
        }
        for (int call = 0; call < 2; call++)
            Compare(name, x => reference.Call(x), x => subject.Call(x), On(inputs(g)), []);
    }

    /// <summary>
    /// Float64 row-program cases: the function, its inputs, how many reductions its one forward group holds, and how many
    /// one backward group holds (0: not checked).
    /// </summary>
    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Generator, Tensor[]> Inputs, int Forward, int Backward)> RowProgramCases = new()
    {
        // Attention's scores: scale, a (T, T) causal mask over (B, H, T, T), softmax — one kernel per row.
        ["softmax of a scaled masked score"] = (x => x[0].Mul(0.3).MaskedFill(x[1], double.NegativeInfinity).Softmax(-1),
            g => [Tensor.Randn([2, 3, 5, 5], DType.Float64, g), Tensor.Ones([5, 5]).Triu(1).Gt(0.5)], 1, 1),
        ["log_softmax of a biased input"] = (x => (x[0] + x[1]).LogSoftmax(-1), g => [Tensor.Randn([4, 7], DType.Float64, g), Tensor.Randn([7], DType.Float64, g)], 1, 1),
        // A loss per row: the row's squared deviation from its mean, summed (the program stores one value per row).
        ["sum of squared deviations per row"] = (x => { var m = x[0].Sum([-1], keepdim: true) / 9.0; return ((x[0] - m) * (x[0] - m) * x[1]).Sum([-1]); },
            g => [Tensor.Randn([6, 9], DType.Float64, g), Tensor.Rand([9], DType.Float64, g)], 2, 0),
        // Rows of the last two dims: a max over them (NaN-free), an exp, a per-row normalizer.
        ["shift by the max of the last two dims"] = (x => { var e = (x[0] - x[0].Amax([-2, -1], keepdim: true)).Exp(); return e / e.Sum([-2, -1], keepdim: true) * x[1]; },
            g => [Tensor.Randn([3, 4, 5], DType.Float64, g), Tensor.Randn([4, 5], DType.Float64, g)], 2, 0),
        // Layer norm's backward reduces g·w and g·w·x̂ per row and combines them in one epilogue.
        ["layer norm, and its backward"] = (x => x[0].Mul(1.5).LayerNorm([8], x[1], x[2]).Tanh(),
            g => [Tensor.Randn([5, 8], DType.Float64, g), Tensor.Randn([8], DType.Float64, g), Tensor.Randn([8], DType.Float64, g)], 0, 2),
        // NaN in one row and a row of only −∞: softmax gives NaN rows (as PyTorch), the others are unaffected.
        ["softmax of rows holding NaN and only -inf"] = (x => (x[0] * x[1]).Softmax(-1),
            g =>
            {
                var x = Tensor.Randn([4, 6], DType.Float64, g);
                using (Autograd.NoGrad())
                {
                    x[0, 2].Fill_(double.NaN);
                    x[2].Fill_(double.NegativeInfinity);
                }
                return [x, Tensor.Rand([4, 1], DType.Float64, g) + 0.5];
            }, 1, 1),
    };

    [TestMethod]
    public void LectureTrainingStepsMatchTheReference()
    {
        // 04-NnSequential and 06-ParallelBlock: Adam on an MSE loss, as traced training steps.
        foreach (var (name, make) in new (string, Func<Generator, Module>)[]
        {
            ("Sequential", g => new Sequential(new Linear(12, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g))),
            ("ParallelBlock", g => new Sequential(new ParallelBlock(12, 8, g), new ParallelBlock(8, 8, g), new Linear(8, 3, generator: g))),
        })
        {
            var losses = new List<double>[2];
            var finals = new Tensor[2][];
            var backends = new IBackend[] { ReferenceBackend.Instance, Backend };
            for (int b = 0; b < 2; b++)
            {
                var g = new Generator(5);
                var model = make(g);
                model.To(Device);
                var (x, y) = (Tensor.Randn([6, 12], DType.Float32, g).To(Device), Tensor.Randn([6, 3], DType.Float32, g).To(Device));
                var optimizer = new Adam(model.Parameters(), lr: 1e-2);
                var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), optimizer, x, y, Options(backends[b]));
                losses[b] = [.. Enumerable.Range(0, 4).Select(_ => step.Step(x, y).Item())];
                finals[b] = [.. model.Parameters().Select(p => p.Clone())];
            }
            for (int s = 0; s < losses[0].Count; s++)
                Assert.AreEqual(losses[0][s], losses[1][s], 1e-5 * Math.Abs(losses[0][s]) + 1e-6, $"{name}: loss of step {s}");
            for (int p = 0; p < finals[0].Length; p++)
                TraceAssert.AllClose(finals[0][p], finals[1][p], 1e-4, 1e-5, $"{name}: parameter {p} after the steps");
        }
    }

    [TestMethod]
    public void RandomGraphsMatchTheReference() => CheckRandomGraphs(iter: 20);

    [TestMethod]
    [TestCategory("Slow")]
    public void ManyRandomGraphsMatchTheReference() => CheckRandomGraphs(iter: ManyRandomGraphs);

    /// <summary>How many random graphs the slow run checks (a simulated device runs each kernel's threads on the CPU: fewer there).</summary>
    protected virtual int ManyRandomGraphs => 150;

    /// <summary>Random chains (float32, as models run) traced for both backends: outputs and the inputs' gradients.</summary>
    private void CheckRandomGraphs(int iter)
    {
        RandomGraphs.Specs.Sample(spec =>
        {
            var g = new Generator((ulong)spec.GetHashCode());
            Tensor[] Inputs() => On([Tensor.Randn(spec.First, generator: g), Tensor.Randn(spec.Second, generator: g)]);
            var (reference, subject) = Traced(spec.Apply, Grad(Inputs()));
            var x = Inputs();
            using (Autograd.NoGrad())
                RandomGraphs.Close(reference.Call(x)[0], subject.Call(x)[0], spec.SumBound(x), $"{spec} ({Backend.Name}, no grad)\n{subject.Graph}");
            var (refX, subX) = (Grad(x), Grad(x));
            var (refOut, subOut) = (reference.Call(refX)[0], subject.Call(subX)[0]);
            RandomGraphs.Close(refOut, subOut, spec.SumBound(x), $"{spec} ({Backend.Name}, with grad)");
            var weight = Tensor.Randn(refOut.Shape.ToArray(), generator: g).To(Device);
            refOut.Mul(weight).Sum().Backward();
            subOut.Mul(weight).Sum().Backward();
            for (int i = 0; i < 2; i++)
            {
                if (refX[i].Grad is null && subX[i].Grad is null) continue;
                Assert.IsNotNull(refX[i].Grad, $"{spec}: input {i} has a gradient only on {Backend.Name}");
                Assert.IsNotNull(subX[i].Grad, $"{spec}: input {i} has no gradient on {Backend.Name}");
                // Gradients of a sum broadcast and re-add terms: bounded by the same sum bound, scaled by the weights.
                TraceAssert.AllClose(refX[i].Grad!, subX[i].Grad!, 1e-4, 1e-4, $"{spec} ({Backend.Name}): gradient of input {i}");
            }
        }, iter: iter, threads: 1);
    }

    /// <summary>Options tracing for <paramref name="backend"/> (the trace check compares with eager, which is not the question here).</summary>
    private static TraceOptions Options(IBackend backend) => new() { Backend = backend, CheckTrace = false };

    private (TracedModule Reference, TracedModule Subject) Traced(Func<Tensor[], Tensor> f, Tensor[] example) =>
        (Jit.Trace(f, example, Options(ReferenceBackend.Instance)), Jit.Trace(f, example, Options(Backend)));

    /// <summary>Copies of <paramref name="xs"/>, floating ones requiring grad.</summary>
    private static Tensor[] Grad(Tensor[] xs)
    {
        using var _ = Autograd.NoGrad();
        return [.. xs.Select(t => t.IsFloatingPoint ? t.Clone().RequiresGrad_() : t.Clone())];
    }

    /// <summary>
    /// Runs both on copies of <paramref name="inputs"/> (floating ones requiring grad), compares the outputs, then
    /// back-propagates the same random weighting of the outputs and compares the inputs' and parameters' gradients.
    /// </summary>
    private void Compare(string what, Func<Tensor[], Tensor[]> reference, Func<Tensor[], Tensor[]> subject, Tensor[] inputs, IReadOnlyList<Tensor> parameters)
    {
        var weights = new Generator(99);
        (Tensor[] Outputs, Tensor?[] Grads) Run(Func<Tensor[], Tensor[]> f)
        {
            foreach (var p in parameters) p.Grad = null;
            var xs = Grad(inputs);
            var outs = f(xs);
            var loss = outs.Where(o => o.RequiresGrad)
                .Select(o => o.Mul(Tensor.Randn(o.Shape.ToArray(), o.DType, weights).To(o.Device)).Sum()).Aggregate((Tensor?)null, (a, b) => a is null ? b : a + b);
            loss?.Backward();
            Tensor?[] grads = [.. xs.Select(x => x.Grad), .. parameters.Select(p => p.Grad)];
            foreach (var p in parameters) p.Grad = null;
            return (outs, grads);
        }
        var expected = Run(reference);
        weights = new Generator(99);
        var actual = Run(subject);
        Assert.AreEqual(expected.Outputs.Length, actual.Outputs.Length, $"{what}: output count");
        for (int i = 0; i < expected.Outputs.Length; i++)
        {
            Assert.AreEqual(expected.Outputs[i].DType, actual.Outputs[i].DType, $"{what}: dtype of output {i}");
            TraceAssert.AllClose(expected.Outputs[i], actual.Outputs[i], Rtol, Atol, $"{what} ({Backend.Name}): output {i}");
        }
        for (int i = 0; i < expected.Grads.Length; i++)
        {
            Assert.AreEqual(expected.Grads[i] is null, actual.Grads[i] is null, $"{what} ({Backend.Name}): gradient {i} is present on one backend only");
            if (expected.Grads[i] is { } e) TraceAssert.AllClose(e, actual.Grads[i]!, Rtol, Atol, $"{what} ({Backend.Name}): gradient {i}");
        }
    }

    /// <summary>
    /// Graphs with what only passes emit, built by running the pass on a recorded graph (so they do not depend on the
    /// backend under test): epilogues (<see cref="LinearEpilogues"/>) and fusion groups, which the reference interprets
    /// body node by node.
    /// </summary>
    private static readonly Dictionary<string, (Func<Tensor[], Tensor> F, Func<Generator, Tensor[]> Inputs, Func<IGraphPass> Pass)> GraphCases = new()
    {
        ["trace::linear_relu"] = (x => Tensor.Linear(x[0], x[1], x[2]).Relu(), LinearInputs, () => new LinearEpilogues()),
        ["trace::linear_add"] = (x => Tensor.Linear(x[0], x[1], x[2]) + x[3], LinearInputs, () => new LinearEpilogues()),
        ["prim::FusionGroup"] = (x => (x[0] * 0.5 + x[1]).Tanh().Sigmoid() * x[0], g => [Tensor.Randn([5, 7], DType.Float64, g), Tensor.Randn([7], DType.Float64, g)],
            () => new ElementwiseFusion(CpuBackend.Instance)),
    };

    private static Tensor[] LinearInputs(Generator g) =>
        [Tensor.Randn([3, 4], DType.Float64, g), Tensor.Randn([5, 4], DType.Float64, g), Tensor.Randn([5], DType.Float64, g), Tensor.Randn([3, 5], DType.Float64, g)];

    /// <summary>The recorded graph of <paramref name="f"/> after <paramref name="pass"/> and dce.</summary>
    private static Graph WithPasses(Func<Tensor[], Tensor> f, Tensor[] example, IGraphPass pass)
    {
        var g = Jit.Trace(f, example, new TraceOptions { Optimize = false, CheckTrace = false, Backend = ReferenceBackend.Instance }).RawGraph.Clone();
        pass.Run(g);
        new DeadCodeElimination().Run(g);
        GraphVerifier.Lint(g);
        return g;
    }

    /// <summary>The lecture's models (examples/ and TestModels.cs), with an input maker.</summary>
    private static readonly Dictionary<string, (Func<Generator, Module> Make, Func<Generator, Tensor> Input)> Models = new()
    {
        // 04-NnSequential: Linear, ReLU, Linear.
        ["Sequential"] = (g => new Sequential(new Linear(12, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g)), g => Tensor.Randn([5, 12], generator: g)),
        // 05-CustomModule: TwoLayerNet, linear1 → clamp(min: 0) → linear2.
        ["TwoLayerNet"] = (g => new TwoLayerNet(12, 8, 3, g), g => Tensor.Randn([5, 12], generator: g)),
        // 06-ParallelBlock / 07-Tracing: two ParallelBlocks and a Linear.
        ["ParallelBlock"] = (g => new Sequential(new ParallelBlock(12, 8, g), new ParallelBlock(8, 8, g), new Linear(8, 3, generator: g)), g => Tensor.Randn([5, 12], generator: g)),
        // Attention (nanoGPT's block): views, matmuls, a causal mask, softmax, a residual.
        ["CausalSelfAttention"] = (g => new CausalSelfAttention(8, 2, 6, g), g => Tensor.Randn([2, 5, 8], generator: g)),
    };

    /// <summary>05-CustomModule's two-layer network.</summary>
    private sealed class TwoLayerNet(int dIn, int h, int dOut, Generator g) : Module
    {
        private readonly Linear linear1 = new(dIn, h, generator: g), linear2 = new(h, dOut, generator: g);

        public override Tensor Forward(Tensor x) => linear2.Forward(linear1.Forward(x).Clamp(min: 0));
    }
}
