using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// Nodes with several outputs: IR round trip and lint, the executors, DCE/CSE, the ops that record them
/// (native_layer_norm's (y, mean, rstd), max/min along a dim's (values, indices)) eager vs traced against float64
/// references, and models returning several tensors getting the compiled backward.
/// </summary>
[TestClass]
public class MultiOutputTests
{
    private const string LayerNormIr = """
        graph(%x : Double(2, 3, strides=[3, 1], requires_grad=0, device=cpu),
              %w : Double(3, strides=[1], requires_grad=0, device=cpu),
              %b : Double(3, strides=[1], requires_grad=0, device=cpu)):
          %3 : int = prim::Constant[value=3]()
          %4 : int[] = prim::ListConstruct(%3)
          %5 : float = prim::Constant[value=1e-05]()
          %y : Double(2, 3, strides=[3, 1], requires_grad=0, device=cpu), %mean : Double(2, 1, strides=[1, 1], requires_grad=0, device=cpu), %rstd : Double(2, 1, strides=[1, 1], requires_grad=0, device=cpu) = aten::native_layer_norm(%x, %4, %w, %b, %5)
          return (%y, %mean, %rstd)

        """;

    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, generator: g);

    /// <summary>layer_norm in float64 loops: output, per-row mean and 1/sqrt(biased var + eps).</summary>
    private static (double[] Y, double[] Mean, double[] Rstd) LayerNormReference(double[] x, double[]? w, double[]? b, int rows, int len, double eps)
    {
        var (y, mean, rstd) = (new double[x.Length], new double[rows], new double[rows]);
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < len; i++) m += x[r * len + i];
            m /= len;
            for (int i = 0; i < len; i++) v += (x[r * len + i] - m) * (x[r * len + i] - m);
            double s = 1 / Math.Sqrt(v / len + eps);
            (mean[r], rstd[r]) = (m, s);
            for (int i = 0; i < len; i++) y[r * len + i] = (x[r * len + i] - m) * s * (w?[i] ?? 1) + (b?[i] ?? 0);
        }
        return (y, mean, rstd);
    }

    [TestMethod]
    public void AMultiOutputNodeRoundTripsLintsAndRuns()
    {
        var g = Parser.Parse(LayerNormIr);
        Assert.AreEqual(LayerNormIr, g.ToString());
        GraphVerifier.Lint(g);
        var node = g.Nodes.Single(n => n.Kind == "aten::native_layer_norm");
        CollectionAssert.AreEqual(new[] { "y", "mean", "rstd" }, node.Outputs.Select(o => o.Name).ToArray());
        Assert.IsTrue(node.Outputs.All(o => o.Node == node));
        StringAssert.Contains(CodePrinter.Print(g), "var (y, mean, rstd) = aten.native_layer_norm(x, new[] { 3 }, w, b, 1e-05);");

        var gen = new Generator(3);
        var (x, w, b) = (R(gen, 2, 3), R(gen, 3), R(gen, 3));
        var outs = Interpreter.Run(g, [x, w, b]);
        var (y, mean, rstd) = LayerNormReference(x.ToArray<double>(), w.ToArray<double>(), b.ToArray<double>(), 2, 3, 1e-5);
        TraceAssert.AllClose(Tensor.From(y, [2, 3]), outs[0], 1e-12, 1e-12, "y");
        TraceAssert.AllClose(Tensor.From(mean, [2, 1]), outs[1], 1e-12, 1e-12, "mean");
        TraceAssert.AllClose(Tensor.From(rstd, [2, 1]), outs[2], 1e-12, 1e-12, "rstd");
    }

    [TestMethod]
    public void LintRejectsTheWrongNumberOfOutputs()
    {
        void Rejects(string from, string to, params string[] parts)
        {
            var text = LayerNormIr.Replace(from, to);
            if (!text.Contains("%rstd : ")) text = text.Replace("return (%y, %mean, %rstd)", "return (%y, %mean)");
            Assert.AreNotEqual(LayerNormIr, text, "the edit should change the IR");
            var g = Parser.Parse(text);
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => GraphVerifier.Lint(g));
            foreach (var p in parts) StringAssert.Contains(e.Message, p);
            // The executors refuse the node too (without lint), naming it, rather than failing inside.
            if (!text.Contains("aten::native_layer_norm")) return;
            var run = Assert.ThrowsExactly<InvalidOperationException>(() => Interpreter.Run(g, [Tensor.Zeros([2, 3], DType.Float64), Tensor.Ones([3], DType.Float64), Tensor.Zeros([3], DType.Float64)]));
            StringAssert.Contains(run.Message, "native_layer_norm");
        }
        // Two outputs where native_layer_norm has three.
        Rejects(", %rstd : Double(2, 1, strides=[1, 1], requires_grad=0, device=cpu) = aten", " = aten", "has 2 outputs", "aten::native_layer_norm", "has 3");
        // A one-output op with three outputs.
        Rejects("aten::native_layer_norm(%x, %4, %w, %b, %5)", "aten::exp(%x)", "has 3 outputs", "aten::exp", "has 1");
        // max along a dim has values and indices, not three outputs.
        Rejects("aten::native_layer_norm(%x, %4, %w, %b, %5)", "aten::max(%x, %3, %3)", "has 3 outputs", "aten::max", "1 or 2");
        // Two outputs that share a name.
        Assert.ThrowsExactly<IrParseException>(() => Parser.Parse(LayerNormIr.Replace("%rstd : Double", "%mean : Double")));
    }

    [TestMethod]
    public void DceKeepsANodeWhileAnyOutputIsUsedAndCseMergesAllOutputs()
    {
        // Only rstd is returned: the node stays, because one of its outputs is live.
        var g = Parser.Parse(LayerNormIr.Replace("return (%y, %mean, %rstd)", "return (%rstd)"));
        new DeadCodeElimination().Run(g);
        Assert.AreEqual(1, g.Nodes.Count(n => n.Kind == "aten::native_layer_norm"));
        GraphVerifier.Lint(g);
        // None of its outputs is used: it goes.
        var dead = Parser.Parse(LayerNormIr.Replace("return (%y, %mean, %rstd)", "return (%x)"));
        new DeadCodeElimination().Run(dead);
        Assert.IsFalse(dead.Nodes.Any(n => n.Kind == "aten::native_layer_norm"), dead.ToString());

        // A duplicate node whose second and third outputs are read: CSE maps every output to the first node's.
        const string Stat = "Double(2, 1, strides=[1, 1], requires_grad=0, device=cpu)";
        var twice = Parser.Parse(LayerNormIr.Replace("  return (%y, %mean, %rstd)",
            $"  %y2 : Double(2, 3, strides=[3, 1], requires_grad=0, device=cpu), %mean2 : {Stat}, %rstd2 : {Stat} = aten::native_layer_norm(%x, %4, %w, %b, %5)\n" +
            $"  %m : {Stat} = aten::mul(%mean2, %rstd2)\n" +
            "  return (%y, %m)"));
        GraphVerifier.Lint(twice);
        Assert.IsTrue(new CommonSubexpressionElimination().Run(twice));
        new DeadCodeElimination().Run(twice);
        GraphVerifier.Lint(twice);
        var first = twice.Nodes.Single(n => n.Kind == "aten::native_layer_norm");
        var mul = twice.Nodes.Single(n => n.Kind == "aten::mul");
        CollectionAssert.AreEqual(new[] { first.Outputs[1], first.Outputs[2] }, mul.Inputs);
    }

    [TestMethod]
    public void TheMemoryPlanPlansOnlyTheFirstOutputAndPlannedRunsMatchTheInterpreter()
    {
        const string T = "Double(2, 3, strides=[3, 1], requires_grad=0, device=cpu)";
        var g = Parser.Parse(LayerNormIr.Replace("  return (%y, %mean, %rstd)",
            $"  %e : {T} = aten::exp(%y)\n  %m : {T} = aten::mul(%e, %mean)\n  %s : {T} = aten::mul(%m, %rstd)\n  return (%s)"));
        GraphVerifier.Lint(g);
        var plan = MemoryPlan.Build(g)!;
        Assert.AreEqual(3, plan.PlannedValues, "y, e and m are planned; mean and rstd are not; s is returned");
        var gen = new Generator(31);
        var program = new GraphProgram(g, planMemory: true);
        for (int call = 0; call < 3; call++)
        {
            var inputs = new[] { R(gen, 2, 3), R(gen, 3), R(gen, 3) };
            var (y, mean, rstd) = inputs[0].NativeLayerNorm([3], inputs[1], inputs[2]);
            TraceAssert.AllClose(y.Exp().Mul(mean).Mul(rstd), program.Run(inputs)[0], 1e-12, 1e-12, $"planned call {call}");
        }
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void LayerNormTracedMatchesEagerAndTheFloat64ReferenceForwardAndBackward(DType dtype)
    {
        var gen = new Generator(7);
        var x = Tensor.Randn([4, 5, 6], dtype, generator: gen).Mul(3).Add(2).RequiresGrad_();
        var w = Tensor.Randn([5, 6], dtype, generator: gen).RequiresGrad_();
        var b = Tensor.Randn([5, 6], dtype, generator: gen).RequiresGrad_();
        var weights = Tensor.Randn([4, 5, 6], dtype, generator: gen);
        Tensor[] F(Tensor[] v)
        {
            var (y, mean, rstd) = v[0].NativeLayerNorm([5, 6], v[1], v[2]);
            return [y, mean, rstd];
        }
        var traced = Jit.Trace(F, [x, w, b]);
        Assert.IsNotNull(traced.Differentiable, traced.EagerBackwardReason);
        var outs = traced.Call(x, w, b);
        CollectionAssert.AreEqual(new[] { 4, 1, 1 }, outs[1].Shape.ToArray(), "mean keeps the leading dims, normalized dims of size 1");
        Assert.AreEqual(dtype, outs[1].DType);
        Assert.AreEqual(dtype, outs[2].DType);
        Assert.IsFalse(outs[1].RequiresGrad || outs[2].RequiresGrad, "mean and rstd are not differentiable");

        var (ry, rmean, rrstd) = LayerNormReference(x.To(DType.Float64).ToArray<double>(), w.To(DType.Float64).ToArray<double>(), b.To(DType.Float64).ToArray<double>(), 4, 30, 1e-5);
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        TraceAssert.AllClose(Tensor.From(ry, [4, 5, 6]), outs[0].To(DType.Float64), tol, tol, "y vs reference");
        TraceAssert.AllClose(Tensor.From(rmean, [4, 1, 1]), outs[1].To(DType.Float64), tol, tol, "mean vs reference");
        TraceAssert.AllClose(Tensor.From(rrstd, [4, 1, 1]), outs[2].To(DType.Float64), tol, tol, "rstd vs reference");

        // Gradients of the compiled backward vs the eager tape, and (float64) vs finite differences.
        (outs[0] * weights).Sum().Backward();
        var compiled = new[] { x.Grad!, w.Grad!, b.Grad! };
        Assert.AreEqual("prim::DifferentiableGraphOutput", outs[0].GradFn?.Name, "the call ran the compiled graphs");
        foreach (var t in new[] { x, w, b }) t.Grad = null;
        (x.NativeLayerNorm([5, 6], w, b).Output * weights).Sum().Backward();
        var names = new[] { "x", "weight", "bias" };
        var eager = new[] { x.Grad!, w.Grad!, b.Grad! };
        for (int i = 0; i < 3; i++) TraceAssert.AllClose(eager[i], compiled[i], tol * 10, tol * 10, $"grad of {names[i]}");
        if (dtype == DType.Float64)
            TraceAssert.GradCheck(v => traced.Call(v)[0].Mul(weights).Sum(), [x.Detach().RequiresGrad_(), w.Detach().RequiresGrad_(), b.Detach().RequiresGrad_()]);
    }

    [TestMethod]
    public void TheTracedLayerNormBackwardReadsTheSavedStatisticsInsteadOfRecomputingThem()
    {
        var gen = new Generator(11);
        var x = R(gen, 3, 8).RequiresGrad_();
        var w = R(gen, 8).RequiresGrad_();
        var traced = Jit.Trace(v => v[0].LayerNorm([8], v[1]).Tanh().Sum(), [x, w]);
        var diff = traced.Differentiable ?? throw new AssertFailedException(traced.EagerBackwardReason ?? "no compiled backward");
        var node = diff.Forward.Nodes.Single(n => n.Kind == "aten::native_layer_norm");
        Assert.AreEqual(3, node.Outputs.Count);
        var backward = diff.Backward.ToString();
        // The statistics come in as saved forward outputs; nothing in the backward derives them again from x.
        var saved = diff.Backward.Inputs.Select(i => i.Name).ToHashSet();
        Assert.IsTrue(saved.Contains(node.Outputs[1].Name) && saved.Contains(node.Outputs[2].Name), backward);
        foreach (var op in new[] { "aten::rsqrt", "aten::square", "aten::var", "aten::native_layer_norm" })
            Assert.IsFalse(backward.Contains(op + "("), $"the backward recomputes the statistics ({op}):\n{backward}");
        // And its gradients are the eager ones.
        var y = traced.Call(x, w)[0];
        y.Backward();
        var (gx, gw) = (x.Grad!, w.Grad!);
        (x.Grad, w.Grad) = (null, null);
        x.LayerNorm([8], w).Tanh().Sum().Backward();
        TraceAssert.AllClose(x.Grad!, gx, 1e-10, 1e-12, "grad of x");
        TraceAssert.AllClose(w.Grad!, gw, 1e-10, 1e-12, "grad of weight");
    }

    [TestMethod]
    [DataRow(true, false)]
    [DataRow(true, true)]
    [DataRow(false, false)]
    [DataRow(false, true)]
    public void MaxAndMinAlongADimRecordOneNodeWithValuesAndIndices(bool max, bool keepdim)
    {
        var gen = new Generator(13);
        var x = R(gen, 4, 5).RequiresGrad_();
        Tensor[] F(Tensor[] v)
        {
            var r = max ? v[0].Max(1, keepdim) : v[0].Min(1, keepdim);
            return [r.Values, r.Indices];
        }
        var traced = Jit.Trace(F, [x]);
        string kind = max ? "aten::max" : "aten::min";
        var node = traced.RawGraph.Nodes.Single(n => n.Kind == kind);
        Assert.AreEqual(2, node.Outputs.Count, traced.RawGraph.ToString());
        Assert.IsFalse(traced.RawGraph.Nodes.Any(n => n.Kind is "aten::argmax" or "aten::argmin"), traced.RawGraph.ToString());
        CollectionAssert.AreEqual(new[] { 0 }, traced.Differentiable!.GradOutputs.ToArray(), "only the values are differentiable");

        var fresh = R(gen, 4, 5).RequiresGrad_();
        var outs = traced.Call(fresh);
        var data = fresh.ToArray<double>();
        var (values, indices) = (new double[4], new long[4]);
        for (int r = 0; r < 4; r++)
        {
            int best = 0;
            for (int c = 1; c < 5; c++)
                if (max ? data[r * 5 + c] > data[r * 5 + best] : data[r * 5 + c] < data[r * 5 + best]) best = c;
            (values[r], indices[r]) = (data[r * 5 + best], best);
        }
        int[] shape = keepdim ? [4, 1] : [4];
        TraceAssert.AllClose(Tensor.From(values, shape), outs[0], 0, 0, "values");
        Assert.AreEqual(DType.Int64, outs[1].DType);
        CollectionAssert.AreEqual(indices, outs[1].ToArray<long>(), "indices");
        CollectionAssert.AreEqual(shape, outs[1].Shape.ToArray());

        // The gradient reaches the selected element of each row, as eagerly.
        var weights = R(gen, shape);
        (outs[0] * weights).Sum().Backward();
        var expected = new double[20];
        var wd = weights.ToArray<double>();
        for (int r = 0; r < 4; r++) expected[r * 5 + indices[r]] = wd[r];
        TraceAssert.AllClose(Tensor.From(expected, [4, 5]), fresh.Grad!, 0, 0, "gradient through the values");
    }

    [TestMethod]
    public void ATwoOutputModelGetsTheCompiledBackwardWithEagerGradients()
    {
        var gen = new Generator(17);
        var w = R(gen, 6, 4).RequiresGrad_();
        Tensor[] Model(Tensor[] v)
        {
            var h = v[0].Matmul(w).Tanh();
            return [h, h.Exp().Sum(1)];
        }
        var x = R(gen, 3, 6).RequiresGrad_();
        var traced = Jit.Trace(Model, [x]);
        Assert.IsNull(traced.EagerBackwardReason);
        var diff = traced.Differentiable ?? throw new AssertFailedException("no compiled backward");
        Assert.AreEqual(2, diff.ForwardOutputs);
        CollectionAssert.AreEqual(new[] { 0, 1 }, diff.GradOutputs.ToArray());

        var g0 = R(gen, 3, 4);
        var g1 = R(gen, 3);
        // Both outputs feed the loss; then only the first (the second's gradient is undefined: zeros); then only the second.
        foreach (var (use0, use1) in new[] { (true, true), (true, false), (false, true) })
        {
            var fresh = R(gen, 3, 6);
            Tensor Loss(Tensor[] o) => (use0 ? (o[0] * g0).Sum() : Tensor.Zeros([], DType.Float64)) + (use1 ? (o[1] * g1).Sum() : Tensor.Zeros([], DType.Float64));
            var (xe, xt) = (fresh.Clone().RequiresGrad_(), fresh.Clone().RequiresGrad_());
            w.Grad = null;
            var eagerOut = Model([xe]);
            Loss(eagerOut).Backward();
            var eagerW = w.Grad!;
            w.Grad = null;
            var outs = traced.Call(xt);
            Assert.AreEqual(1, traced.SpecializationCount);
            Assert.AreEqual("prim::DifferentiableGraphOutput", outs[0].GradFn?.Name, "the call ran the compiled graphs");
            Assert.AreEqual("prim::DifferentiableGraphOutput", outs[1].GradFn?.Name);
            TraceAssert.AllClose(eagerOut[0], outs[0], 1e-12, 1e-12, "output 0");
            TraceAssert.AllClose(eagerOut[1], outs[1], 1e-12, 1e-12, "output 1");
            Loss(outs).Backward();
            TraceAssert.AllClose(xe.Grad!, xt.Grad!, 1e-10, 1e-12, $"grad of x (outputs used: {use0}, {use1})");
            TraceAssert.AllClose(eagerW, w.Grad!, 1e-10, 1e-12, $"grad of w (outputs used: {use0}, {use1})");
        }
        // Finite differences through both outputs of the compiled call.
        TraceAssert.GradCheck(v => { var o = traced.Call(v); return (o[0] * g0).Sum() + (o[1] * g1).Sum(); }, [R(gen, 3, 6).RequiresGrad_()]);
    }

    [TestMethod]
    public void ATracedTwoOutputModelCalledInsideAnotherTraceIsReplayed()
    {
        var gen = new Generator(37);
        var w = R(gen, 4).RequiresGrad_();
        var inner = Jit.Trace((Tensor[] v) => new[] { v[0].Mul(w).Tanh(), v[0].Exp() }, [R(gen, 4).RequiresGrad_()]);
        Tensor Outer(Tensor[] v)
        {
            var o = inner.Call(v);
            return o[0].Sum() + o[1].Mul(3.0).Sum();
        }
        var outer = Jit.Trace(Outer, [R(gen, 4).RequiresGrad_()]);
        var fresh = R(gen, 4);
        var (xe, xt) = (fresh.Clone().RequiresGrad_(), fresh.Clone().RequiresGrad_());
        var ye = xe.Mul(w).Tanh().Sum() + xe.Exp().Mul(3.0).Sum();
        var yt = outer.Call(xt)[0];
        TraceAssert.AllClose(ye, yt, 1e-12, 1e-12, "the outer trace recomputes the inner call on fresh inputs");
        ye.Backward();
        yt.Backward();
        TraceAssert.AllClose(xe.Grad!, xt.Grad!, 1e-10, 1e-12, "gradient through the outer and inner traces");
        Assert.AreEqual(2, outer.RawGraph.Nodes.Count(n => n.Kind == "trace::differentiable_graph"), outer.RawGraph.ToString());
    }

    [TestMethod]
    public void OutputsOfDifferentDtypesFallBackToTheTapeAndSayWhy()
    {
        var a = Tensor.Randn([3], generator: new Generator(19)).RequiresGrad_();
        var two = Jit.Trace((Tensor[] x) => new[] { x[0] * 2.0, x[0].Exp().To(DType.Float64) }, new[] { a });
        Assert.IsNull(two.Differentiable);
        StringAssert.Contains(two.EagerBackwardReason, "different dtypes");
        var outs = two.Call(a);
        (outs[0].Sum() + outs[1].Sum()).Backward();
        TraceAssert.AllClose(a.Exp().Add(2.0).Detach(), a.Grad!, what: "gradient through the tape");
    }
}
