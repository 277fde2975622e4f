using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Testing;

namespace Trace.Jit.Tests;

/// <summary>
/// What tracing does not guard, as the README states it: .NET control flow on values that are not tensor reads is
/// recorded as the path it took. These tests pin that limit and the documented remedies.
/// </summary>
[TestClass]
public class UnguardedControlFlowTests
{
    private sealed class Flagged : Module
    {
        public bool DoubleIt = true;

        public override Tensor Forward(Tensor x) => DoubleIt ? x * 2.0 : x - 100.0;
    }

    [TestMethod]
    public void ABranchOnAFieldChangedAfterTracingReplaysTheTracedPath()
    {
        var model = new Flagged();
        var traced = Jit.Trace(model, Tensor.Ones(3));
        model.DoubleIt = false;
        var eager = model.Forward(Tensor.Ones(3)).ToArray<float>();
        var replay = traced.Forward(Tensor.Ones(3)).ToArray<float>();
        CollectionAssert.AreEqual(new float[] { -99, -99, -99 }, eager);
        CollectionAssert.AreEqual(new float[] { 2, 2, 2 }, replay, "the field is not guarded: the traced branch is replayed");
        Assert.AreEqual(1, traced.SpecializationCount);
        Assert.IsNull(traced.ExplainLastRetrace());
    }

    [TestMethod]
    public void ThatFieldAsATensorInputReadWithItemIsGuarded()
    {
        // The remedy: pass the switch as a tensor and read it with Item(): the read becomes a value guard.
        static Tensor F(Tensor[] v) => v[1].Item() != 0 ? v[0] * 2.0 : v[0] - 100.0;
        var on = Tensor.From(new float[] { 1 });
        var off = Tensor.From(new float[] { 0 });
        var traced = Jit.Trace(F, [Tensor.Ones(3), on]);
        TraceAssert.AllClose(F([Tensor.Ones(3), off]), traced.Call(Tensor.Ones(3), off)[0], 0, 0, "switched off");
        StringAssert.Contains(traced.ExplainLastRetrace(), "value guard");
        TraceAssert.AllClose(F([Tensor.Ones(3), on]), traced.Call(Tensor.Ones(3), on)[0], 0, 0, "switched on again");
        Assert.AreEqual(2, traced.SpecializationCount);
    }

    [TestMethod]
    public void ACounterThatChangesOnlyBetweenCallsIsNotSeenButOneThatChangesPerCallFailsTheTraceCheck()
    {
        // A counter bumped outside the traced code: the trace and its check see the same value, the replay keeps it.
        int epoch = 1;
        var traced = Jit.Trace((Tensor x) => x * (double)epoch, Tensor.Ones(2));
        epoch = 5;
        CollectionAssert.AreEqual(new float[] { 1, 1 }, traced.Forward(Tensor.Ones(2)).ToArray<float>(), "frozen at the traced value");
        // A counter bumped inside the traced code differs between the tracing run and the check's rerun: caught.
        int calls = 0;
        Assert.ThrowsExactly<TracingCheckException>(() => Jit.Trace((Tensor x) => x * (double)++calls, Tensor.Ones(2)));
    }

    [TestMethod]
    public void ARetraceAfterTheSwitchChangesFollowsTheNewPath()
    {
        // The other remedy: trace again (one traced module per setting) after changing what the .NET code branches on.
        var model = new Flagged();
        var doubled = Jit.Trace(model, Tensor.Ones(3));
        model.DoubleIt = false;
        var shifted = Jit.Trace(model, Tensor.Ones(3));
        CollectionAssert.AreEqual(new float[] { -99, -99, -99 }, shifted.Forward(Tensor.Ones(3)).ToArray<float>());
        model.DoubleIt = true;
        CollectionAssert.AreEqual(new float[] { 2, 2, 2 }, doubled.Forward(Tensor.Ones(3)).ToArray<float>());
    }

    [TestMethod]
    public void AFloatReadGuardsItsExactValueAndABoolReadOnlyTheBranch()
    {
        // Item() of a float guards that value: another positive sum takes the same branch but still retraces.
        static Tensor ByValue(Tensor x) => x.Sum().Item() > 0 ? x * 2.0 : x - 100.0;
        var traced = Jit.Trace(ByValue, Tensor.From(new float[] { 1, 2 }));
        TraceAssert.AllClose(ByValue(Tensor.From(new float[] { 4, 5 })), traced.Forward(Tensor.From(new float[] { 4, 5 })), 0, 0);
        Assert.AreEqual(2, traced.SpecializationCount);
        // Reading the comparison instead guards only its outcome.
        static Tensor ByBranch(Tensor x) => (x.Sum() > 0).Item<int>() == 1 ? x * 2.0 : x - 100.0;
        var branch = Jit.Trace(ByBranch, Tensor.From(new float[] { 1, 2 }));
        branch.Forward(Tensor.From(new float[] { 4, 5 }));
        Assert.AreEqual(1, branch.SpecializationCount);
    }

    [TestMethod]
    public void ReadsThatBypassItemToArrayAndAllCloseAreNotGuarded()
    {
        // The raw storage array is not a tracked read: a branch on it is frozen like a .NET field.
        static Tensor F(Tensor x) => ((CpuStorage<float>)x.Storage).Data[x.StorageOffset] > 0 ? x * 2.0 : x - 100.0;
        var traced = Jit.Trace(F, Tensor.Ones(2));
        var neg = Tensor.Ones(2).Neg();
        CollectionAssert.AreEqual(new float[] { -101, -101 }, F(neg).ToArray<float>());
        CollectionAssert.AreEqual(new float[] { -2, -2 }, traced.Forward(neg).ToArray<float>(), "replays the traced branch");
    }
}
