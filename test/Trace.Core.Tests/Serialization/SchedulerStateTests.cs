using System.Text.Json.Nodes;
using Trace.Optim;

namespace Trace.Core.Tests.Serialization;

/// <summary>
/// Scheduler state dicts: each scheduler saved after some steps and loaded (with the optimizer) into a fresh one gives the
/// same lrs (and momentum) at every later step as the scheduler that never stopped; bad state dicts are refused.
/// </summary>
[TestClass]
public sealed class SchedulerStateTests
{
    private static Tensor Param(double v) => Tensor.From(new[] { v }).RequiresGrad_();

    private static SGD TwoGroups() => new([new ParamGroup([Param(1)]), new ParamGroup([Param(2)]) { Lr = 0.02 }], lr: 0.1, momentum: 0.9);

    public static IEnumerable<object[]> Kinds =>
        [["StepLR"], ["LinearLR"], ["CosineAnnealingLR"], ["LambdaLR"], ["OneCycleLR"], ["OneCycleLR three-phase linear"], ["SequentialLR"], ["ReduceLROnPlateau"]];

    /// <summary>The scheduler and its step (ReduceLROnPlateau's takes a metric that plateaus).</summary>
    private static (IStateful Scheduler, Action<int> Step) Make(string kind, Optimizer opt) => kind switch
    {
        "StepLR" => Epochs(new StepLR(opt, stepSize: 3, gamma: 0.5)),
        "LinearLR" => Epochs(new LinearLR(opt, startFactor: 0.25, totalIters: 8)),
        "CosineAnnealingLR" => Epochs(new CosineAnnealingLR(opt, tMax: 7, etaMin: 1e-3)),
        "LambdaLR" => Epochs(new LambdaLR(opt, e => 1.0 / (1 + e))),
        "OneCycleLR" => Epochs(new OneCycleLR(opt, maxLr: 0.5, totalSteps: 20)),
        "OneCycleLR three-phase linear" => Epochs(new OneCycleLR(opt, [0.5, 0.2], totalSteps: 20, annealStrategy: "linear", threePhase: true)),
        "SequentialLR" => Epochs(new SequentialLR(opt, [new LinearLR(opt, startFactor: 0.1, totalIters: 4), new CosineAnnealingLR(opt, tMax: 10)], [4])),
        "ReduceLROnPlateau" => Plateau(new ReduceLROnPlateau(opt, factor: 0.5, patience: 1, cooldown: 1)),
        _ => throw new ArgumentException(kind),
    };

    private static (IStateful, Action<int>) Epochs(LRScheduler s) => (s, _ => s.Step());

    private static (IStateful, Action<int>) Plateau(ReduceLROnPlateau s) => (s, e => s.Step(e < 3 ? 1.0 / (1 + e) : 0.3));

    private static double[] Options(Optimizer opt) => [.. opt.ParamGroups.SelectMany(g => new[] { g.Lr, g.Momentum })];

    [TestMethod]
    [DynamicData(nameof(Kinds))]
    public void StateDictRoundTripsAndResumesBitForBit(string kind)
    {
        foreach (bool viaFile in new[] { false, true })
        {
            var opt = TwoGroups();
            var (sched, step) = Make(kind, opt);
            for (int e = 0; e < 5; e++) step(e);
            var freshOpt = TwoGroups();
            var (fresh, freshStep) = Make(kind, freshOpt);
            freshStep(0);   // the fresh one may be anywhere: loading replaces its state
            freshOpt.LoadStateDict(opt.StateDict());
            if (viaFile)
            {
                var path = TrainingRun.TempPath("sched");
                try
                {
                    if (sched is LRScheduler l) l.Save(path); else ((ReduceLROnPlateau)sched).Save(path);
                    if (fresh is LRScheduler f) f.Load(path); else ((ReduceLROnPlateau)fresh).Load(path);
                }
                finally { File.Delete(path); }
            }
            else fresh.LoadStateDict(sched.StateDict());
            Assert.AreEqual(sched.StateDict().ToJsonString(), fresh.StateDict().ToJsonString(), $"{kind}: state after loading (file: {viaFile})");
            for (int e = 5; e < 15; e++)
            {
                step(e);
                freshStep(e);
                CollectionAssert.AreEqual(Options(opt), Options(freshOpt), $"{kind}: lr and momentum at epoch {e + 1} (file: {viaFile})");
            }
            Assert.AreEqual(sched.StateDict().ToJsonString(), fresh.StateDict().ToJsonString(), $"{kind}: state after 10 more steps");
        }
    }

    [TestMethod]
    public void StateDictUsesPyTorchsNames()
    {
        var opt = TwoGroups();
        var s = new StepLR(opt, stepSize: 3, gamma: 0.5);
        s.Step();
        var d = s.StateDict();
        Assert.AreEqual("StepLR", d["type"]!.GetValue<string>());
        Assert.AreEqual(1, d["last_epoch"]!.GetValue<int>());
        Assert.AreEqual("[0.1,0.02]", d["base_lrs"]!.ToJsonString());
        Assert.AreEqual("[0.1,0.02]", d["_last_lr"]!.ToJsonString());
        Assert.AreEqual(3, d["step_size"]!.GetValue<int>());
        Assert.AreEqual(0.5, d["gamma"]!.GetValue<double>());

        var p = new ReduceLROnPlateau(TwoGroups());
        Assert.AreEqual("\"inf\"", p.StateDict()["best"]!.ToJsonString(), "JSON has no infinity: Python's spelling as a string");
        var seq = new SequentialLR(opt, [new LinearLR(opt), new StepLR(opt, 2)], [5]).StateDict();
        Assert.AreEqual("[5]", seq["_milestones"]!.ToJsonString());
        Assert.AreEqual("LinearLR", seq["_schedulers"]![0]!["type"]!.GetValue<string>());
    }

    [TestMethod]
    public void DoublesRoundTripExactly()
    {
        var g = new Random(5);
        var values = new List<double> { 0.1, 1.0 / 3, double.Epsilon, double.MaxValue, -0.0, 1e-300, 5e-324, double.PositiveInfinity, double.NegativeInfinity, double.NaN };
        for (int i = 0; i < 2000; i++) values.Add(BitConverter.Int64BitsToDouble(g.NextInt64()));
        foreach (var v in values)
        {
            var text = StateJson.Number(v).ToJsonString();
            double back = StateJson.ReadDouble(JsonNode.Parse(text), "v");
            Assert.AreEqual(BitConverter.DoubleToInt64Bits(double.IsNaN(v) ? double.NaN : v), BitConverter.DoubleToInt64Bits(back), $"{v:R} written as {text}");
        }
    }

    private static void AssertRefused(IStateful target, JsonObject state, params string[] fragments)
    {
        var before = target.StateDict().ToJsonString();
        var ex = Assert.ThrowsExactly<ArgumentException>(() => target.LoadStateDict(state));
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
        Assert.AreEqual(before, target.StateDict().ToJsonString(), "a refused load changes nothing");
    }

    [TestMethod]
    public void MismatchesAreRefusedAndNamed()
    {
        var opt = TwoGroups();
        var step = new StepLR(opt, stepSize: 3, gamma: 0.5);
        step.Step();
        var saved = step.StateDict();
        AssertRefused(new StepLR(TwoGroups(), stepSize: 3, gamma: 0.1), saved, "StepLR.LoadStateDict", "gamma = 0.5", "gamma = 0.1", "hyperparameters it was saved with");
        AssertRefused(new CosineAnnealingLR(TwoGroups(), tMax: 3), saved, "CosineAnnealingLR.LoadStateDict", "a StepLR's, not a CosineAnnealingLR's");
        AssertRefused(new StepLR(new SGD([Param(1)], lr: 0.1), stepSize: 3, gamma: 0.5), saved, "'base_lrs' has 2 values, expected 1");
        var unknown = step.StateDict();
        unknown["verbose"] = false;
        AssertRefused(new StepLR(TwoGroups(), stepSize: 3, gamma: 0.5), unknown, "unknown entry 'verbose'");
        var negative = step.StateDict();
        negative["last_epoch"] = -2;
        AssertRefused(new StepLR(TwoGroups(), stepSize: 3, gamma: 0.5), negative, "'last_epoch' is -2");
        var missing = step.StateDict();
        missing.Remove("_last_lr");
        AssertRefused(new StepLR(TwoGroups(), stepSize: 3, gamma: 0.5), missing, "'_last_lr' is missing");

        var seqOpt = TwoGroups();
        var seq = new SequentialLR(seqOpt, [new LinearLR(seqOpt), new StepLR(seqOpt, 2)], [5]);
        var seqState = seq.StateDict();
        var otherOpt = TwoGroups();
        var other = new SequentialLR(otherOpt, [new LinearLR(otherOpt), new StepLR(otherOpt, 3)], [5]);
        AssertRefused(other, seqState, "SequentialLR.LoadStateDict: scheduler 1: StepLR.LoadStateDict", "step_size = 2");
        Assert.AreEqual(0, other.Schedulers[0].LastEpoch, "no scheduler of a refused SequentialLR load changes");

        var plateau = new ReduceLROnPlateau(TwoGroups(), mode: "max");
        AssertRefused(new ReduceLROnPlateau(TwoGroups()), plateau.StateDict(), "ReduceLROnPlateau.LoadStateDict", "mode = \"max\"");
        Assert.ThrowsExactly<ArgumentNullException>(() => step.LoadStateDict(null!));

        var missingFile = TrainingRun.TempPath("none");
        Assert.ThrowsExactly<FileNotFoundException>(() => step.Load(missingFile));
    }
}
