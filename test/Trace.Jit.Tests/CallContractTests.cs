using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>What a traced call promises: clear errors for wrong calls, a bounded cache, constants that never go stale silently.</summary>
[TestClass]
public class CallContractTests
{
    [TestMethod]
    public void WrongNumbersOfInputsAndNullsAreClearErrors()
    {
        var model = new Sequential(new Linear(4, 2, generator: new Generator(1)));
        var traced = Jit.Trace(model, Tensor.Ones(3, 4));
        var extra = Assert.ThrowsExactly<ArgumentException>(() => traced.Call(Tensor.Ones(3, 4), Tensor.Ones(3, 4)));
        StringAssert.Contains(extra.Message, "traced with 1 input (input); this call passes 2");
        var none = Assert.ThrowsExactly<ArgumentException>(() => traced.Call());
        StringAssert.Contains(none.Message, "this call passes 0");
        var nul = Assert.ThrowsExactly<ArgumentNullException>(() => traced.Forward(null!));
        StringAssert.Contains(nul.Message, "input 0 (input) is null");
        var f = Jit.Trace(x => x[0] + x[1], [Tensor.Ones(2), Tensor.Ones(2)]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => f.Call(Tensor.Ones(2))).Message, "traced with 2 inputs (x0, x1)");
        Assert.ThrowsExactly<ArgumentNullException>(() => Jit.Trace(x => x[0], [null!]));
        Assert.ThrowsExactly<ArgumentNullException>(() => Jit.Trace(model, (Tensor[])null!));
        // Input names become IR value names: one that could not be parsed back is refused up front.
        var named = Assert.ThrowsExactly<ArgumentException>(() => Jit.Trace(x => x[0] * 2.0, [Tensor.Ones(2)], inputNames: ["input ids"]));
        StringAssert.Contains(named.Message, "'input ids' cannot name an IR value");
        Assert.ThrowsExactly<ArgumentException>(() => Jit.Trace(x => x[0] * 2.0, [Tensor.Ones(2)], inputNames: ["a", "b"]));
        StringAssert.Contains(Jit.Trace(x => x[0] * 2.0, [Tensor.Ones(2)], inputNames: ["input_ids"]).Graph.ToString(), "%input_ids");
    }

    private static Tensor Branchy(Tensor x) => x.Sum().Item() > 0 ? x * 2.0 : x - 100.0;

    [TestMethod]
    public void AFullCacheWarnsOnceWithoutValuesAndDoesNotReplayGuardedGraphs()
    {
        var traced = Jit.Trace(Branchy, Tensor.Full([3], 0.5), new TraceOptions { MaxSpecializations = 2 });
        traced.Forward(Tensor.Full([3], -0.25));   // a second specialization: the other branch
        for (int i = 0; i < 5; i++)
        {
            var x = Tensor.Full([3], 1.0 + i);
            int ops = OpCounter.Count(() => traced.Forward(x), out var y);
            TraceAssert.AllClose(Branchy(x), y, 0, 0, $"call {i}");
            // Eagerly: sum and mul — and no replay of cached graphs (each a sum) up to a failing guard first.
            Assert.AreEqual(2, ops, "ops run by the call");
        }
        Assert.AreEqual(1, traced.Warnings.Count);
        Assert.IsFalse(traced.Warnings[0].Contains("1.5", StringComparison.Ordinal) || traced.Warnings[0].Contains("[", StringComparison.Ordinal),
            "the warning must not print tensor values: " + traced.Warnings[0]);
        StringAssert.Contains(traced.ExplainLastRetrace(), "cache is full");
        Assert.AreEqual(2, traced.SpecializationCount);
    }

    [TestMethod]
    public void AFullCacheStillRunsGuardFreeSpecializations()
    {
        static Tensor F(Tensor x) => x.Exp().Mul(2.0).Add(1.0);
        using var noGrad = Autograd.NoGrad();
        var traced = Jit.Trace(F, Tensor.Ones(2), new TraceOptions { MaxSpecializations = 1 });
        Assert.AreEqual(3, OpCounter.Count(() => traced.Forward(Tensor.Ones(5)), out _), "cache full: eager");
        Assert.AreEqual(0, OpCounter.Count(() => traced.Forward(Tensor.Ones(2)), out var y), "the cached graph runs as one fused loop");
        TraceAssert.AllClose(F(Tensor.Ones(2)), y, 0, 0);
    }

    [TestMethod]
    public void ACapturedConstantModifiedAfterTracingRetracesInsteadOfReplayingStaleValues()
    {
        var c = Tensor.From(new float[] { 1, 2, 3 });
        var traced = Jit.Trace((Tensor x) => x + c, Tensor.Ones(3));
        using (Autograd.NoGrad()) c.Mul_(10.0);
        CollectionAssert.AreEqual(new float[] { 11, 21, 31 }, traced.Forward(Tensor.Ones(3)).ToArray<float>());
        StringAssert.Contains(traced.ExplainLastRetrace(), "modified in place since tracing");
        Assert.AreEqual(1, traced.SpecializationCount, "the stale specialization was replaced");
        CollectionAssert.AreEqual(new float[] { 11, 21, 31 }, traced.Forward(Tensor.Ones(3)).ToArray<float>());
    }

    [TestMethod]
    public void CapturedStateTheForwardWritesIsUpdatedByEveryCall()
    {
        // A counter captured by a closure (not a module buffer): eager updates it every call, so must the replay.
        var counter = Tensor.Zeros(2);
        Tensor F(Tensor x)
        {
            using (Autograd.NoGrad()) counter.Add_(x);
            return x * counter;
        }
        var traced = Jit.Trace(F, Tensor.Ones(2));
        CollectionAssert.AreEqual(new float[] { 1, 1 }, counter.ToArray<float>(), "tracing counts as one call");
        var y = traced.Forward(Tensor.Ones(2));
        CollectionAssert.AreEqual(new float[] { 2, 2 }, counter.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 2, 2 }, y.ToArray<float>());
        StringAssert.Contains(traced.Graph.ToString(), "%captured.0");
        // A view of captured state written to in place.
        var state = Tensor.Zeros(4);
        var viewTraced = Jit.Trace((Tensor x) => { using (Autograd.NoGrad()) state.Narrow(0, 1, 2).Add_(x); return x.Mul(2.0); }, Tensor.Ones(2));
        viewTraced.Forward(Tensor.Ones(2));
        CollectionAssert.AreEqual(new float[] { 0, 2, 2, 0 }, state.ToArray<float>());
    }

    [TestMethod]
    public void TemporariesTheForwardCreatesAndWritesStayFreshPerCall()
    {
        static Tensor F(Tensor x)
        {
            var acc = Tensor.Zeros(2);
            acc.Add_(x);
            return acc.Mul(3.0);
        }
        var traced = Jit.Trace(F, Tensor.Ones(2));
        for (int i = 0; i < 3; i++) CollectionAssert.AreEqual(new float[] { 3, 3 }, traced.Forward(Tensor.Ones(2)).ToArray<float>(), $"call {i}");
    }

    [TestMethod]
    public void CrossEntropyStepsWithFreshLabelsReuseOneSpecialization()
    {
        var g = new Generator(9);
        var model = new Sequential(new Linear(6, 16, generator: g), new ReLU(), new Linear(16, 5, generator: g));
        var g2 = new Generator(9);
        var eagerModel = new Sequential(new Linear(6, 16, generator: g2), new ReLU(), new Linear(16, 5, generator: g2));
        Tensor Labels() => Tensor.Randint(0, 5, [8], g);
        var x = Tensor.Randn([8, 6], generator: g);
        var step = Jit.TraceStep(model, (p, t) => Functional.CrossEntropy(p, t), new Adam(model.Parameters(), lr: 1e-2), x, Labels());
        var eagerOpt = new Adam(eagerModel.Parameters(), lr: 1e-2);
        for (int i = 0; i < 12; i++)
        {
            var (xi, yi) = (Tensor.Randn([8, 6], generator: g), Labels());
            var loss = step.Step(xi, yi);
            eagerOpt.ZeroGrad();
            var eagerLoss = Functional.CrossEntropy(eagerModel.Forward(xi), yi);
            eagerLoss.Backward();
            eagerOpt.Step();
            TraceAssert.AllClose(eagerLoss.Detach(), loss, 1e-5, 1e-6, $"loss {i}");
        }
        Assert.AreEqual(1, step.Traced.SpecializationCount, step.Traced.ExplainLastRetrace() ?? "");
        Assert.IsFalse(step.Traced.Graph.ToString().Contains("prim::ValueGuard", StringComparison.Ordinal), "label bounds are not control flow");
        var bad = Tensor.From(new long[] { 0, 1, 2, 3, 4, 5, 0, 1 });
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => step.Step(x, bad));
        StringAssert.Contains(ex.Message, "5");
        StringAssert.Contains(ex.Message, "out of");
    }
}

/// <summary>Counts the ops dispatched on this thread while an action runs (eager ops and interpreted graph nodes alike).</summary>
internal sealed class OpCounter : IOpObserver
{
    private int _ops;

    public static int Count(Func<Tensor> action, out Tensor result)
    {
        var counter = new OpCounter();
        using (Dispatch.Observe(counter)) result = action();
        return counter._ops;
    }

    public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => _ops++;

    public void OnRead(Tensor tensor, string api) { }

    public void OnMutating(Tensor tensor) { }
}
