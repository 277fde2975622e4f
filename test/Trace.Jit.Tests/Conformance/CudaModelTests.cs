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
    public void TracingCudaTensorsIsRefusedByNameBeforeAnythingRuns()
    {
        var x = Tensor.Randn([4, 8], generator: new Generator(1)).Cuda();
        void Refused(Action a, string what)
        {
            var e = Assert.ThrowsExactly<NotSupportedException>(a, what);
            StringAssert.Contains(e.Message, "cuda:0", what);
            StringAssert.Contains(e.Message, "CPU backend only", what);
        }
        Refused(() => Jit.Trace((Tensor a) => a.Mul(2.0).Tanh().Add(a), x), "a function of a CUDA tensor");
        var m = new Linear(8, 3, generator: new Generator(2));
        var traced = Jit.Trace(m, Tensor.Randn([4, 8], generator: new Generator(3)));
        Refused(() => traced.Call(x), "a CPU trace called with a CUDA tensor (a new specialization)");
        m.To(Device.Cuda());
        Refused(() => Jit.Trace(m, x), "a module on CUDA");
        Refused(() => Jit.TraceStep(m, (p, t) => Functional.MseLoss(p, t), new SGD(m.Parameters(), lr: 0.1), x, Tensor.Zeros([4, 3], DType.Float32, Device.Cuda())), "a training step on CUDA");
        Assert.AreEqual(Device.Cuda(), m.Forward(x).Device, "the module still runs eagerly on the device");
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
