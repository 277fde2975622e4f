using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>
/// Several threads running forward and backward on one shared model (as PyTorch supports): every gradient
/// reaches the shared parameters' <see cref="Tensor.Grad"/>. Values are small integers in float64, so the
/// sums are exact in any order and the check is equality.
/// </summary>
[TestClass]
public class ConcurrentBackwardTests
{
    private const int Threads = 4, Steps = 40, Batch = 3, In = 24, Hidden = 48, Out = 6;

    private static Tensor Integers(Random rng, int lo, int hi, params int[] shape)
    {
        var v = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < v.Length; i++) v[i] = rng.Next(lo, hi + 1);
        return Tensor.From(v, shape);
    }

    private static Sequential Model(int seed)
    {
        var rng = new Random(seed);
        var model = new Sequential(new Linear(In, Hidden, dtype: DType.Float64), new ReLU(), new Linear(Hidden, Out, dtype: DType.Float64));
        using (Autograd.NoGrad())
            foreach (var p in model.Parameters()) p.Copy_(Integers(rng, -2, 2, [.. p.Shape]));
        return model;
    }

    private static Tensor[][] Inputs(int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, Threads).Select(_ => Enumerable.Range(0, Steps).Select(_ => Integers(rng, -3, 3, Batch, In)).ToArray())];
    }

    private static double[][] GradsOf(Module m) => [.. m.Parameters().Select(p => p.Grad!.ToArray<double>())];

    [TestMethod]
    public void ConcurrentBackwardOnASharedModelAccumulatesEveryGradient()
    {
        for (int trial = 0; trial < 3; trial++)
        {
            var inputs = Inputs(100 + trial);
            // Reference: the same steps one after another on an identical model.
            var reference = Model(trial);
            foreach (var perThread in inputs)
                foreach (var x in perThread) reference.Forward(x).Sum().Backward();
            var expected = GradsOf(reference);

            var model = Model(trial);   // fresh: the parameters' gradient accumulators are created under contention too
            using var start = new Barrier(Threads);
            var errors = new List<Exception>();
            var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    foreach (var x in inputs[t]) model.Forward(x).Sum().Backward();
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add(e);
                }
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            Assert.IsEmpty(errors, string.Join("\n", errors));

            var actual = GradsOf(model);
            for (int i = 0; i < expected.Length; i++)
                CollectionAssert.AreEqual(expected[i], actual[i], $"trial {trial}: parameter {i} lost gradient updates");
        }
    }

    [TestMethod]
    public void ConcurrentGradOnASharedModelMatchesTheSingleThreadedOne()
    {
        // autograd.grad touches no .Grad: each thread's result is its own, equal to the single-threaded one.
        var model = Model(7);
        var inputs = Inputs(8);
        var parameters = model.Parameters().ToArray();
        var expected = inputs.Select(perThread => perThread.Select(x =>
            Autograd.Grad([model.Forward(x).Sum()], parameters).Select(g => g!.ToArray<double>()).ToArray()).ToArray()).ToArray();
        var actual = new double[Threads][][][];
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
            actual[t] = [.. inputs[t].Select(x => Autograd.Grad([model.Forward(x).Sum()], parameters).Select(g => g!.ToArray<double>()).ToArray())]);
        for (int t = 0; t < Threads; t++)
            for (int s = 0; s < Steps; s++)
                for (int p = 0; p < parameters.Length; p++)
                    CollectionAssert.AreEqual(expected[t][s][p], actual[t][s][p], $"thread {t} step {s} parameter {p}");
        Assert.IsTrue(parameters.All(p => p.Grad is null), "autograd.grad leaves .Grad alone");
    }

    [TestMethod]
    public void ConcurrentBackwardThroughOneRetainedGraphWithACustomFunction()
    {
        // One graph y = x·w (a custom function: one Backward call serves both inputs) with y's gradient retained;
        // each thread backpropagates its own multiple of y through it many times.
        for (int trial = 0; trial < 3; trial++)
        {
            var rng = new Random(trial);
            var x = Integers(rng, -3, 3, 64).RequiresGrad_();
            var w = Integers(rng, -3, 3, 64).RequiresGrad_();
            var y = new Product().Apply(x, w);
            y.RetainGrad();
            var scales = Enumerable.Range(0, Threads).Select(t => Integers(rng, -2, 2, 64)).ToArray();
            using var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                for (int s = 0; s < Steps; s++) (y * scales[t]).Sum().Backward(retainGraph: true);
            })).ToList();
            workers.ForEach(t => t.Start());
            workers.ForEach(t => t.Join());

            var gy = new double[64];
            foreach (var c in scales)
                for (int i = 0; i < 64; i++) gy[i] += Steps * c.ToArray<double>()[i];
            var (xv, wv) = (x.ToArray<double>(), w.ToArray<double>());
            CollectionAssert.AreEqual(gy, y.Grad!.ToArray<double>(), $"trial {trial}: the retained gradient");
            CollectionAssert.AreEqual(gy.Select((g, i) => g * wv[i]).ToArray(), x.Grad!.ToArray<double>(), $"trial {trial}: dx");
            CollectionAssert.AreEqual(gy.Select((g, i) => g * xv[i]).ToArray(), w.Grad!.ToArray<double>(), $"trial {trial}: dw");
        }
    }

    private sealed class Product : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0], x[1]);
            return x[0] * x[1];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g)
        {
            Thread.Yield();   // widen the window between computing and using the result
            return [g * ctx.SavedTensors[1], g * ctx.SavedTensors[0]];
        }
    }

    [TestMethod]
    public void ModulesCanBeWalkedFromSeveralThreadsAtOnce()
    {
        // Submodules held in fields are discovered lazily on the first walk; concurrent first walks agree.
        for (int trial = 0; trial < 20; trial++)
        {
            var net = new TwoLayers();
            var counts = new int[Threads];
            using var start = new Barrier(Threads);
            var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                counts[t] = net.Parameters().Count();
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());
            CollectionAssert.AreEqual(Enumerable.Repeat(4, Threads).ToArray(), counts, $"trial {trial}");
            Assert.AreEqual(2, net.Children().Count());
        }
    }

    private sealed class TwoLayers : Module
    {
        private readonly Linear _a = new(3, 4, dtype: DType.Float64);
        private readonly Linear _b = new(4, 2, dtype: DType.Float64);

        public override Tensor Forward(Tensor input) => _b.Forward(_a.Forward(input));
    }
}
