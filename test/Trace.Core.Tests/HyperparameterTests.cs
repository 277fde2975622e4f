using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Core.Tests;

/// <summary>
/// Options are validated whenever they are set — at construction, on a group's setters after it joined an
/// optimizer, and by schedulers — with PyTorch's messages; a refused value leaves everything unchanged.
/// Loading a state dict with a null tensor names the key.
/// </summary>
[TestClass]
public class HyperparameterTests
{
    private static Tensor Param(params double[] v) => Tensor.From(v).RequiresGrad_();

    private static void AssertRefused(Action set, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(set);
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
    }

    [TestMethod]
    public void SettingAnInvalidLrOnAGroupIsRefusedAndTheStepUsesTheOldOne()
    {
        foreach (var make in new Func<Tensor, Optimizer>[] { p => new SGD([p], lr: 0.5), p => new Adam([p], lr: 0.5), p => new AdamW([p], lr: 0.5) })
        {
            var p = Param(1, -2);
            var opt = make(p);
            var g = opt.ParamGroups[0];
            foreach (var bad in new[] { double.NaN, -0.1, double.PositiveInfinity, double.NegativeInfinity })
            {
                var ex = Assert.ThrowsExactly<ArgumentException>(() => g.Lr = bad);
                StringAssert.Contains(ex.Message, $"{opt.Name}: Invalid learning rate: ");
                StringAssert.Contains(ex.Message, "in param group 0");
                Assert.AreEqual(0.5, g.Lr, "a refused value is not kept");
            }
            StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => g.Lr = double.NaN).Message, "Invalid learning rate: nan in param group 0");

            // The step runs with lr 0.5, as an optimizer never given the bad values does.
            var q = Param(1, -2);
            var fresh = make(q);
            p.Grad = Tensor.From(new double[] { 0.25, 1 });
            q.Grad = Tensor.From(new double[] { 0.25, 1 });
            opt.Step();
            fresh.Step();
            CollectionAssert.AreEqual(q.ToArray<double>(), p.ToArray<double>(), opt.Name);
            Assert.IsTrue(p.ToArray<double>().All(double.IsFinite));
        }
    }

    [TestMethod]
    public void EveryOptionIsCheckedOnItsSetter()
    {
        var sgd = new SGD([Param(1)], lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01);
        var s = sgd.ParamGroups[0];
        AssertRefused(() => s.Momentum = -0.5, "SGD: Invalid momentum value: -0.5 in param group 0");
        AssertRefused(() => s.Momentum = double.NaN, "Invalid momentum value: nan");
        AssertRefused(() => s.WeightDecay = double.PositiveInfinity, "Invalid weight_decay value: inf");
        AssertRefused(() => s.WeightDecay = -1e-3, "Invalid weight_decay value: -0.001");
        AssertRefused(() => s.Dampening = double.NaN, "Invalid dampening value: nan");
        AssertRefused(() => s.Nesterov = true, "Nesterov", "dampening=0.1");
        Assert.AreEqual((0.9, 0.1, 0.01, false), (s.Momentum, s.Dampening, s.WeightDecay, s.Nesterov));

        var nesterov = new SGD([Param(1)], lr: 0.1, momentum: 0.9, nesterov: true).ParamGroups[0];
        AssertRefused(() => nesterov.Momentum = 0, "Nesterov", "momentum=0");
        AssertRefused(() => nesterov.Dampening = 0.5, "Nesterov", "dampening=0.5");
        Assert.AreEqual((0.9, 0.0), (nesterov.Momentum, nesterov.Dampening));

        var adam = new Adam([new ParamGroup([Param(1)]), new ParamGroup([Param(2)])], lr: 1e-3).ParamGroups[1];
        AssertRefused(() => adam.Betas = (double.NaN, 0.999), "Adam: Invalid beta parameter at index 0: nan in param group 1");
        AssertRefused(() => adam.Betas = (0.9, 1.0), "Invalid beta parameter at index 1: 1.0 in param group 1");
        AssertRefused(() => adam.Eps = -1e-8, "Invalid epsilon value: -1e-08");
        AssertRefused(() => adam.Eps = double.NaN, "Invalid epsilon value: nan");
        AssertRefused(() => adam.WeightDecay = double.NaN, "Invalid weight_decay value: nan");
        Assert.AreEqual(((0.9, 0.999), 1e-8, 0.0), (adam.Betas, adam.Eps, adam.WeightDecay));

        // Valid changes between steps still work (that is what schedulers and user code do).
        s.Lr = 0.25;
        s.Momentum = 0;
        adam.Betas = (0.5, 0.75);
        Assert.AreEqual((0.25, 0.0, (0.5, 0.75)), (s.Lr, s.Momentum, adam.Betas));
    }

    [TestMethod]
    public void ConstructionRefusesNonFiniteOptions()
    {
        var p = Param(1, 2);
        AssertRefused(() => new SGD([p], lr: double.PositiveInfinity), "SGD: Invalid learning rate: inf");
        AssertRefused(() => new SGD([p], momentum: 0.9, dampening: double.NaN), "SGD: Invalid dampening value: nan");
        AssertRefused(() => new Adam([p], eps: double.PositiveInfinity), "Adam: Invalid epsilon value: inf");
        AssertRefused(() => new AdamW([p], weightDecay: double.NaN), "AdamW: Invalid weight_decay value: nan");
        AssertRefused(() => new SGD([new ParamGroup([p]) { Momentum = double.NaN }], lr: 0.1), "Invalid momentum value: nan in param group 0");
    }

    [TestMethod]
    public void SchedulersRefuseBadFactorsAndNeverSetABadLr()
    {
        var p = Param(1);
        AssertRefused(() => new StepLR(new SGD([p], lr: 0.1), stepSize: 1, gamma: double.NaN), "StepLR", "gamma", "nan");
        AssertRefused(() => new StepLR(new SGD([p], lr: 0.1), stepSize: 1, gamma: -0.5), "StepLR", "gamma", "-0.5");
        AssertRefused(() => new CosineAnnealingLR(new SGD([p], lr: 0.1), tMax: 10, etaMin: double.NaN), "CosineAnnealingLR", "etaMin", "nan");
        AssertRefused(() => new CosineAnnealingLR(new SGD([p], lr: 0.1), tMax: 10, etaMin: -1), "CosineAnnealingLR", "etaMin", "-1");

        // A schedule that overflows: the step that would set lr = inf is refused, and nothing changes.
        var opt = new SGD([new ParamGroup([Param(1)]) { Lr = 1e-300 }, new ParamGroup([Param(2)]) { Lr = 1e100 }], lr: 0.1);
        var sched = new StepLR(opt, stepSize: 1, gamma: 1e150);
        sched.Step();
        var epoch1 = (1e-300 * 1e150, 1e100 * 1e150);   // epoch 2 would give (1e0, 1e400 = inf)
        Assert.AreEqual(epoch1, (opt.ParamGroups[0].Lr, opt.ParamGroups[1].Lr));
        var ex = Assert.ThrowsExactly<InvalidOperationException>(sched.Step);
        StringAssert.Contains(ex.Message, "StepLR");
        StringAssert.Contains(ex.Message, "param group 1");
        StringAssert.Contains(ex.Message, "Invalid learning rate: inf");
        Assert.AreEqual(epoch1, (opt.ParamGroups[0].Lr, opt.ParamGroups[1].Lr), "no group changed, not even the valid first one");
        Assert.AreEqual(1, sched.LastEpoch);
        CollectionAssert.AreEqual(new[] { epoch1.Item1, epoch1.Item2 }, sched.LastLr.ToArray());

        var custom = new SGD([new ParamGroup([Param(1)]), new ParamGroup([Param(2)])], lr: 0.1);
        var nan = new NanOnSecondGroup(custom);
        Assert.ThrowsExactly<InvalidOperationException>(nan.Step);
        Assert.AreEqual((0.1, 0.1), (custom.ParamGroups[0].Lr, custom.ParamGroups[1].Lr));
    }

    private sealed class NanOnSecondGroup(Optimizer o) : LRScheduler(o)
    {
        protected override double GroupLrAt(int group, int epoch) => Lr(BaseLrs[group], epoch);

        private double Lr(double baseLr, int epoch) => baseLr == 0.1 && ++_calls == 2 ? double.NaN : baseLr / 2;
        private int _calls;
    }

    [TestMethod]
    public void ValuesAreWrittenAsPythonWritesFloats()
    {
        // Python's repr(float), as in PyTorch's messages.
        var cases = new (double, string)[]
        {
            (double.NaN, "nan"), (double.PositiveInfinity, "inf"), (double.NegativeInfinity, "-inf"), (1.0, "1.0"), (100, "100.0"),
            (-0.0, "-0.0"), (0, "0.0"), (0.1, "0.1"), (-0.25, "-0.25"), (1e-4, "0.0001"), (1e-5, "1e-05"), (1e-8, "1e-08"),
            (123.5, "123.5"), (1e15, "1000000000000000.0"), (1e16, "1e+16"), (1.5e300, "1.5e+300"), (12345678901234567.0, "1.2345678901234568e+16"),
            (5e-324, "5e-324"), (0.30000000000000004, "0.30000000000000004"),
        };
        foreach (var (v, text) in cases) Assert.AreEqual(text, PyFloat.Repr(v), $"{v:R}");
    }

    [TestMethod]
    public void LoadStateDictNamesANullTensorsKey()
    {
        var net = new Sequential(new Linear(3, 2, dtype: DType.Float64, generator: new Generator(1)));
        var before = net.Parameters().Select(p => p.ToArray<double>()).ToArray();
        var state = new Dictionary<string, Tensor>(net.StateDict()) { ["0.bias"] = null! };
        var fresh = new Sequential(new Linear(3, 2, dtype: DType.Float64, generator: new Generator(2)));
        var original = fresh.Parameters().Select(p => p.ToArray<double>()).ToArray();
        foreach (bool strict in new[] { true, false })
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(() => fresh.LoadStateDict(state, strict));
            StringAssert.Contains(ex.Message, "Error(s) in loading state_dict for Sequential");
            StringAssert.Contains(ex.Message, "While copying the parameter named \"0.bias\", expected a Tensor from checkpoint but received null");
            for (int i = 0; i < original.Length; i++)
                CollectionAssert.AreEqual(original[i], fresh.Parameters().ElementAt(i).ToArray<double>(), "nothing is loaded when a key is bad");
        }
        Assert.ThrowsExactly<ArgumentNullException>(() => fresh.LoadStateDict(null!));

        // As in PyTorch, a tensor of another floating dtype is converted on load.
        var f32 = net.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.To(DType.Float32));
        fresh.LoadStateDict(f32);
        for (int i = 0; i < before.Length; i++)
            Reference.AssertClose(before[i], fresh.Parameters().ElementAt(i), 1e-6, 1e-7);
    }
}
