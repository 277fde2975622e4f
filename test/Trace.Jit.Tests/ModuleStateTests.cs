using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>A module whose forward updates its own buffers in place, as BatchNorm's running statistics do.</summary>
internal sealed class RunningMean : Module
{
    public RunningMean(int features, Generator g)
    {
        Fc = new Linear(features, features, generator: g);
        Mean = RegisterBuffer("running_mean", Tensor.Zeros(features));
        Calls = RegisterBuffer("num_batches_tracked", Tensor.Zeros([1], DType.Int64));
    }

    public Linear Fc { get; }
    public Tensor Mean { get; }
    public Tensor Calls { get; }

    public override Tensor Forward(Tensor x)
    {
        var y = Fc.Forward(x);
        if (IsTraining)
        {
            using (Autograd.NoGrad())
            {
                Mean.Mul_(0.9).Add_(y.Detach().Mean([0]).Mul(0.1));
                Calls.Add_(Tensor.Scalar(1L));
            }
        }
        return y.Sub(Mean);
    }
}

/// <summary>fc(x) ⊙ gain, where gain is a parameter field (Module.Parameter) rather than a registered parameter.</summary>
internal sealed class FieldGain : Module
{
    private readonly Linear _fc;
    private readonly Tensor _gain;

    public FieldGain(Generator g)
    {
        _fc = new Linear(4, 4, generator: g);
        _gain = Parameter(Tensor.Randn([4], generator: g));
    }

    public Tensor Gain => _gain;

    public Linear Fc => _fc;

    public override Tensor Forward(Tensor x) => _fc.Forward(x).Mul(_gain);
}

[TestClass]
public class ModuleStateTests
{
    [TestMethod]
    public void AParameterFieldIsATracedInputReadLiveWithGradients()
    {
        var g = new Generator(21);
        var model = new FieldGain(g);
        var x = Tensor.Randn([3, 4], generator: g);
        var traced = Jit.Trace(model, x);
        CollectionAssert.AreEqual(new[] { "input", "gain", "fc.weight", "fc.bias" }, traced.Graph.Inputs.Select(v => v.Name).ToArray());
        StringAssert.Contains(traced.RawGraph.ToString(), "aten::mul(%0, %gain)");

        var eager = model.Forward(x);
        eager.Sum().Backward();
        var eagerGrad = Snapshot(model.Gain.Grad!);
        model.ZeroGrad();
        var y = traced.Forward(x);
        TraceAssert.AllClose(eager, y, 1e-6, 1e-6, "traced output");
        y.Sum().Backward();
        TraceAssert.AllClose(eagerGrad, model.Gain.Grad!, 1e-6, 1e-6, "gradient reaching the field through the traced graph");

        using (Autograd.NoGrad()) model.Gain.Mul_(-2);   // read live: an update shows without retracing
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 1e-6, 1e-6, "after updating the field parameter");
        Assert.AreEqual(1, traced.SpecializationCount);

        model.Double();   // new dtype: a new specialization over the same (converted) tensors
        var x64 = x.To(DType.Float64);
        TraceAssert.AllClose(model.Forward(x64), traced.Forward(x64), 1e-12, 1e-12, "after Module.Double()");
        Assert.AreEqual(DType.Float64, traced.Forward(x64).DType);
    }

    [TestMethod]
    public void ATracedStepTrainsAParameterField()
    {
        var g = new Generator(22);
        var (eager, model) = (new FieldGain(new Generator(23)), new FieldGain(new Generator(23)));
        var (x, y) = (Tensor.Randn([5, 4], generator: g), Tensor.Randn([5, 4], generator: g));
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), new Optim.SGD(model.Parameters(), lr: 0.1), x, y);
        var opt = new Optim.SGD(eager.Parameters(), lr: 0.1);
        var start = Snapshot(model.Gain);
        for (int i = 0; i < 3; i++)
        {
            step.Step(x, y);
            opt.ZeroGrad();
            Functional.MseLoss(eager.Forward(x), y).Backward();
            opt.Step();
            TraceAssert.AllClose(eager.Gain, model.Gain, 1e-5, 1e-6, $"gain after step {i}");
        }
        Assert.IsFalse(start.AllClose(model.Gain), "the field parameter was trained");
    }

    private sealed class UnmarkedField : Module
    {
        private readonly Tensor _w = Tensor.Ones(4, 4).RequiresGrad_();
        public override Tensor Forward(Tensor x) => x.Matmul(_w);
    }

    [TestMethod]
    public void TracingAModuleWithAnUnmarkedTrainableFieldSaysWhatToDo()
    {
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => Jit.Trace(new UnmarkedField(), Tensor.Ones(2, 4)));
        StringAssert.Contains(ex.Message, "UnmarkedField: field '_w'");
        StringAssert.Contains(ex.Message, "Parameter(tensor)");
    }

    [TestMethod]
    public void EvalModeIsPartOfTheSpecialization()
    {
        var g = new Generator(1);
        var model = new Sequential(new Linear(8, 8, generator: g), new Dropout(0.5, new Generator(2)));
        var x = Tensor.Randn([4, 8], generator: g);
        using var _ = Autograd.NoGrad();
        var traced = Jit.Trace(model, x);
        model.Eval();
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 0, 0, "eval mode: no dropout");
        StringAssert.Contains(traced.ExplainLastRetrace(), "eval mode != traced training mode");
        model.Train();
        var y = traced.Forward(x);
        Assert.IsTrue(y.Eq(0.0).Any().Item<int>() == 1, "training mode again: dropout zeroes some elements");
        model.Eval();
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 0, 0, "eval mode again, from the cache");
        Assert.AreEqual(2, traced.SpecializationCount, "training and eval each traced once");
    }

    [TestMethod]
    public void ASubmodulesModeChangeAloneRetraces()
    {
        var g = new Generator(3);
        var inner = new Dropout(0.9, new Generator(4));
        var model = new Sequential(new Linear(6, 6, generator: g), new Sequential(inner));
        var x = Tensor.Randn([3, 6], generator: g);
        using var _ = Autograd.NoGrad();
        var traced = Jit.Trace(model, x);
        inner.Eval();   // only the nested module changes mode
        TraceAssert.AllClose(model.Forward(x), traced.Forward(x), 0, 0);
        StringAssert.Contains(traced.ExplainLastRetrace(), "module 1.0 (Dropout): eval mode");
    }

    private static Tensor Snapshot(Tensor t)
    {
        using var _ = Autograd.NoGrad();
        return t.Clone();
    }

    [TestMethod]
    public void ForwardBufferUpdatesHappenOncePerCallWithoutGradients()
    {
        var g = new Generator(5);
        var eager = new RunningMean(4, g);
        var model = new RunningMean(4, new Generator(5));
        var x = Tensor.Randn([3, 4], generator: g);
        TracedModule traced;
        using (Autograd.NoGrad())
        {
            eager.Forward(x);
            traced = Jit.Trace(model, x);   // the trace check must neither fail nor update the buffers again
            TraceAssert.AllClose(eager.Mean, model.Mean, 0, 0, "running mean after tracing = after one eager call");
            Assert.AreEqual(1L, model.Calls.Item<long>());
            for (int i = 0; i < 3; i++)
            {
                var e = eager.Forward(x);
                TraceAssert.AllClose(e, traced.Forward(x), 1e-6, 1e-6, $"call {i}");
                TraceAssert.AllClose(eager.Mean, model.Mean, 1e-6, 1e-7, $"running mean after call {i}");
            }
            Assert.AreEqual(4L, model.Calls.Item<long>());
        }
    }

    [TestMethod]
    public void ForwardBufferUpdatesHappenOncePerCallWithCompiledBackward()
    {
        var g = new Generator(6);
        var eager = new RunningMean(4, g);
        var model = new RunningMean(4, new Generator(6));
        var x = Tensor.Randn([3, 4], generator: g);
        eager.Forward(x);
        var traced = Jit.Trace(model, x);
        Assert.IsNotNull(traced.Differentiable, traced.EagerBackwardReason);
        for (int i = 0; i < 3; i++)
        {
            var e = eager.Forward(x);
            var t = traced.Forward(x);
            TraceAssert.AllClose(e, t, 1e-6, 1e-6, $"call {i}");
            t.Sum().Backward();
            e.Sum().Backward();
            TraceAssert.AllClose(eager.Fc.Weight.Grad!, model.Fc.Weight.Grad!, 1e-5, 1e-6, $"weight grad {i}");
            TraceAssert.AllClose(eager.Mean, model.Mean, 1e-6, 1e-7, $"running mean after call {i}");
        }
        Assert.AreEqual(eager.Calls.Item<long>(), model.Calls.Item<long>());
    }

    [TestMethod]
    public void ATracedStepUpdatesForwardBuffersOncePerStep()
    {
        var g = new Generator(8);
        var (eager, model) = (new RunningMean(4, new Generator(8)), new RunningMean(4, new Generator(8)));
        var (x, y) = (Tensor.Randn([5, 4], generator: g), Tensor.Randn([5, 4], generator: g));
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), new Optim.SGD(model.Parameters(), lr: 0.1), x, y);
        var opt = new Optim.SGD(eager.Parameters(), lr: 0.1);
        for (int i = 0; i < 4; i++)
        {
            step.Step(x, y);
            opt.ZeroGrad();
            Functional.MseLoss(eager.Forward(x), y).Backward();
            opt.Step();
            TraceAssert.AllClose(eager.Mean, model.Mean, 1e-5, 1e-6, $"running mean after step {i}");
            TraceAssert.AllClose(eager.Fc.Weight, model.Fc.Weight, 1e-5, 1e-6, $"weight after step {i}");
        }
        Assert.AreEqual(4L, model.Calls.Item<long>());
    }

    /// <summary>A module whose forward mutates its buffer and then depends on .NET state the tracer cannot see.</summary>
    private sealed class Unstable : Module
    {
        private int _calls;

        public Unstable() => State = RegisterBuffer("state", Tensor.Zeros(2));

        public Tensor State { get; }

        public override Tensor Forward(Tensor x)
        {
            using (Autograd.NoGrad()) State.Add_(Tensor.Ones(2));
            return x * (double)(++_calls);   // differs on every run: the trace check fails
        }
    }

    [TestMethod]
    public void AFailedTraceLeavesTheModulesBuffersAsBefore()
    {
        var model = new Unstable();
        Assert.ThrowsExactly<TracingCheckException>(() => Jit.Trace(model, Tensor.Ones(2)));
        TraceAssert.AllClose(Tensor.Zeros(2), model.State, 0, 0, "buffers restored after the failed trace");
    }

    [TestMethod]
    public void ATraceCheckComparesInfinitiesAndNaNsByPosition()
    {
        static Tensor F(Tensor x) => x.MaskedFill(x.Lt(0.0), double.NegativeInfinity).Softmax(-1).Add(x.Log());
        var x = Tensor.From(new float[,] { { 1, -2, 3 }, { -1, -1, 2 } });
        var traced = Jit.Trace(F, x);
        TraceAssert.AllClose(F(x), traced.Forward(x), 0, 0);
        var inf = Tensor.From(new float[] { float.PositiveInfinity, float.NegativeInfinity, 1 });
        var t2 = Jit.Trace((Tensor v) => v.Mul(2.0), inf);
        TraceAssert.AllClose(inf.Mul(2.0), t2.Forward(inf), 0, 0);
    }

    [TestMethod]
    public void ATraceCheckStillCatchesInfinityAgainstAFiniteValue()
    {
        int calls = 0;
        // Traced: finite; the check's eager rerun: +inf (|inf - 1e30| <= rtol * inf must not pass).
        Tensor F(Tensor x) => ++calls == 1 ? x.Mul(1e30) : x.Div(0.0);
        var ex = Assert.ThrowsExactly<TracingCheckException>(() => Jit.Trace(F, Tensor.Ones(2)));
        StringAssert.Contains(ex.Message, "differs");
    }
}
