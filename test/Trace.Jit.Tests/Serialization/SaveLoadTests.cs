using Trace.Testing;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Jit.Tests.Serialization;

/// <summary>
/// TracedModule.Save / Jit.Load: a loaded module runs without the model's code, gives the traced module's outputs bit for
/// bit, stays differentiable (gradients and fine-tuning match the original model's), keeps each mode's graph, moves to CUDA,
/// and refuses what it cannot do with clear errors.
/// </summary>
[TestClass]
public sealed class SaveLoadTests
{
    public TestContext TestContext { get; set; } = null!;

    private string TempFile() => Path.Combine(Path.GetTempPath(), $"trace-{TestContext.TestName}-{Guid.NewGuid():N}.tmodel");

    private static Sequential Mlp(int seed) => new(new Linear(20, 16, generator: new Generator((ulong)seed)), new ReLU(), new Linear(16, 4, generator: new Generator((ulong)seed + 1)));

    private static void Same(Tensor expected, Tensor actual, string what) =>
        CollectionAssert.AreEqual(expected.ToArray<float>(), actual.ToArray<float>(), what);

    /// <summary>Traces <paramref name="model"/> without gradients, saves it, and returns the traced module's output on <paramref name="x"/>.</summary>
    private static Tensor TraceSaveNoGrad(Module model, Tensor x, string path)
    {
        using var _ = Autograd.NoGrad();
        var traced = Jit.Trace(model, x);
        var y = traced.Forward(x);
        traced.Save(path);
        return y;
    }

    [TestMethod]
    public void ALoadedModelGivesTheTracedOutputsBitForBit()
    {
        var model = Mlp(1);
        var x = Tensor.Randn([8, 20], generator: new Generator(2));
        var path = TempFile();
        try
        {
            var expected = TraceSaveNoGrad(model, x, path);
            var loaded = Jit.Load(path);
            Assert.IsTrue(loaded.IsLoaded);
            CollectionAssert.AreEqual(new[] { "input" }, loaded.InputNames.ToArray());
            using (Autograd.NoGrad()) Same(expected, loaded.Forward(x), "loaded vs traced");
            using (Autograd.NoGrad()) Assert.AreEqual(Jit.Trace(model, x).Graph.ToString(), loaded.Graph.ToString(), "the same optimized graph");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ALoadedModelIsDifferentiableAndFineTunesAsTheOriginal()
    {
        var (original, twin) = (Mlp(3), Mlp(3));
        var x = Tensor.Randn([8, 20], generator: new Generator(4));
        var y = Tensor.Randn([8, 4], generator: new Generator(5));
        var path = TempFile();
        try
        {
            Jit.Trace(twin, x).Save(path);
            var loaded = Jit.Load(path);
            Assert.AreEqual(4, loaded.Parameters().Count());
            var traced = Jit.Trace(original, x);
            var (o1, o2) = (new Adam(original.Parameters(), lr: 1e-2), new Adam(loaded.Parameters(), lr: 1e-2));
            for (int step = 0; step < 5; step++)
            {
                o1.ZeroGrad();
                o2.ZeroGrad();
                var l1 = Functional.MseLoss(traced.Forward(x), y);
                var l2 = Functional.MseLoss(loaded.Forward(x), y);
                Assert.AreEqual(l1.Item<float>(), l2.Item<float>(), $"loss at step {step}");
                l1.Backward();
                l2.Backward();
                Assert.IsNotNull(loaded.Differentiable, "the loaded module compiles its backward");
                foreach (var (p1, p2) in original.Parameters().Zip(loaded.Parameters())) Same(p1.Grad!, p2.Grad!, $"gradient at step {step}");
                o1.Step();
                o2.Step();
            }
            foreach (var (p1, p2) in original.Parameters().Zip(loaded.Parameters())) Same(p1, p2, "parameters after fine-tuning");
        }
        finally { File.Delete(path); }
    }

    private sealed class BnNet : Module
    {
        private readonly Conv2d conv = new(1, 4, 3, generator: new Generator(6));
        private readonly BatchNorm2d bn = new(4);
        private readonly Dropout drop = new(0.5);
        private readonly Linear fc = new(4 * 6 * 6, 3, generator: new Generator(7));


        public override Tensor Forward(Tensor x) => fc.Forward(drop.Forward(bn.Forward(conv.Forward(x)).Relu().Flatten(1)));
    }

    [TestMethod]
    public void EachModeKeepsItsGraphAndTrainingUpdatesTheLoadedBuffers()
    {
        var (model, twin) = (new BnNet(), new BnNet());
        var x = Tensor.Randn([2, 1, 8, 8], generator: new Generator(8));
        var path = TempFile();
        try
        {
            var traced = Jit.Trace(twin, x);   // training mode: batch statistics, running stats updated, dropout
            twin.Eval();
            traced.Forward(x);                 // retraced in eval mode: running stats, no dropout
            Tensor expected;
            using (Autograd.NoGrad())
            {
                traced.Forward(x);              // a new signature: this call traces, and returns the eager run's outputs
                expected = traced.Forward(x);   // the compiled graph's
            }
            traced.Save(path);
            var loaded = Jit.Load(path);
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => loaded.Graph).Message, "has not run yet");
            using (Autograd.NoGrad()) Same(expected, loaded.Eval().Forward(x), "eval mode");
            // Training mode: batch norm updates the loaded module's running stats as the model's.
            model.LoadStateDict(twin.StateDict());
            var meanBefore = loaded.NamedTensors().Single(p => p.Name == "bn.running_mean").Tensor.ToArray<float>();
            loaded.Train().Forward(x);
            var mean = loaded.NamedTensors().Single(p => p.Name == "bn.running_mean").Tensor.ToArray<float>();
            CollectionAssert.AreNotEqual(meanBefore, mean, "training mode updates the running mean");
            using (Autograd.NoGrad()) model.Forward(x);
            var expectedMean = model.NamedBuffers().Single(b => b.Name == "bn.running_mean").Buffer.ToArray<float>();
            for (int i = 0; i < mean.Length; i++) Assert.AreEqual(expectedMean[i], mean[i], 1e-6f, "running mean");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void AGptBlockRoundTripsWithItsMaskBuffer()
    {
        var block = new CausalSelfAttention(16, 2, 8, new Generator(9));
        var x = Tensor.Randn([2, 8, 16], generator: new Generator(10));
        var path = TempFile();
        try
        {
            var traced = Jit.Trace(block, x);
            var expected = traced.Forward(x);
            traced.Save(path);
            var loaded = Jit.Load(path);
            Same(expected, loaded.Forward(x), "forward with gradients");
            expected.Sum().Backward();
            loaded.Forward(x).Sum().Backward();
            foreach (var (p1, p2) in block.Parameters().Zip(loaded.Parameters())) Same(p1.Grad!, p2.Grad!, "gradient");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ACpuTracedModelLoadsOntoCuda()
    {
        var model = Mlp(11);
        var x = Tensor.Randn([4, 20], generator: new Generator(12));
        var path = TempFile();
        try
        {
            var expected = TraceSaveNoGrad(model, x, path);
            var loaded = Jit.Load(path, Device.Cuda());
            Assert.IsTrue(loaded.NamedTensors().All(p => p.Tensor.Device == Device.Cuda()));
            using (Autograd.NoGrad())
            {
                var y = loaded.Forward(x.Cuda());
                Assert.AreEqual(Device.Cuda(), y.Device);
                var (e, a) = (expected.ToArray<float>(), y.ToArray<float>());
                for (int i = 0; i < e.Length; i++) Assert.AreEqual(e[i], a[i], 1e-5f * (1 + Math.Abs(e[i])), $"element {i}");
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ACallTheSavedGraphsDoNotTakeIsAClearError()
    {
        var model = Mlp(13);
        var path = TempFile();
        try
        {
            using (Autograd.NoGrad()) Jit.Trace(model, Tensor.Randn(8, 20)).Save(path);
            var loaded = Jit.Load(path);
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => loaded.Forward(Tensor.Randn(5, 20)));
            StringAssert.Contains(e.Message, "no saved graph takes this call (input: torch.float32 (5, 20) on cpu)");
            StringAssert.Contains(e.Message, "(8, 20)");
            Assert.ThrowsExactly<InvalidOperationException>(() => Jit.Trace(model, Tensor.Randn(8, 20)).Train(), "a traced model takes its modes from the model");
        }
        finally { File.Delete(path); }
    }

    private sealed class Double : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0] * 2;
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) => [gradOutput * 2];
    }

    [TestMethod]
    public void ACustomFunctionCannotBeSaved()
    {
        var traced = Jit.Trace(x => new Double().Apply(x).Relu(), Tensor.Randn(3));
        var path = TempFile();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => traced.Save(path));
        StringAssert.Contains(e.Message, "custom Function Double");
        Assert.IsFalse(File.Exists(path), "nothing is written");
    }

    [TestMethod]
    public void SavingOverAFileReplacesItWhole()
    {
        var path = TempFile();
        try
        {
            var x = Tensor.Randn(2, 20);
            using (Autograd.NoGrad())
            {
                Jit.Trace(Mlp(14), x).Save(path);
                var first = File.ReadAllBytes(path);
                Jit.Trace(Mlp(14), x).Save(path);
                CollectionAssert.AreEqual(first, File.ReadAllBytes(path), "the same model writes the same bytes");
                Jit.Trace(Mlp(15), x).Save(path);
                Same(Mlp(15).Forward(x), Jit.Load(path).Forward(x), "the second model");
            }
            Assert.AreEqual(1, Directory.GetFiles(Path.GetDirectoryName(path)!, $"{Path.GetFileName(path)}.tmp-*").Length + 1, "no temporary file left");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void TheLecturesCellWithTwoInputsAndOutputsRoundTrips()
    {
        var cell = new MyCell(new Generator(16));
        var (x, h) = (Tensor.Randn([3, 4], generator: new Generator(17)), Tensor.Randn([3, 4], generator: new Generator(18)));
        var path = TempFile();
        try
        {
            var traced = Jit.Trace(cell, [x, h]);
            var expected = traced.Call(x, h);
            traced.Save(path);
            var loaded = Jit.Load(path);
            CollectionAssert.AreEqual(new[] { "input0", "input1" }, loaded.InputNames.ToArray());
            var actual = loaded.Call(x, h);
            Assert.AreEqual(2, actual.Length);
            for (int i = 0; i < 2; i++) Same(expected[i], actual[i], $"output {i}");
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ASymbolicGraphServesEverySizeItWasTracedFor()
    {
        var g = new Generator(19);
        var model = new CausalSelfAttention(16, 2, 32, g);
        var path = TempFile();
        try
        {
            using var _ = Autograd.NoGrad();
            var traced = Jit.Trace(model, Tensor.Randn([2, 3, 16], generator: g), new TraceOptions { DynamicDims = [[1]], TrustDynamicSizes = true });
            for (int t = 4; t <= 6; t++) traced.Forward(Tensor.Randn([2, t, 16], generator: g));
            StringAssert.Contains(traced.Graph.ToString(), "s0", "a symbolic specialization");
            traced.Save(path);
            var loaded = Jit.Load(path);
            foreach (int t in new[] { 2, 9, 17 })
            {
                var x = Tensor.Randn([2, t, 16], generator: g);
                TraceAssert.AllClose(model.Forward(x), loaded.Forward(x), 1e-5, 1e-6, $"T = {t}");
            }
        }
        finally { File.Delete(path); }
    }
}
