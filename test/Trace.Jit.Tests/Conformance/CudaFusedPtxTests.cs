using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Jit.Tests;

/// <summary>
/// Every fusion group that tracing the benchmark workloads (W1, W4, W5 forward and backward, W2's training step) and
/// the lecture models produces on CUDA compiles to a kernel, and that kernel compiles to PTX for sm_90 (H100/H200) —
/// without a GPU; only a driver can say it loads. Elementwise kernels use vector loads where they are flat.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaFusedPtxTests
{
    private static Device Cuda => Device.Cuda();

    private static IEnumerable<Node> Groups(TracedModule t)
    {
        _ = t.GeneratedCode;   // compiles every group's kernel
        return t.CompiledGraphs.SelectMany(g => g.Nodes).Where(n => n.Kind == "prim::FusionGroup");
    }

    [TestMethod]
    public void EveryFusionGroupOfTheWorkloadsCompilesToPtxForSm90()
    {
        var g = new Generator(3);
        var traces = new List<(string, TracedModule)>();
        // W1: Linear → ReLU → Linear, MSE against a target (small sizes, same graph shape).
        var w1 = new Sequential(new Linear(40, 10, generator: g), new ReLU(), new Linear(10, 40, generator: g));
        w1.To(Cuda);
        var (x1, y1) = (Tensor.Randn([8, 40], generator: g).Cuda(), Tensor.Randn([8, 40], generator: g).Cuda());
        traces.Add(("W1", Jit.Trace(t => Functional.MseLoss(w1.Forward(t[0]), t[1]), [x1, y1])));
        // W4: tanh(a*0.5+b)*a+b.
        var (a4, b4) = (Tensor.Randn([1000], generator: g).Cuda(), Tensor.Randn([1000], generator: g).Cuda());
        traces.Add(("W4", Jit.Trace(t => (t[0] * 0.5 + t[1]).Tanh() * t[0] + t[1], [a4, b4])));
        // W5: a GPT block's attention and GELU MLP, forward and compiled backward.
        var attn = new CausalSelfAttention(16, 2, 8, g);
        var (ln, fc, proj) = (new LayerNorm(16), new Linear(16, 64, generator: g), new Linear(64, 16, generator: g));
        foreach (var m in new Module[] { attn, ln, fc, proj }) m.To(Cuda);
        Tensor Block(Tensor x) { x = x + attn.Forward(ln.Forward(x)); return x + proj.Forward(fc.Forward(ln.Forward(x)).Gelu()); }
        traces.Add(("W5", Jit.Trace((Tensor x) => Block(x), Tensor.Randn([2, 8, 16], generator: g).Cuda().RequiresGrad_())));
        // W2: the two-layer net's Adam step.
        var w2 = new Sequential(new Linear(40, 10, generator: g), new ReLU(), new Linear(10, 5, generator: g));
        w2.To(Cuda);
        var step = Jit.TraceStep(w2, (p, t) => Functional.MseLoss(p, t), new Adam(w2.Parameters(), lr: 1e-4), Tensor.Randn([8, 40], generator: g).Cuda(), Tensor.Randn([8, 5], generator: g).Cuda());
        traces.Add(("W2", step.Traced));

        int checkedGroups = 0;
        foreach (var (name, traced) in traces)
            foreach (var group in Groups(traced))
            {
                var kernel = CudaBackend.KernelOf(group);
                Assert.IsNotNull(kernel, $"{name}: a fusion group did not compile for CUDA: {CudaBackend.Instance.DescribeFusionGroup(group)}\n{group.Subgraph}");
                var ptx = GpuPtx.Compile(kernel.Kernel, kernel.Grouped);
                StringAssert.Contains(ptx, ".target sm_", $"{name}: {kernel.Description}");
                StringAssert.Contains(ptx, "ld.global", $"{name}: {kernel.Description}");
                Assert.IsFalse(ptx.Contains("call.uni", StringComparison.Ordinal), $"{name}: the fused body was not inlined ({kernel.Description})\n{ptx}");
                checkedGroups++;
            }
        Assert.IsTrue(checkedGroups >= 4, $"only {checkedGroups} fusion groups were produced");
        var w4 = Groups(traces[1].Item2).Single();
        StringAssert.Contains(GpuPtx.Compile(CudaBackend.KernelOf(w4)!.Kernel), "ld.global.v4.f32", "W4's flat kernel loads quads");
    }

    [TestMethod]
    public void GeneratedCodeShowsTheKernelsAndOptionallyTheirPtx()
    {
        var (a, b) = (Tensor.Randn([64], generator: new Generator(1)).Cuda(), Tensor.Randn([64], generator: new Generator(2)).Cuda());
        var traced = Jit.Trace(t => (t[0] * 0.5 + t[1]).Tanh() * t[0] + t[1], [a, b]);
        StringAssert.Contains(traced.GeneratedCode, "one ILGPU kernel Flat<Single, FusionGroup");
        Assert.IsFalse(traced.GeneratedCode.Contains(".entry", StringComparison.Ordinal), "PTX only when asked");
        var withPtx = Jit.Trace(t => (t[0] * 0.5 + t[1]).Tanh() * t[0] + t[1], [a, b], new TraceOptions { ShowPtx = true });
        StringAssert.Contains(withPtx.GeneratedCode, ".entry");
        StringAssert.Contains(withPtx.GeneratedCode, "tanh");
    }
}
