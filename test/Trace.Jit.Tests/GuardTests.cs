using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Testing;

namespace Trace.Jit.Tests;

[TestClass]
public class GuardTests
{
    /// <summary>Python control flow on a tensor value: the kind of model torch.jit.trace silently gets wrong.</summary>
    private static Tensor Branchy(Tensor x) => x.Sum().Item() > 0 ? x * 2.0 : x - 100.0;

    [TestMethod]
    public void ABranchOnAValueReadIntoDotNetNeverReplaysTheWrongPath()
    {
        var pos = Tensor.From(new float[] { 1, 2, 3 });
        var neg = Tensor.From(new float[] { -1, -2, -3 });
        var traced = Jit.Trace(Branchy, pos);
        StringAssert.Contains(traced.Graph.ToString(), "prim::ValueGuard");
        TraceAssert.AllClose(Branchy(neg), traced.Forward(neg), 0, 0, "negative input takes the other branch");
        Assert.IsNotNull(traced.ExplainLastRetrace());
        StringAssert.Contains(traced.ExplainLastRetrace(), "value guard");
        TraceAssert.AllClose(Branchy(pos), traced.Forward(pos), 0, 0, "positive again");
    }

    [TestMethod]
    public void BoolReadsGuardTheBranchNotTheExactValue()
    {
        // Reading a comparison (a bool) guards only the branch: new positive inputs reuse the trace.
        static Tensor F(Tensor x) => (x.Sum() > 0).Item<int>() == 1 ? x * 2.0 : x - 100.0;
        var traced = Jit.Trace(F, Tensor.From(new float[] { 1, 2 }));
        traced.Forward(Tensor.From(new float[] { 5, 7 }));
        Assert.AreEqual(1, traced.SpecializationCount);
        TraceAssert.AllClose(F(Tensor.From(new float[] { -5, 1 })), traced.Forward(Tensor.From(new float[] { -5, 1 })), 0, 0);
        Assert.AreEqual(2, traced.SpecializationCount);
    }

    [TestMethod]
    public void StrictModeRejectsADivergingCall()
    {
        var traced = Jit.Trace(Branchy, Tensor.Ones(3), new TraceOptions { Strict = true });
        var ex = Assert.ThrowsExactly<GuardFailedException>(() => traced.Forward(Tensor.Ones(3).Neg()));
        StringAssert.Contains(ex.Message, "value guard");
        StringAssert.Contains(ex.Message, "[3.]");
        StringAssert.Contains(ex.Message, "[-3.]");
    }
}
