using System.Text.Json.Nodes;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Core.Tests.Serialization;

/// <summary>
/// Optimizer state dicts: every optimizer's state (steps, buffers, options, initial_lr) round-trips in memory and through a
/// file, and a run resumed from it continues exactly as the straight run; bad state dicts are refused, naming what differs.
/// </summary>
[TestClass]
public sealed class OptimizerStateTests
{
    public static IEnumerable<object[]> Optimizers =>
    [
        ["SGD momentum"], ["SGD nesterov"], ["SGD plain"], ["Adam"], ["Adam amsgrad"], ["AdamW"], ["RMSprop centered momentum"], ["RMSprop"], ["Adagrad"],
    ];

    private static Optimizer Make(string kind, Module model) => kind switch
    {
        "SGD momentum" => new SGD(TrainingRun.Groups(model, 0.02), lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
        "SGD nesterov" => new SGD(TrainingRun.Groups(model, 0.02), lr: 0.05, momentum: 0.8, nesterov: true),
        "SGD plain" => new SGD(TrainingRun.Groups(model, 0.02), lr: 0.05),
        "Adam" => new Adam(TrainingRun.Groups(model, 3e-3), lr: 1e-2, betas: (0.8, 0.99), weightDecay: 1e-3),
        "Adam amsgrad" => new Adam(TrainingRun.Groups(model, 3e-3), lr: 1e-2, amsgrad: true),
        "AdamW" => new AdamW(TrainingRun.Groups(model, 3e-3), lr: 1e-2, weightDecay: 0.05),
        "RMSprop centered momentum" => new RMSprop(TrainingRun.Groups(model, 3e-3), lr: 1e-2, momentum: 0.5, centered: true, weightDecay: 1e-3),
        "RMSprop" => new RMSprop(TrainingRun.Groups(model, 3e-3), lr: 1e-2),
        "Adagrad" => new Adagrad(TrainingRun.Groups(model, 3e-2), lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1),
        _ => throw new ArgumentException(kind),
    };

    [TestMethod]
    [DynamicData(nameof(Optimizers))]
    public void StateDictRoundTripsAndResumesBitForBit(string kind)
    {
        var straight = TrainingRun.Model(1);
        var straightOpt = Make(kind, straight);
        TrainingRun.Train(straight, straightOpt, null, 0, 6);

        foreach (bool viaFile in new[] { false, true })
        {
            var resumed = TrainingRun.Model(1);
            var resumedOpt = Make(kind, resumed);
            TrainingRun.Train(resumed, resumedOpt, null, 0, 3);
            var fresh = TrainingRun.Model(2);
            var freshOpt = Make(kind, fresh);
            fresh.LoadStateDict(resumed.StateDict());
            if (viaFile)
            {
                var path = TrainingRun.TempPath("optim");
                try
                {
                    resumedOpt.Save(path);
                    freshOpt.Load(path);
                }
                finally { File.Delete(path); }
            }
            else freshOpt.LoadStateDict(resumedOpt.StateDict());
            TrainingRun.AssertSameState(resumedOpt, freshOpt, $"{kind} after loading (file: {viaFile})");
            TrainingRun.Train(fresh, freshOpt, null, 3, 6);
            TrainingRun.AssertSameState(straight, fresh, $"{kind} model after 3 + 3 steps (file: {viaFile})");
            TrainingRun.AssertSameState(straightOpt, freshOpt, $"{kind} optimizer after 3 + 3 steps (file: {viaFile})");
        }
    }

    [TestMethod]
    public void StateDictHasPyTorchsLayout()
    {
        var model = TrainingRun.Model(1);
        var opt = new Adam(TrainingRun.Groups(model, 3e-3), lr: 1e-2, amsgrad: true);
        _ = new StepLR(opt, stepSize: 2);
        TrainingRun.Train(model, opt, null, 0, 2);
        var d = opt.StateDict();
        int n = model.Parameters().Count();
        CollectionAssert.AreEqual(Enumerable.Range(0, n).ToList(), d.State.Keys.Order().ToList(), "state by index over all groups");
        CollectionAssert.AreEqual(new[] { 0, 1 }, d.ParamGroups[0].Params);
        CollectionAssert.AreEqual(Enumerable.Range(2, n - 2).ToList(), d.ParamGroups[1].Params);
        CollectionAssert.AreEquivalent(new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" }, d.State[3].Tensors.Keys.ToList());
        Assert.AreEqual(2L, d.State[3].Step);
        Assert.AreSame(opt.State[model.Parameters().ElementAt(3)].ExpAvg, d.State[3].Tensors["exp_avg"], "the optimizer's own buffers, as PyTorch");
        var o = d.ParamGroups[1].Options;
        Assert.AreEqual(3e-3, o["lr"]!.GetValue<double>());
        Assert.AreEqual(3e-3, o["initial_lr"]!.GetValue<double>());
        Assert.AreEqual("[0.9,0.999]", o["betas"]!.ToJsonString());
        Assert.IsTrue(o["amsgrad"]!.GetValue<bool>());
        CollectionAssert.AreEquivalent(new[] { "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize", "initial_lr" }, o.Select(kv => kv.Key).ToList());
    }

    [TestMethod]
    public void ParametersWithoutStateStayWithoutState()
    {
        var a = Tensor.From(new[] { 1.0, 2.0 }).RequiresGrad_();
        var b = Tensor.From(new[] { 3.0 }).RequiresGrad_();
        var opt = new SGD([a, b], lr: 0.1, momentum: 0.9);
        a.Grad = Tensor.From(new[] { 0.5, -0.5 });
        opt.Step();
        var d = opt.StateDict();
        CollectionAssert.AreEqual(new[] { 0 }, d.State.Keys.ToList());
        Assert.AreEqual(DType.Float64, d.State[0].Tensors["momentum_buffer"].DType);

        var a2 = Tensor.From(new[] { 1.0, 2.0 }).RequiresGrad_();
        var b2 = Tensor.From(new[] { 3.0 }).RequiresGrad_();
        var opt2 = new SGD([a2, b2], lr: 0.1, momentum: 0.9);
        b2.Grad = Tensor.From(new[] { 1.0 });
        opt2.Step();   // state for b2, which the loaded dict does not have: replaced, as PyTorch
        opt2.LoadStateDict(d);
        Assert.IsFalse(opt2.State.ContainsKey(b2));
        CollectionAssert.AreEqual(opt.State[a].MomentumBuffer!.ToArray<double>(), opt2.State[a2].MomentumBuffer!.ToArray<double>());
        Assert.AreNotSame(opt.State[a].MomentumBuffer, opt2.State[a2].MomentumBuffer, "loading copies the buffers");
    }

    [TestMethod]
    public void LoadingConvertsBuffersToTheParametersDtype()
    {
        var p64 = Tensor.From(new[] { 1.0, 2.0 }).RequiresGrad_();
        var opt = new Adam([p64], lr: 0.1);
        var d = new OptimizerStateDict();
        var e = new ParamStateDict { Step = 4 };
        e.Tensors["exp_avg"] = Tensor.From(new[] { 0.25f, -0.5f });
        e.Tensors["exp_avg_sq"] = Tensor.From(new[] { 0.125f, 1f });
        d.State[0] = e;
        d.ParamGroups.Add(new ParamGroupStateDict { Options = new JsonObject { ["lr"] = 0.5 }, Params = [0] });
        opt.LoadStateDict(d);
        Assert.AreEqual(DType.Float64, opt.State[p64].ExpAvg!.DType);
        CollectionAssert.AreEqual(new[] { 0.25, -0.5 }, opt.State[p64].ExpAvg!.ToArray<double>());
        Assert.AreEqual(4L, opt.State[p64].Step);
        Assert.AreEqual(0.5, opt.ParamGroups[0].Lr);
        Assert.AreEqual(1e-8, opt.ParamGroups[0].Eps, "options the state dict leaves out keep their value");
    }

    private static (Adam Opt, OptimizerStateDict State) Trained()
    {
        var model = TrainingRun.Model(1);
        var opt = new Adam(TrainingRun.Groups(model, 3e-3), lr: 1e-2);
        TrainingRun.Train(model, opt, null, 0, 2);
        return (opt, opt.StateDict());
    }

    private static void AssertRefused(Action load, Optimizer untouched, OptimizerStateDict before, params string[] fragments)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(load);
        foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
        var after = untouched.StateDict();
        Assert.AreEqual(before.ParamGroups[0].Options.ToJsonString(), after.ParamGroups[0].Options.ToJsonString(), "a refused load changes nothing");
        CollectionAssert.AreEquivalent(before.State.Keys.ToList(), after.State.Keys.ToList(), "a refused load changes nothing");
    }

    [TestMethod]
    public void MismatchesAreRefusedAndNamed()
    {
        var (_, saved) = Trained();
        var model = TrainingRun.Model(3);
        var target = new Adam(TrainingRun.Groups(model, 1e-3), lr: 1e-3);
        var before = target.StateDict();

        var oneGroup = new Adam(model.Parameters(), lr: 1e-3);
        AssertRefused(() => oneGroup.LoadStateDict(saved), oneGroup, oneGroup.StateDict(), "Adam.LoadStateDict", "different number of parameter groups", "2 in the state dict, 1 in the optimizer");

        var other = TrainingRun.Model(3);
        var ps = other.Parameters().ToList();
        var resized = new Adam([new ParamGroup(ps.Take(3)), new ParamGroup(ps.Skip(3))], lr: 1e-3);
        AssertRefused(() => resized.LoadStateDict(saved), resized, resized.StateDict(), "doesn't match the size of optimizer's group", "param group 0 has 2 parameters in the state dict, 3 in the optimizer");

        var badShape = Trained().State;
        badShape.State[1].Tensors["exp_avg"] = Tensor.Zeros(3, 3);
        AssertRefused(() => target.LoadStateDict(badShape), target, before, "'exp_avg' of parameter 1 (param group 0, shape (16,))", "shape (3, 3)");

        var badName = Trained().State;
        badName.State[0].Tensors["momentum_buffer"] = Tensor.Zeros(16, 8);
        AssertRefused(() => target.LoadStateDict(badName), target, before, "'momentum_buffer'", "Adam does not keep", "exp_avg");

        var badIndex = Trained().State;
        badIndex.State[42] = new ParamStateDict { Step = 1 };
        AssertRefused(() => target.LoadStateDict(badIndex), target, before, "parameter index 42", "none of its param groups lists");

        var badOption = Trained().State;
        badOption.ParamGroups[1].Options["lr"] = -1.0;
        AssertRefused(() => target.LoadStateDict(badOption), target, before, "Invalid learning rate: -1.0 in param group 1 of the state dict");

        var unusedOption = Trained().State;
        unusedOption.ParamGroups[0].Options["momentum"] = 0.9;
        AssertRefused(() => target.LoadStateDict(unusedOption), target, before, "param group 0 of the state dict sets 'momentum'", "does not use");

        var unknownOption = Trained().State;
        unknownOption.ParamGroups[0].Options["learning_rate"] = 0.1;
        AssertRefused(() => target.LoadStateDict(unknownOption), target, before, "unknown option 'learning_rate'");

        var wrongKind = Trained().State;
        wrongKind.ParamGroups[0].Options["amsgrad"] = 1;
        AssertRefused(() => target.LoadStateDict(wrongKind), target, before, "option 'amsgrad' should be true or false, got 1");

        var sgd = new SGD(TrainingRun.Groups(TrainingRun.Model(3), 0.1), lr: 0.1, momentum: 0.9);
        AssertRefused(() => sgd.LoadStateDict(saved), sgd, sgd.StateDict(), "SGD.LoadStateDict", "sets 'betas'");
        Assert.ThrowsExactly<ArgumentNullException>(() => target.LoadStateDict(null!));
    }

    [TestMethod]
    public void BadFilesAreRefused()
    {
        var (opt, _) = Trained();
        var missing = TrainingRun.TempPath("missing");
        var ex = Assert.ThrowsExactly<FileNotFoundException>(() => opt.Load(missing));
        StringAssert.Contains(ex.Message, "Adam.Load: there is no file");

        var path = TrainingRun.TempPath("optim-bad");
        try
        {
            var sgd = new SGD(TrainingRun.Groups(TrainingRun.Model(3), 0.1), lr: 0.1, momentum: 0.9);
            sgd.Save(path);
            var wrongType = Assert.ThrowsExactly<ArgumentException>(() => opt.Load(path));
            StringAssert.Contains(wrongType.Message, "holds the state of a SGD optimizer, not of a Adam");

            TrainingRun.Model(3).Save(path);
            var notOptimizer = Assert.ThrowsExactly<InvalidDataException>(() => opt.Load(path));
            StringAssert.Contains(notOptimizer.Message, "has a tensor '0.");
            StringAssert.Contains(notOptimizer.Message, "an optimizer file's tensors are named state.<index>.<name>");

            Trace.Serialization.SafeTensors.Save(path, new Dictionary<string, Tensor>(), new Dictionary<string, string> { ["trace.optimizer"] = "{not json" });
            var badJson = Assert.ThrowsExactly<InvalidDataException>(() => opt.Load(path));
            StringAssert.Contains(badJson.Message, "not valid JSON");

            Trace.Serialization.SafeTensors.Save(path, new Dictionary<string, Tensor>());
            var noMeta = Assert.ThrowsExactly<InvalidDataException>(() => opt.Load(path));
            StringAssert.Contains(noMeta.Message, "holds no optimizer state");
        }
        finally { File.Delete(path); }
    }
}
