using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Optim;

namespace Trace.Core.Tests;

/// <summary>
/// ReduceLROnPlateau: a worked sequence for cooldown and the bad-epoch reset, eps and min_lr, then random metric
/// sequences in every mode against a reference loop written from PyTorch's documented rule, and its argument checks.
/// </summary>
[TestClass]
public class PlateauSchedulerTests
{
    private static Tensor Param(params double[] v) => Tensor.From(v).RequiresGrad_();

    [TestMethod]
    public void CooldownForgetsBadEpochsAndAReductionResetsTheCount()
    {
        var opt = new SGD([Param(1)], lr: 1);
        var sched = new ReduceLROnPlateau(opt, factor: 0.1, patience: 1, threshold: 0, thresholdMode: "abs", cooldown: 2);
        // Worked by hand from the rule (patience 1: the second bad epoch in a row reduces; cooldown 2 forgets two epochs):
        //  metric 5: best, bad 0 | 6: bad 1 | 6: bad 2 > 1 → lr 0.1, cooldown 2, bad 0 | 7: bad 1, cooldown → 1, bad 0
        //  7: bad 1, cooldown → 0, bad 0 | 7: bad 1 | 7: bad 2 → lr 0.01, cooldown 2 | 4: best, bad 0, cooldown → 1
        double[] metrics = [5, 6, 6, 7, 7, 7, 7, 4];
        double[] lrs = [1, 1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01];
        int[] bad = [0, 1, 0, 0, 0, 1, 0, 0];
        int[] cooldown = [0, 0, 2, 1, 0, 0, 2, 1];
        for (int e = 0; e < metrics.Length; e++)
        {
            sched.Step(metrics[e]);
            Assert.AreEqual(lrs[e], opt.ParamGroups[0].Lr, 1e-17, $"epoch {e + 1} lr");
            Assert.AreEqual(lrs[e], sched.LastLr[0], 1e-17, $"epoch {e + 1} LastLr");
            Assert.AreEqual(bad[e], sched.NumBadEpochs, $"epoch {e + 1} num_bad_epochs");
            Assert.AreEqual(cooldown[e], sched.CooldownCounter, $"epoch {e + 1} cooldown");
            Assert.AreEqual(e + 1, sched.LastEpoch);
        }
        Assert.AreEqual(4.0, sched.Best);
        Assert.IsTrue(sched.InCooldown);
    }

    [TestMethod]
    public void MinLrBoundsAndEpsSkipsTinyReductions()
    {
        var opt = new SGD([new ParamGroup([Param(1)]), new ParamGroup([Param(2)]) { Lr = 1e-8 }], lr: 0.1);
        var sched = new ReduceLROnPlateau(opt, "min", 0.5, 0, 1e-4, "rel", 0, minLrs: [0.04, 0]);
        sched.Step(1);   // best
        sched.Step(2);   // bad 1 > 0: 0.1 → 0.05; 1e-8 → 5e-9 is a change of 5e-9 <= eps 1e-8: skipped
        Assert.AreEqual((0.05, 1e-8), (opt.ParamGroups[0].Lr, opt.ParamGroups[1].Lr));
        sched.Step(2);   // 0.05 → max(0.025, 0.04) = 0.04
        Assert.AreEqual(0.04, opt.ParamGroups[0].Lr);
        sched.Step(2);   // 0.04 → max(0.02, 0.04): no change
        Assert.AreEqual(0.04, opt.ParamGroups[0].Lr);
        CollectionAssert.AreEqual(new[] { 0.04, 1e-8 }, sched.LastLr.ToArray());

        // Relative threshold: in min mode a metric must be below best·(1 − threshold) to count as better.
        var o2 = new SGD([Param(1)], lr: 1);
        var s2 = new ReduceLROnPlateau(o2, threshold: 0.1, patience: 0);
        s2.Step(10);
        s2.Step(9.5);   // 9.5 is not below 9: a bad epoch, so the lr drops
        Assert.AreEqual(0.1, o2.ParamGroups[0].Lr, 1e-17);
        Assert.AreEqual(10.0, s2.Best);
        s2.Step(double.NaN);   // never better
        Assert.AreEqual(0.01, o2.ParamGroups[0].Lr, 1e-17);
    }

    /// <summary>PyTorch's ReduceLROnPlateau.step, transcribed as a loop over the metrics; returns the lr after each step.</summary>
    private static double[] Reference(double[] metrics, double lr0, bool max, bool rel, double factor, int patience, double threshold,
        int cooldown, double minLr, double eps)
    {
        double lr = lr0, best = max ? double.NegativeInfinity : double.PositiveInfinity;
        int badEpochs = 0, cooldownLeft = 0;
        var result = new double[metrics.Length];
        for (int i = 0; i < metrics.Length; i++)
        {
            double a = metrics[i];
            bool better = max ? (rel ? a > best * (threshold + 1) : a > best + threshold) : (rel ? a < best * (1 - threshold) : a < best - threshold);
            if (better) { best = a; badEpochs = 0; } else badEpochs++;
            if (cooldownLeft > 0) { cooldownLeft--; badEpochs = 0; }
            if (badEpochs > patience)
            {
                double next = Math.Max(lr * factor, minLr);
                if (lr - next > eps) lr = next;
                cooldownLeft = cooldown;
                badEpochs = 0;
            }
            result[i] = lr;
        }
        return result;
    }

    [TestMethod]
    [DataRow("min", "rel"), DataRow("min", "abs"), DataRow("max", "rel"), DataRow("max", "abs")]
    public void RandomMetricSequencesMatchTheReference(string mode, string thresholdMode)
    {
        var rng = new Random(mode.Length * 7 + thresholdMode[0]);
        for (int trial = 0; trial < 40; trial++)
        {
            int patience = rng.Next(0, 4), cooldown = rng.Next(0, 3);
            double factor = 0.2 + 0.6 * rng.NextDouble(), threshold = rng.Next(2) == 0 ? 0 : 0.05, minLr = rng.Next(2) == 0 ? 0 : 1e-3;
            // A noisy trend toward "better" with plateaus, so that improvements, bad runs and reductions all occur.
            double level = 5;
            var metrics = Enumerable.Range(0, 60).Select(i =>
            {
                level += (rng.Next(3) == 0 ? -0.5 : 0.05) * (mode == "max" ? -1 : 1);
                return level + 0.2 * rng.NextDouble();
            }).ToArray();
            var opt = new SGD([Param(1)], lr: 0.5);
            var sched = new ReduceLROnPlateau(opt, mode, factor, patience, threshold, thresholdMode, cooldown, minLr);
            var expected = Reference(metrics, 0.5, mode == "max", thresholdMode == "rel", factor, patience, threshold, cooldown, minLr, 1e-8);
            for (int i = 0; i < metrics.Length; i++)
            {
                sched.Step(metrics[i]);
                Assert.AreEqual(expected[i], opt.ParamGroups[0].Lr, $"{mode}/{thresholdMode} trial {trial} epoch {i + 1}");
            }
            Assert.IsLessThan(0.5, opt.ParamGroups[0].Lr, $"trial {trial}: the sequence should have plateaued at least once");
        }
    }

    [TestMethod]
    public void GroupsAddedLaterTakeAScalarMinLrButNotAList()
    {
        var opt = new SGD([Param(1)], lr: 1);
        var scalar = new ReduceLROnPlateau(opt, patience: 0, minLr: 0.2);
        opt.AddParamGroup(new ParamGroup([Param(2)]) { Lr = 0.5 });
        scalar.Step(1);
        scalar.Step(1);
        Assert.AreEqual((0.2, 0.2), (opt.ParamGroups[0].Lr, opt.ParamGroups[1].Lr));

        var o2 = new SGD([Param(1)], lr: 1);
        var list = new ReduceLROnPlateau(o2, "min", 0.1, 0, 1e-4, "rel", 0, minLrs: [0.0]);
        o2.AddParamGroup(new ParamGroup([Param(2)]));
        list.Step(1);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => list.Step(1));
        StringAssert.Contains(ex.Message, "ReduceLROnPlateau");
        StringAssert.Contains(ex.Message, "2 param groups");
    }

    private static void AssertBad(Func<object> make, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => make());
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
    }

    [TestMethod]
    public void BadArgumentsNameTheSchedulerAndTheValue()
    {
        var opt = new SGD([new ParamGroup([Param(1)]), new ParamGroup([Param(2)])], lr: 0.1);
        AssertBad(() => new ReduceLROnPlateau(opt, mode: "minimum"), "ReduceLROnPlateau: mode 'minimum' is unknown");
        AssertBad(() => new ReduceLROnPlateau(opt, thresholdMode: "relative"), "ReduceLROnPlateau: threshold mode 'relative' is unknown");
        AssertBad(() => new ReduceLROnPlateau(opt, factor: 1.0), "ReduceLROnPlateau: factor should be < 1.0, got 1.0");
        AssertBad(() => new ReduceLROnPlateau(opt, factor: -0.5), "ReduceLROnPlateau", "factor", "-0.5");
        AssertBad(() => new ReduceLROnPlateau(opt, patience: -1), "ReduceLROnPlateau", "patience", "-1");
        AssertBad(() => new ReduceLROnPlateau(opt, cooldown: -2), "ReduceLROnPlateau", "cooldown", "-2");
        AssertBad(() => new ReduceLROnPlateau(opt, minLr: -1e-3), "ReduceLROnPlateau", "min_lr", "-0.001");
        AssertBad(() => new ReduceLROnPlateau(opt, "min", 0.1, 10, 1e-4, "rel", 0, minLrs: [0.0]), "ReduceLROnPlateau: expected 2 min_lrs", "got 1");
        AssertBad(() => new ReduceLROnPlateau(opt, eps: double.NaN), "ReduceLROnPlateau", "eps", "nan");
    }
}
