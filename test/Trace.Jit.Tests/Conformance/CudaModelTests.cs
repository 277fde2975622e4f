using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Jit.Tests;

/// <summary>
/// Whole models on CUDA tensors against the same models on the CPU: a GPT block (pre-LayerNorm causal self-attention
/// with a boolean mask buffer, GELU MLP) forward, backward into every parameter, and SGD steps — the lecture's
/// "just construct arrays on a different device", with the one changed line being <c>Module.To(Device.Cuda())</c>.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaModelTests
{
    private sealed class GptBlock : Module
    {
        private readonly LayerNorm ln1, ln2;
        private readonly CausalSelfAttention attn;
        private readonly Linear fc, proj;

        public GptBlock(int c, int heads, int maxT, Generator g)
        {
            (ln1, ln2) = (new LayerNorm(c), new LayerNorm(c));
            attn = new CausalSelfAttention(c, heads, maxT, g);
            (fc, proj) = (new Linear(c, 4 * c, generator: g), new Linear(4 * c, c, generator: g));
        }

        public override Tensor Forward(Tensor x)
        {
            x = attn.Forward(ln1.Forward(x));
            return x + proj.Forward(fc.Forward(ln2.Forward(x)).Gelu());
        }
    }

    [TestMethod]
    public void AGptBlockTrainsOnCudaAsOnTheCpu()
    {
        var (cpu, gpu) = (new GptBlock(16, 2, 8, new Generator(7)), new GptBlock(16, 2, 8, new Generator(7)));
        gpu.To(Device.Cuda());
        Assert.IsTrue(gpu.Parameters().All(p => p.Device == Device.Cuda()) && gpu.NamedBuffers().Any() && gpu.NamedBuffers().All(b => b.Buffer.Device == Device.Cuda()), "Module.To moves parameters and buffers");
        // SGD with momentum: linear in the gradients, so the devices' rounding stays as small as theirs (Adam normalizes
        // near-zero gradients into whole steps; its kernels are compared step for step in Trace.Core.Tests).
        var (oc, og) = (new SGD(cpu.Parameters(), lr: 0.05, momentum: 0.9), new SGD(gpu.Parameters(), lr: 0.05, momentum: 0.9));
        var x = Tensor.Randn([2, 6, 16], generator: new Generator(8));
        var target = Tensor.Randn([2, 6, 16], generator: new Generator(9));
        for (int step = 0; step < 3; step++)
        {
            oc.ZeroGrad();
            og.ZeroGrad();
            var lc = Functional.MseLoss(cpu.Forward(x), target);
            var lg = Functional.MseLoss(gpu.Forward(x.Cuda()), target.Cuda());
            Assert.AreEqual(lc.Item<float>(), lg.Item<float>(), 2e-5 * Math.Abs(lc.Item<float>()), $"loss at step {step}");
            lc.Backward();
            lg.Backward();
            foreach (var (pc, pg) in cpu.Parameters().Zip(gpu.Parameters()))
                Close(pc.Grad!, pg.Grad!, 1e-3, $"gradient at step {step}");
            oc.Step();
            og.Step();
        }
        foreach (var (pc, pg) in cpu.Parameters().Zip(gpu.Parameters())) Close(pc, pg, 1e-5, "parameters after 3 SGD steps");
    }

    [TestMethod]
    public void ATracedGptBlockOnCudaMatchesEagerAndTrainsWithTraceStep()
    {
        var model = new GptBlock(16, 2, 8, new Generator(7));
        model.To(Device.Cuda());
        var x = Tensor.Randn([2, 6, 16], generator: new Generator(8)).Cuda();
        var traced = Jit.Trace(model, x);
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "prim::FusionGroup"), traced.Graph.ToString());
        StringAssert.Contains(traced.GeneratedCode, "ILGPU kernel");
        using (Autograd.NoGrad())
        {
            var expected = model.Forward(x);
            var actual = traced.Forward(x);
            Assert.AreEqual(Device.Cuda(), actual.Device);
            Close(expected.Cpu(), actual, 1e-5, "traced forward on CUDA vs eager CUDA");
        }
        // The compiled backward, on the device: gradients as the eager tape's.
        var xg = x.Clone().RequiresGrad_();
        model.Forward(xg).Square().Sum().Backward();
        var eagerGrads = model.Parameters().Select(p => p.Grad!.Cpu()).ToArray();
        var eagerX = xg.Grad!.Cpu();
        foreach (var p in model.Parameters()) p.Grad = null;
        var xt = x.Clone().RequiresGrad_();
        traced.Forward(xt).Square().Sum().Backward();
        Close(eagerX, xt.Grad!, 1e-4, "input gradient through the traced graph");
        foreach (var (e, p) in eagerGrads.Zip(model.Parameters())) Close(e, p.Grad!, 1e-4, "parameter gradient through the traced graph");

        // Jit.TraceStep on CUDA takes the same SGD steps as eager steps on a copy.
        var (twin, target) = (new GptBlock(16, 2, 8, new Generator(7)), Tensor.Randn([2, 6, 16], generator: new Generator(9)).Cuda());
        twin.To(Device.Cuda());
        foreach (var p in model.Parameters()) p.Grad = null;
        var (ot, oe) = (new SGD(model.Parameters(), lr: 0.05, momentum: 0.9), new SGD(twin.Parameters(), lr: 0.05, momentum: 0.9));
        var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), ot, x, target);
        for (int s = 0; s < 3; s++)
        {
            var lt = step.Step(x, target);
            Assert.AreEqual(Device.Cuda(), lt.Device, "the loss stays on the device");
            oe.ZeroGrad();
            var le = Functional.MseLoss(twin.Forward(x), target);
            le.Backward();
            oe.Step();
            Assert.AreEqual(le.Item<float>(), lt.Item<float>(), 2e-5 * Math.Abs(le.Item<float>()), $"loss at step {s}");
        }
        foreach (var (pe, pt) in twin.Parameters().Zip(model.Parameters())) Close(pe.Cpu(), pt, 1e-4, "parameters after 3 traced steps");
    }

    [TestMethod]
    public void ACpuTraceCalledWithCudaTensorsRetracesForTheCudaBackend()
    {
        var traced = Jit.Trace((Tensor a) => a.Mul(2.0).Tanh().Add(a), Tensor.Randn([4, 8], generator: new Generator(1)));
        var x = Tensor.Randn([4, 8], generator: new Generator(2));
        var y = traced.Call(x.Cuda())[0];
        Assert.AreEqual(Device.Cuda(), y.Device);
        StringAssert.Contains(traced.ExplainLastRetrace() ?? "", "cuda");
        Close(x.Mul(2.0).Tanh().Add(x), y, 1e-6, "the CUDA specialization");
        Assert.AreEqual(Device.Cpu, traced.Call(x)[0].Device, "the CPU specialization still serves CPU calls");
    }

    [TestMethod]
    public void TracingTensorsOfTwoDevicesOrTheWrongBackendIsAClearError()
    {
        var cpu = Tensor.Randn([4, 8], generator: new Generator(1));
        var e = Assert.ThrowsExactly<NotSupportedException>(() =>
            Jit.Trace(t => t[0].Tanh() * 2.0, [cpu.Cuda()], new TraceOptions { Backend = CpuBackend.Instance }));
        StringAssert.Contains(e.Message, "cpu backend");
        StringAssert.Contains(e.Message, "cuda:0");
        var e2 = Assert.ThrowsExactly<NotSupportedException>(() =>
            Jit.Trace(t => t[0].Tanh() * 2.0, [cpu], new TraceOptions { Backend = CudaBackend.Instance }));
        StringAssert.Contains(e2.Message, "cuda backend");
        StringAssert.Contains(e2.Message, "on cpu");
    }

    [TestMethod]
    public void RandomFactoriesInACudaTraceDrawOnTheDeviceAtEveryCall()
    {
        // Dropout-like: a fresh draw per call, made on the device (a frozen constant would repeat its values).
        var traced = Jit.Trace((Tensor a) => a * Tensor.Rand([4, 8], device: Device.Cuda()).Gt(0.5).To(DType.Float32), Tensor.Ones([4, 8], DType.Float32, Device.Cuda()));
        Assert.IsTrue(traced.Graph.Nodes.Any(n => n.Kind == "aten::rand"), traced.Graph.ToString());
        var ones = Tensor.Ones([4, 8], DType.Float32, Device.Cuda());
        var (first, second) = (traced.Forward(ones).Cpu().ToArray<float>(), traced.Forward(ones).Cpu().ToArray<float>());
        Assert.IsFalse(first.SequenceEqual(second), "two calls drew the same mask");
        Assert.IsTrue(first.All(v => v is 0f or 1f));
    }

    /// <summary>|gpu − cpu| ≤ tol·max|cpu| over the tensor (float32 sums differ in order between the devices).</summary>
    private static void Close(Tensor cpu, Tensor gpu, double tol, string what)
    {
        Assert.AreEqual(Device.Cuda(), gpu.Device, what);
        var (e, a) = (cpu.Detach().ToArray<float>(), gpu.Detach().Cpu().ToArray<float>());
        double scale = e.Max(v => Math.Abs((double)v)) + 1e-12;
        for (int i = 0; i < e.Length; i++)
            Assert.IsTrue(Math.Abs(a[i] - e[i]) <= tol * scale, $"{what}[{i}]: cuda {a[i]:R} vs cpu {e[i]:R} (scale {scale:R})");
    }
}
