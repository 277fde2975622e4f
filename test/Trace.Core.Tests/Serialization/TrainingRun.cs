using Trace.Nn;
using Trace.Optim;

namespace Trace.Core.Tests.Serialization;

/// <summary>A small deterministic training run (its batch at step s depends on s only), to compare resumed runs with straight ones.</summary>
internal static class TrainingRun
{
    /// <summary>Linear → BatchNorm1d (buffers: running stats, num_batches_tracked) → ReLU → Linear, initialized from <paramref name="seed"/>.</summary>
    public static Sequential Model(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(8, 16, generator: g), new BatchNorm1d(16), new ReLU(), new Linear(16, 4, generator: g));
    }

    /// <summary>Two param groups (the first Linear's, and the rest with its own lr), so that indices cross groups.</summary>
    public static ParamGroup[] Groups(Module model, double secondLr)
    {
        var ps = model.Parameters().ToList();
        return [new ParamGroup(ps.Take(2)), new ParamGroup(ps.Skip(2)) { Lr = secondLr }];
    }

    /// <summary>Steps <paramref name="from"/> to <paramref name="to"/> − 1: MSE on step-seeded batches, optimizer step, then scheduler step.</summary>
    public static void Train(Module model, Optimizer optimizer, Action? schedulerStep, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            var g = new Generator(1000 + (ulong)step);
            var x = Tensor.Randn([32, 8], generator: g);
            var y = Tensor.Randn([32, 4], generator: g);
            optimizer.ZeroGrad();
            Functional.MseLoss(model.Forward(x), y).Backward();
            optimizer.Step();
            schedulerStep?.Invoke();
        }
    }

    /// <summary>Asserts that two modules' state dicts hold the same values, bit for bit.</summary>
    public static void AssertSameState(Module expected, Module actual, string what)
    {
        var a = expected.StateDict();
        var b = actual.StateDict();
        CollectionAssert.AreEqual(a.Keys.ToList(), b.Keys.ToList(), what);
        foreach (var (k, t) in a) CollectionAssert.AreEqual(t.ToArray<double>(), b[k].ToArray<double>(), $"{what}: {k}");
    }

    /// <summary>Asserts that two optimizers hold the same steps, buffers and options, bit for bit.</summary>
    public static void AssertSameState(Optimizer expected, Optimizer actual, string what)
    {
        var a = expected.StateDict();
        var b = actual.StateDict();
        CollectionAssert.AreEquivalent(a.State.Keys.ToList(), b.State.Keys.ToList(), $"{what}: parameters with state");
        foreach (var (i, e) in a.State)
        {
            Assert.AreEqual(e.Step, b.State[i].Step, $"{what}: step of {i}");
            CollectionAssert.AreEquivalent(e.Tensors.Keys.ToList(), b.State[i].Tensors.Keys.ToList(), $"{what}: buffers of {i}");
            foreach (var (name, t) in e.Tensors)
            {
                var u = b.State[i].Tensors[name];
                Assert.AreEqual(t.DType, u.DType, $"{what}: dtype of {i}.{name}");
                CollectionAssert.AreEqual(t.ToArray<double>(), u.ToArray<double>(), $"{what}: {i}.{name}");
            }
        }
        Assert.AreEqual(a.ParamGroups.Count, b.ParamGroups.Count, what);
        for (int g = 0; g < a.ParamGroups.Count; g++)
        {
            Assert.AreEqual(a.ParamGroups[g].Options.ToJsonString(), b.ParamGroups[g].Options.ToJsonString(), $"{what}: options of group {g}");
            CollectionAssert.AreEqual(a.ParamGroups[g].Params, b.ParamGroups[g].Params, $"{what}: params of group {g}");
        }
    }

    /// <summary>A fresh path in the temp folder (tests run in parallel).</summary>
    public static string TempPath(string what) => Path.Combine(Path.GetTempPath(), $"trace-{what}-{Guid.NewGuid():N}.safetensors");
}
