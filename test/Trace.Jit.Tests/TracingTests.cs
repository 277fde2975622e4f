using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

[TestClass]
public class TracingTests
{
    private static Sequential TwoLayer(Generator g) => new(new Linear(20, 8, generator: g), new ReLU(), new Linear(8, 3, generator: g));

    [TestMethod]
    public void ParametersBecomeNamedGraphInputs()
    {
        var g = new Generator(1);
        var traced = Jit.Trace(TwoLayer(g), Tensor.Randn([4, 20], generator: g));
        CollectionAssert.AreEqual(new[] { "input", "0.weight", "0.bias", "2.weight", "2.bias" }, traced.Graph.Inputs.Select(v => v.Name).ToArray());
        StringAssert.Contains(traced.RawGraph.ToString(), "aten::linear(%input, %0.weight, %0.bias)");
        StringAssert.Contains(traced.RawGraph.ToString(), "Float(4, 8, strides=[8, 1], requires_grad=1, device=cpu) = aten::relu");
        // After the passes the relu runs inside the first linear's GEMM.
        StringAssert.Contains(traced.Graph.ToString(), "Float(4, 8, strides=[8, 1], requires_grad=1, device=cpu) = trace::linear_relu(%input, %0.weight, %0.bias)");
        StringAssert.Contains(traced.Code, "trace.linear_relu(input, t0_weight, t0_bias)");
    }

    [TestMethod]
    public void LectureModelsMatchEagerOnFreshInputsWithGradients()
    {
        var g = new Generator(2);
        var fresh = Enumerable.Range(0, 3).Select(_ => Tensor.Randn([4, 20], generator: g)).ToList();
        TraceAssert.TracedMatchesEager(TwoLayer(g), Tensor.Randn([4, 20], generator: g), fresh);
        var parallel = new Sequential(new ParallelBlock(20, 8, g), new ParallelBlock(8, 8, g), new Linear(8, 3, generator: g));
        TraceAssert.TracedMatchesEager(parallel, Tensor.Randn([4, 20], generator: g), fresh);
        var gpt = new Sequential(new LayerNorm(20), new Linear(20, 40, generator: g), new GELU(), new Linear(40, 20, generator: g), new Softmax(-1));
        TraceAssert.TracedMatchesEager(gpt, Tensor.Randn([2, 3, 20], generator: g), [Tensor.Randn([2, 3, 20], generator: g)], rtol: 1e-4, atol: 1e-6);
    }

    [TestMethod]
    public void TracedModuleReadsParametersLiveAndTrains()
    {
        var g = new Generator(3);
        var model = TwoLayer(g);
        var x = Tensor.Randn([16, 20], generator: g);
        var y = Tensor.Randn([16, 3], generator: g);
        var traced = Jit.Trace(model, x);
        var opt = new SGD(model.Parameters(), lr: 0.1);
        double first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            var loss = Functional.MseLoss(traced.Forward(x), y);
            if (step == 0) first = loss.Item();
            last = loss.Item();
            loss.Backward();       // gradients flow through the traced call into the parameters
            opt.Step();
            opt.ZeroGrad();
        }
        Assert.IsTrue(last < first * 0.7, $"training through the traced module: {first} -> {last}");
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-6, 1e-7, "after 20 optimizer steps");
        Assert.AreEqual(1, traced.SpecializationCount, "parameter updates do not retrace");
    }

    [TestMethod]
    public void NewShapesRetraceAndSayWhy()
    {
        var g = new Generator(4);
        var model = TwoLayer(g);
        var traced = Jit.Trace(model, Tensor.Randn([64, 20], generator: g));
        Assert.IsNull(traced.ExplainLastRetrace());
        var x32 = Tensor.Randn([32, 20], generator: g);
        TraceAssert.AllClose(model.Forward(x32), traced.Forward(x32));
        Assert.AreEqual("input 0 (input): shape (32, 20) != traced (64, 20)", traced.ExplainLastRetrace());
        Assert.AreEqual(2, traced.SpecializationCount);
        traced.Forward(Tensor.Randn([64, 20], generator: g));
        traced.Forward(Tensor.Randn([32, 20], generator: g));
        Assert.AreEqual(2, traced.SpecializationCount, "both specializations are cached");
        traced.Forward(Tensor.Randn([32, 20], DType.Float64, g).To(DType.Float32).Detach().RequiresGrad_());
        StringAssert.Contains(traced.ExplainLastRetrace(), "requires_grad True != traced False");
    }

    [TestMethod]
    public void PastTheCacheBoundCallsRunEagerlyWithAWarning()
    {
        var traced = Jit.Trace((Tensor x) => x * 2.0, Tensor.Ones(1), new TraceOptions { MaxSpecializations = 2 });
        traced.Forward(Tensor.Ones(2));
        var r = traced.Forward(Tensor.Ones(3));
        CollectionAssert.AreEqual(new float[] { 2, 2, 2 }, r.ToArray<float>());
        Assert.AreEqual(2, traced.SpecializationCount);
        Assert.AreEqual(1, traced.Warnings.Count);
        StringAssert.Contains(traced.Warnings[0], "run eagerly from now on");
    }

    [TestMethod]
    public void CapturedParametersStayLiveAndCapturedDataIsConstant()
    {
        var w = Tensor.Ones(3).RequiresGrad_();
        var c = Tensor.From(new float[] { 1, 2, 3 });
        var traced = Jit.Trace((Tensor x) => x * w + c, Tensor.Ones(3));
        StringAssert.Contains(traced.Graph.ToString(), "%captured.0");
        using (Autograd.NoGrad()) w.Mul_(10.0);
        CollectionAssert.AreEqual(new float[] { 11, 12, 13 }, traced.Forward(Tensor.Ones(3)).ToArray<float>());
    }

    [TestMethod]
    public void TraceCheckCatchesHiddenDotNetState()
    {
        int calls = 0;
        // The multiplier comes from .NET state that changes per call: the trace freezes it; the check notices.
        var ex = Assert.ThrowsExactly<TracingCheckException>(() => Jit.Trace((Tensor x) => x * (double)++calls, Tensor.Ones(3)));
        StringAssert.Contains(ex.Message, "differs");
        StringAssert.Contains(ex.Message, "aten::mul");
        var ok = Jit.Trace((Tensor x) => x * 3.0, Tensor.Ones(2), new TraceOptions { CheckInputs = [[Tensor.Zeros(2)]] });
        Assert.AreEqual(1, ok.SpecializationCount);
    }

    [TestMethod]
    public void RandomOpsAreRecordedNotFrozen()
    {
        var drop = new Dropout(0.5, new Generator(5));
        var traced = Jit.Trace(drop, Tensor.Ones(1000));
        StringAssert.Contains(traced.Graph.ToString(), "aten::rand(");
        var a = traced.Forward(Tensor.Ones(1000)).ToArray<float>();
        var b = traced.Forward(Tensor.Ones(1000)).ToArray<float>();
        CollectionAssert.AreNotEqual(a, b, "each call draws a new mask");
        Assert.AreEqual(500, a.Count(v => v == 0), 60);
        // Replays draw from the layer's own generator: the same sequence as an eager twin with the same seed.
        var twin = new Dropout(0.5, new Generator(5));
        twin.Forward(Tensor.Ones(1000));                    // the tracing run's draw
        CollectionAssert.AreEqual(twin.Forward(Tensor.Ones(1000)).ToArray<float>(), a);
        CollectionAssert.AreEqual(twin.Forward(Tensor.Ones(1000)).ToArray<float>(), b);
    }

    [TestMethod]
    public void EveryTracedGraphRoundTripsThroughText()
    {
        var g = new Generator(6);
        var graphs = new List<Graph>
        {
            Jit.Trace(TwoLayer(g), Tensor.Randn([4, 20], generator: g)).RawGraph,
            Jit.Trace((Tensor x) => (x * 0.5 + 1.0).Tanh().Softmax(-1).Sum([0], keepdim: true), Tensor.Randn([3, 4], generator: g)).RawGraph,
            Jit.Trace((Tensor x) => x.T.Reshape(2, 6).Narrow(1, 1, 3).Gelu(GeluApproximation.Tanh).Clamp(-1, null), Tensor.Randn([6, 2], generator: g)).RawGraph,
            Jit.Trace((Tensor[] x) => Tensor.Cat([x[0], x[1]], 1).LayerNorm([5]).MaskedFill(x[0].Sum(1, keepdim: true) > 0, 0), [Tensor.Randn([2, 2], generator: g), Tensor.Randn([2, 3], generator: g)]).RawGraph,
        };
        foreach (var graph in graphs)
        {
            var text = graph.ToString();
            Assert.AreEqual(text, Parser.Parse(text, graph.TensorConstants).ToString());
        }
    }

    [TestMethod]
    public void InPlaceOpsOnCapturedConstantsDoNotLeakAcrossCalls()
    {
        var c = Tensor.From(new float[] { 1, 2 });
        // The captured tensor is cloned inside, then modified in place: every call must see the original values.
        var traced = Jit.Trace((Tensor x) => c.Clone().Add_(1.0) * x, Tensor.Ones(2));
        traced.Forward(Tensor.Ones(2));
        CollectionAssert.AreEqual(new float[] { 2, 3 }, traced.Forward(Tensor.Ones(2)).ToArray<float>());
        var direct = Jit.Trace((Tensor x) => x * Tensor.From(new float[] { 1, 2 }).Mul_(2.0), Tensor.Ones(2), new TraceOptions { Optimize = false });
        direct.Forward(Tensor.Ones(2));
        CollectionAssert.AreEqual(new float[] { 2, 4 }, direct.Forward(Tensor.Ones(2)).ToArray<float>());
    }

    private sealed class Scale : Module
    {
        public Scale() => RegisterParameter("w", Tensor.Full([3], 2.0));

        public void Replace(Tensor w) => RegisterParameter("w", w);

        public override Tensor Forward(Tensor x) => x * NamedParameters().Single().Parameter;
    }

    [TestMethod]
    public void AParameterRegisteredAgainAfterTracingIsRead()
    {
        var m = new Scale();
        var traced = Jit.Trace(m, Tensor.Ones(3));
        using var _ = Autograd.NoGrad();
        TraceAssert.AllClose(Tensor.Full([3], 2.0f), traced.Forward(Tensor.Ones(3)), what: "before");
        m.Replace(Tensor.Full([3], 5.0));
        TraceAssert.AllClose(Tensor.Full([3], 5.0f), traced.Forward(Tensor.Ones(3)), what: "the new parameter is the graph input");
    }
}
