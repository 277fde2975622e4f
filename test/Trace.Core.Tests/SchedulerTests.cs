using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Optim;

namespace Trace.Core.Tests;

/// <summary>
/// LambdaLR, LinearLR, OneCycleLR and SequentialLR against closed-form float64 expectations written from PyTorch's
/// documented formulas (epoch 0 applied at construction, OneCycleLR's phase boundaries at pct_start·total_steps − 1 and its
/// momentum / beta1 cycle, SequentialLR's reset to initial_lr), and their argument checks.
/// </summary>
[TestClass]
public class SchedulerTests
{
    private static Tensor Param(params double[] v) => Tensor.From(v).RequiresGrad_();

    private static SGD TwoGroups(double lr0 = 0.1, double lr1 = 0.02, double momentum = 0) =>
        new([new ParamGroup([Param(1)]), new ParamGroup([Param(2)]) { Lr = lr1 }], lr: lr0, momentum: momentum);

    private static void AssertLrs(Optimizer opt, LRScheduler sched, double[] expected, string what)
    {
        for (int g = 0; g < expected.Length; g++)
        {
            Assert.AreEqual(expected[g], opt.ParamGroups[g].Lr, 1e-14 * Math.Max(1, Math.Abs(expected[g])), $"{what} group {g}");
            Assert.AreEqual(opt.ParamGroups[g].Lr, sched.LastLr[g], $"{what} group {g}: LastLr");
        }
    }

    private static void AssertBad(Func<object> make, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => make());
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
    }

    // ---- LambdaLR ----

    [TestMethod]
    public void LambdaLRScalesTheBaseLrFromEpochZero()
    {
        var opt = TwoGroups();
        Func<int, double> f = e => 0.5 * Math.Pow(0.9, e);
        var sched = new LambdaLR(opt, f);
        for (int e = 0; e <= 8; e++)
        {
            if (e > 0) sched.Step();
            Assert.AreEqual(e, sched.LastEpoch);
            AssertLrs(opt, sched, [0.1 * f(e), 0.02 * f(e)], $"epoch {e}");
        }
        CollectionAssert.AreEqual(new[] { 0.1, 0.02 }, sched.BaseLrs.ToArray(), "the base lrs are the lrs before epoch 0");

        var per = TwoGroups();
        Func<int, double>[] fs = [e => e / 3 + 1.0, e => 1.0 / (e + 2)];
        var sp = new LambdaLR(per, fs);
        for (int e = 0; e <= 7; e++)
        {
            if (e > 0) sp.Step();
            AssertLrs(per, sp, [0.1 * fs[0](e), 0.02 * fs[1](e)], $"per-group epoch {e}");
        }
        AssertBad(() => new LambdaLR(TwoGroups(), [e => 1.0]), "LambdaLR", "expected 2 lr_lambdas", "got 1");
    }

    // ---- LinearLR ----

    [TestMethod]
    public void LinearLRWarmsUpFromEpochZero()
    {
        var p = Param(1);
        var opt = new SGD([p], lr: 0.6);
        var sched = new LinearLR(opt);   // start 1/3, end 1, 5 iters
        Assert.AreEqual(0.6 / 3, opt.ParamGroups[0].Lr, 1e-16, "epoch 0 is scaled when the scheduler is created");
        Assert.AreEqual(0.6, opt.ParamGroups[0].InitialLr);
        p.Grad = Tensor.From(new double[] { 1 });
        opt.Step();
        Assert.AreEqual(1 - 0.6 / 3, p.Item(), 1e-15, "the first optimizer step uses the scaled lr");
        for (int e = 1; e <= 9; e++)
        {
            sched.Step();
            AssertLrs(opt, sched, [0.6 * (1.0 / 3 + (1 - 1.0 / 3) * Math.Min(5, e) / 5)], $"epoch {e}");
        }
        Assert.AreEqual(0.6, opt.ParamGroups[0].Lr, 1e-15, "the warm-up ends at the base lr");

        var decay = TwoGroups();
        var sd = new LinearLR(decay, startFactor: 1, endFactor: 0.1, totalIters: 4);
        for (int e = 0; e <= 6; e++)
        {
            if (e > 0) sd.Step();
            double factor = 1 + (0.1 - 1) * Math.Min(4, e) / 4;
            AssertLrs(decay, sd, [0.1 * factor, 0.02 * factor], $"decay epoch {e}");
        }

        AssertBad(() => new LinearLR(TwoGroups(), startFactor: 0), "LinearLR", "startFactor", "greater than 0", "0.0");
        AssertBad(() => new LinearLR(TwoGroups(), startFactor: 1.5), "LinearLR", "1.5");
        AssertBad(() => new LinearLR(TwoGroups(), endFactor: -0.1), "LinearLR", "endFactor", "-0.1");
        AssertBad(() => new LinearLR(TwoGroups(), totalIters: 0), "LinearLR", "totalIters", "0");
    }

    // ---- OneCycleLR ----

    /// <summary>PyTorch's documented 1cycle values at step s, written out per phase (cos or linear annealing).</summary>
    private static (double Lr, double Momentum) OneCycleRef(int s, int total, double maxLr, double pct, bool cos, bool three,
        double div = 25, double finalDiv = 1e4, double baseM = 0.85, double maxM = 0.95)
    {
        double initial = maxLr / div, min = initial / finalDiv;
        // Linear: PyTorch extrapolates at step total (x > 1); Trace holds the value at the phase's end there (see OneCycleLR.Anneal).
        double Anneal(double from, double to, double x) => cos ? to + (from - to) / 2 * (Math.Cos(Math.PI * x) + 1) : (to - from) * Math.Min(x, 1) + from;
        double up = pct * total - 1;
        if (!three)
        {
            if (s <= up) return (Anneal(initial, maxLr, s / up), Anneal(maxM, baseM, s / up));
            double x = (s - up) / (total - 1 - up);
            return (Anneal(maxLr, min, x), Anneal(baseM, maxM, x));
        }
        double down = 2 * pct * total - 2;
        if (s <= up) return (Anneal(initial, maxLr, s / up), Anneal(maxM, baseM, s / up));
        if (s <= down) return (Anneal(maxLr, initial, (s - up) / (down - up)), Anneal(baseM, maxM, (s - up) / (down - up)));
        return (Anneal(initial, min, (s - down) / (total - 1 - down)), maxM);
    }

    [TestMethod]
    [DataRow(10, 0.25, true, false), DataRow(10, 0.25, false, false), DataRow(100, 0.3, true, false), DataRow(20, 0.3, true, true), DataRow(21, 0.2, false, true)]
    public void OneCycleLRFollowsThePhasesAndCyclesMomentum(int total, double pct, bool cos, bool three)
    {
        string anneal = cos ? "cos" : "linear";
        var sgd = new SGD([Param(1)], lr: 123, momentum: 0.5);
        var s1 = new OneCycleLR(sgd, maxLr: 0.4, totalSteps: total, pctStart: pct, annealStrategy: anneal, threePhase: three);
        var adam = new Adam([Param(1)], lr: 7, betas: (0.9, 0.98));
        var s2 = new OneCycleLR(adam, maxLr: 0.4, totalSteps: total, pctStart: pct, annealStrategy: anneal, threePhase: three);
        for (int s = 0; s <= total; s++)   // stepping to total_steps itself is allowed, as in PyTorch
        {
            if (s > 0) { s1.Step(); s2.Step(); }
            var (lr, m) = OneCycleRef(s, total, 0.4, pct, cos, three);
            string what = $"{anneal} three={three} step {s}";
            AssertLrs(sgd, s1, [lr], what);
            AssertLrs(adam, s2, [lr], what);
            Assert.AreEqual(m, sgd.ParamGroups[0].Momentum, 1e-14, $"{what}: SGD momentum");
            Assert.AreEqual(m, adam.ParamGroups[0].Betas.Beta1, 1e-14, $"{what}: Adam beta1");
            Assert.AreEqual(0.98, adam.ParamGroups[0].Betas.Beta2, $"{what}: beta2 is left alone");
        }
        if (!cos) Assert.AreEqual(0.4 / 25 / 1e4, sgd.ParamGroups[0].Lr, 1e-20, "linear, step total: min_lr (PyTorch extrapolates to a negative lr)");
        Assert.AreEqual(0.4 / 25, s1.BaseLrs[0], 1e-17, "the base lr is max_lr / div_factor, whatever the optimizer's lr");
        Assert.AreEqual(0.4 / 25, sgd.ParamGroups[0].InitialLr!.Value, 1e-17);

        double before = sgd.ParamGroups[0].Lr;
        var ex = Assert.ThrowsExactly<InvalidOperationException>(s1.Step);
        StringAssert.Contains(ex.Message, $"OneCycleLR: tried to step {total + 1} times. The specified number of total steps is {total}");
        Assert.AreEqual((before, total), (sgd.ParamGroups[0].Lr, s1.LastEpoch), "a refused step changes nothing");
    }

    [TestMethod]
    public void OneCycleLRPhaseBoundaryIsPctStartTimesTotalMinusOne()
    {
        // total 10, pct 0.25: phase 1 ends at step 1.5 (not 2 or 3), so step 1 still rises and step 2 is already falling.
        var opt = new SGD([Param(1)], lr: 1, momentum: 0.9);
        var sched = new OneCycleLR(opt, maxLr: 1, totalSteps: 10, pctStart: 0.25);
        double initial = 1.0 / 25, min = initial / 1e4;
        sched.Step();
        Assert.AreEqual(1 + (initial - 1) / 2 * (Math.Cos(Math.PI * (1 / 1.5)) + 1), opt.ParamGroups[0].Lr, 1e-15);
        sched.Step();
        Assert.AreEqual(min + (1 - min) / 2 * (Math.Cos(Math.PI * (0.5 / 7.5)) + 1), opt.ParamGroups[0].Lr, 1e-15);
        Assert.IsLessThan(1.0, opt.ParamGroups[0].Lr);

        // total 100, pct 0.3: the peak is reached at step 29 = 0.3·100 − 1, and the last step (99) reaches min_lr.
        var o2 = new Adam([Param(1)], lr: 1);
        var s2 = new OneCycleLR(o2, maxLr: 0.01, epochs: 10, stepsPerEpoch: 10);
        Assert.AreEqual(100, s2.TotalSteps);
        for (int s = 1; s <= 99; s++)
        {
            s2.Step();
            if (s == 29) Assert.AreEqual(0.01, o2.ParamGroups[0].Lr, 1e-15, "max_lr at pct_start·total − 1");
            if (s == 29) Assert.AreEqual(0.85, o2.ParamGroups[0].Betas.Beta1, 1e-14, "base_momentum at the peak");
        }
        Assert.AreEqual(0.01 / 25 / 1e4, o2.ParamGroups[0].Lr, 1e-20, "min_lr = initial_lr / final_div_factor at step total − 1");
        Assert.AreEqual(0.95, o2.ParamGroups[0].Betas.Beta1, 1e-14);
    }

    [TestMethod]
    public void OneCycleLRPerGroupMaxLrAndMomentumOptions()
    {
        var opt = TwoGroups(momentum: 0.9);
        var sched = new OneCycleLR(opt, maxLrs: [1.0, 0.5], totalSteps: 8, pctStart: 0.5, baseMomentums: [0.8, 0.7], maxMomentums: [0.9, 0.99],
            divFactor: 10, finalDivFactor: 100);
        for (int s = 0; s <= 8; s++)
        {
            if (s > 0) sched.Step();
            var (lr0, m0) = OneCycleRef(s, 8, 1.0, 0.5, true, false, div: 10, finalDiv: 100, baseM: 0.8, maxM: 0.9);
            var (lr1, m1) = OneCycleRef(s, 8, 0.5, 0.5, true, false, div: 10, finalDiv: 100, baseM: 0.7, maxM: 0.99);
            AssertLrs(opt, sched, [lr0, lr1], $"step {s}");
            Assert.AreEqual(m0, opt.ParamGroups[0].Momentum, 1e-14, $"step {s} momentum 0");
            Assert.AreEqual(m1, opt.ParamGroups[1].Momentum, 1e-14, $"step {s} momentum 1");
        }
        // cycleMomentum off: momentum is left alone; RMSprop has momentum, so it is cycled (as PyTorch does).
        var plain = new SGD([Param(1)], lr: 1, momentum: 0.3);
        _ = new OneCycleLR(plain, maxLr: 1, totalSteps: 5, cycleMomentum: false);
        Assert.AreEqual(0.3, plain.ParamGroups[0].Momentum);
        var rms = new RMSprop([Param(1)]);
        _ = new OneCycleLR(rms, maxLr: 1, totalSteps: 5);
        Assert.AreEqual(0.95, rms.ParamGroups[0].Momentum, 1e-15);
    }

    [TestMethod]
    public void OneCycleLRRefusesBadArguments()
    {
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, totalSteps: 0), "OneCycleLR", "positive integer totalSteps", "got 0");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1), "OneCycleLR", "either totalSteps OR (epochs AND stepsPerEpoch)");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, epochs: 10), "OneCycleLR", "either totalSteps");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, epochs: -1, stepsPerEpoch: 3), "OneCycleLR", "epochs", "-1");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, epochs: 2, stepsPerEpoch: 0), "OneCycleLR", "stepsPerEpoch", "0");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, totalSteps: 10, pctStart: 1.5), "OneCycleLR", "pctStart", "1.5");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: 1, totalSteps: 10, annealStrategy: "cosine"), "OneCycleLR", "'cos' or 'linear'", "cosine");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLrs: [1.0], totalSteps: 10), "OneCycleLR", "maxLr", "1 values", "has 2");
        AssertBad(() => new OneCycleLR(TwoGroups(), maxLr: -1, totalSteps: 10), "OneCycleLR", "maxLr", "-1.0");
        AssertBad(() => new OneCycleLR(new Adagrad([Param(1)]), maxLr: 1, totalSteps: 10), "OneCycleLR", "Adagrad", "momentum or beta1");
        _ = new OneCycleLR(new Adagrad([Param(1)]), maxLr: 1, totalSteps: 10, cycleMomentum: false);
        var untouched = TwoGroups();
        AssertBad(() => new OneCycleLR(untouched, maxLr: 1, totalSteps: -3), "OneCycleLR", "-3");
        Assert.IsNull(untouched.ParamGroups[0].InitialLr, "a refused scheduler leaves the groups as they were");
        Assert.AreEqual(0.1, untouched.ParamGroups[0].Lr);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => new OneCycleLR(TwoGroups(), maxLr: 1, totalSteps: 10, pctStart: 0.1));
        StringAssert.Contains(ex.Message, "OneCycleLR: step 0 falls in phase 1");   // PyTorch: ZeroDivisionError (phase 1 ends at step 0)
    }

    // ---- SequentialLR and initial_lr ----

    [TestMethod]
    public void SequentialLRWarmsUpThenAnnealsFromTheOriginalLr()
    {
        var opt = TwoGroups();
        var warm = new LinearLR(opt, startFactor: 0.1, totalIters: 4);
        var cos = new CosineAnnealingLR(opt, tMax: 6, etaMin: 0.001);
        CollectionAssert.AreEqual(new[] { 0.1, 0.02 }, cos.BaseLrs.ToArray(), "a scheduler created after a warm-up starts from initial_lr, not the scaled lr");
        var sched = new SequentialLR(opt, [warm, cos], milestones: [4]);
        double[] bases = [0.1, 0.02];
        for (int e = 0; e <= 12; e++)
        {
            if (e > 0) sched.Step();
            var expected = bases.Select(b => e < 4 ? b * (0.1 + 0.9 * e / 4) : 0.001 + (b - 0.001) * (1 + Math.Cos(Math.PI * (e - 4) / 6)) / 2).ToArray();
            AssertLrs(opt, sched, expected, $"epoch {e}");
        }
        Assert.AreEqual(8, cos.LastEpoch, "the scheduler in use counts its own epochs from the milestone");
    }

    [TestMethod]
    public void SequentialLRReproducesPyTorchsDocumentedExample()
    {
        // torch.optim.lr_scheduler.SequentialLR's docstring: ConstantLR(factor=0.1, total_iters=20), then ExponentialLR(gamma=0.9)
        // at milestone 20, lr 0.05: 0.005 for epochs 0..19, 0.05 at 20, 0.045 at 21, 0.0405 at 22.
        var opt = new SGD([Param(1)], lr: 0.05);
        var constant = new LambdaLR(opt, e => e < 20 ? 0.1 : 1.0);
        var exponential = new StepLR(opt, stepSize: 1, gamma: 0.9);
        var sched = new SequentialLR(opt, [constant, exponential], [20]);
        var seen = new List<double> { opt.ParamGroups[0].Lr };
        for (int e = 1; e <= 22; e++)
        {
            sched.Step();
            seen.Add(opt.ParamGroups[0].Lr);
        }
        for (int e = 0; e < 20; e++) Assert.AreEqual(0.005, seen[e], 1e-17, $"epoch {e}");
        Assert.AreEqual(0.05, seen[20], 1e-16);
        Assert.AreEqual(0.045, seen[21], 1e-16);
        Assert.AreEqual(0.0405, seen[22], 1e-16);
    }

    [TestMethod]
    public void SequentialLRRefusesBadArguments()
    {
        var opt = TwoGroups();
        var a = new StepLR(opt, 2);
        var b = new StepLR(opt, 3);
        AssertBad(() => new SequentialLR(opt, [], []), "SequentialLR", "at least one scheduler");
        AssertBad(() => new SequentialLR(opt, [a, b], [2, 4]), "SequentialLR", "number of schedulers 2", "milestones to be equal to 2");
        AssertBad(() => new SequentialLR(opt, [a, b, a], [4, 2]), "SequentialLR", "increasing", "[4, 2]");
        AssertBad(() => new SequentialLR(opt, [a, new StepLR(TwoGroups(), 2)], [3]), "SequentialLR", "same optimizer", "StepLR at index 1");
    }
}
