using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Core.Tests;

[TestClass]
public class ReliabilityTests
{
    /// <summary>
    /// 10,000 Adam steps of the W2 model (64×1000 → 100 → 10, ReLU, MSE): the graph of each step must be
    /// released, so managed memory after a full GC stays flat between step 1,000 and step 10,000.
    /// </summary>
    [TestMethod]
    [TestCategory("Slow")]
    [DoNotParallelize]
    public void LongTrainingLoopKeepsManagedMemoryFlat()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([64, 1000], generator: g);
        var y = Tensor.Randn([64, 10], generator: g);
        var model = new Sequential(new Linear(1000, 100, generator: g), new ReLU(), new Linear(100, 10, generator: g));
        var opt = new Adam(model.Parameters(), lr: 1e-4);
        long baseline = 0;
        double firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 10_000; step++)
        {
            var loss = Functional.MseLoss(model.Forward(x), y);
            if (step == 0) firstLoss = loss.Item();
            loss.Backward();
            opt.Step();
            opt.ZeroGrad();
            if (step == 999) baseline = SettledMemory();
            if (step == 9_999) lastLoss = loss.Item();
        }
        long end = SettledMemory();
        Assert.IsTrue(lastLoss < firstLoss * 0.1, $"training should still make progress: {firstLoss} -> {lastLoss}");
        // Allow 2 MB of noise (JIT, thread pool); a leaked graph per step would grow by hundreds of MB.
        Assert.IsTrue(end - baseline < 2_000_000, $"managed memory grew from {baseline:N0} to {end:N0} bytes over 9,000 steps");
    }

    private static long SettledMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
