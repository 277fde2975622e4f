using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;
using Trace.Optim;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// The CUDA optimizers' multi-tensor step (one launch per chunk of <see cref="GpuChunk{TSlot}.Capacity"/> parameters)
/// against the CPU's step: more parameters than one chunk holds, of varied sizes (0-dim, size 1, empty), with null
/// gradients on some steps (so step counts differ within a group), mixed dtypes and devices; and the launches a step queues.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaMultiTensorOptimTests
{
    private static readonly int[][] Shapes =
    [
        [], [1], [7], [3, 5], [0], [2, 3, 4], [64], [1, 1], [129], [5, 5],
        [2], [31], [4, 4, 2], [17], [], [3], [100], [6, 7], [1], [48],
    ];

    private static readonly (string Name, Func<Tensor[], Optimizer> Make)[] Optimizers =
    [
        ("Adam", p => new Adam(p, lr: 0.01)),
        ("Adam wd amsgrad maximize", p => new Adam(p, lr: 0.01, weightDecay: 0.1, amsgrad: true, maximize: true)),
        ("AdamW", p => new AdamW(p, lr: 0.01, weightDecay: 0.1)),
        ("AdamW amsgrad", p => new AdamW(p, lr: 0.02, amsgrad: true)),
        ("SGD wd", p => new SGD(p, lr: 0.1, weightDecay: 0.01)),
        ("SGD momentum dampening", p => new SGD(p, lr: 0.05, momentum: 0.9, dampening: 0.2, weightDecay: 0.01)),
        ("SGD nesterov maximize", p => new SGD(p, lr: 0.05, momentum: 0.9, nesterov: true, maximize: true)),
    ];

    /// <summary>
    /// Parameter <paramref name="i"/> has no gradient on <paramref name="step"/>: every third parameter takes its first
    /// step (Adam's t = 1, SGD's new momentum buffer) on the last step, beside parameters at t = 3 and t = 4.
    /// </summary>
    private static bool Skipped(int i, int step) => i % 3 == 1 ? step < 3 : i % 5 == 0 && step == 1;

    /// <summary>Runs four steps of <paramref name="make"/> over fresh copies of the parameters on <paramref name="devices"/>[i].</summary>
    private static (Tensor[] Params, Optimizer Opt) Train(Func<Tensor[], Optimizer> make, DType[] dtypes, Device[] devices)
    {
        var ps = Shapes.Select((s, i) => CudaCompare.Values(s, dtypes[i], seed: 10 + i).To(devices[i]).Clone().RequiresGrad_()).ToArray();
        var opt = make(ps);
        for (int step = 0; step < 4; step++)
        {
            opt.ZeroGrad();
            for (int i = 0; i < ps.Length; i++)
                if (!Skipped(i, step)) ps[i].Grad = CudaCompare.Values(Shapes[i], dtypes[i], scale: 1, seed: 100 * step + i).To(devices[i]);
            opt.Step();
        }
        return (ps, opt);
    }

    private static void AssertSame(Tensor[] cpu, Tensor[] gpu, DType[] dtypes, string what)
    {
        for (int i = 0; i < cpu.Length; i++)
        {
            // The CPU accelerator runs the kernels' IEEE operations in .NET: bit for bit the CPU kernels'. A GPU may fuse a multiply-add.
            double rtol = GpuRuntime.OnCpuAccelerator ? 0 : dtypes[i] == DType.Float64 ? 1e-12 : 1e-6;
            CudaCompare.Close(cpu[i].Detach(), gpu[i].Detach(), rtol, 0, $"{what}: parameter {i} {Trace.Shapes.Format(Shapes[i])} {dtypes[i]}");
        }
    }

    [TestMethod]
    public void TwentyParametersWithSkippedGradientsMatchTheCpuStepForEveryOptimizer()
    {
        var f64 = Enumerable.Repeat(DType.Float64, Shapes.Length).ToArray();
        foreach (var (name, make) in Optimizers)
        {
            var (cpu, cpuOpt) = Train(make, f64, [.. Enumerable.Repeat(Device.Cpu, Shapes.Length)]);
            var (gpu, gpuOpt) = Train(make, f64, [.. Enumerable.Repeat(Device.Cuda(), Shapes.Length)]);
            AssertSame(cpu, gpu, f64, name);
            var steps = gpu.Select(p => gpuOpt.State[p].Step).ToArray();
            CollectionAssert.AreEqual(cpu.Select(p => cpuOpt.State[p].Step).ToArray(), steps, $"{name}: step counts");
            Assert.IsTrue(steps.Distinct().Count() > 1, $"{name}: the test skips gradients so that step counts differ within the group");
        }
    }

    [TestMethod]
    public void MixedDtypesAndDevicesInOneGroupMatchTheCpuStep()
    {
        var mixed = Shapes.Select((_, i) => i % 3 == 0 ? DType.Float32 : DType.Float64).ToArray();
        var cpuOnly = Enumerable.Repeat(Device.Cpu, Shapes.Length).ToArray();
        var someCpu = Shapes.Select((_, i) => i % 7 == 3 ? Device.Cpu : Device.Cuda()).ToArray();
        foreach (var (name, make) in new[] { Optimizers[1], Optimizers[5] })
        {
            var (cpu, _) = Train(make, mixed, cpuOnly);
            var (gpu, _) = Train(make, mixed, someCpu);
            for (int i = 0; i < cpu.Length; i++)
            {
                Assert.AreEqual(someCpu[i], gpu[i].Device, $"{name}: parameter {i} stays on its device");
                var g = gpu[i].Detach();
                if (g.Device == Device.Cpu) CollectionAssert.AreEqual(Reference.Values(cpu[i].Detach()), Reference.Values(g), $"{name}: CPU parameter {i}");
                else AssertSame([cpu[i]], [gpu[i]], [mixed[i]], $"{name} (mixed, index {i})");
            }
        }
    }

    [TestMethod]
    public void ATwentyParameterStepQueuesOneLaunchPerChunk()
    {
        int chunks = (20 + GpuChunk<GpuAdamSlot<float>>.Capacity - 1) / GpuChunk<GpuAdamSlot<float>>.Capacity;
        foreach (var (name, make, dtypes, expected) in new (string, Func<Tensor[], Optimizer>, DType[], int)[]
        {
            ("Adam float32", p => new Adam(p, lr: 0.01), [.. Enumerable.Repeat(DType.Float32, 20)], chunks),
            ("SGD momentum float32", p => new SGD(p, lr: 0.1, momentum: 0.9), [.. Enumerable.Repeat(DType.Float32, 20)], chunks),
            ("Adam 10 float32 + 10 float64", p => new Adam(p, lr: 0.01), [.. Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? DType.Float32 : DType.Float64)], 2),
        })
        {
            var ps = Enumerable.Range(0, 20).Select(i => CudaCompare.Values([1 + 13 * i], dtypes[i], seed: i).Cuda().RequiresGrad_()).ToArray();
            var grads = ps.Select((p, i) => CudaCompare.Values([1 + 13 * i], dtypes[i], scale: 1, seed: 50 + i).Cuda()).ToArray();
            var opt = make(ps);
            for (int i = 0; i < ps.Length; i++) ps[i].Grad = grads[i];
            opt.Step();   // creates the state (zero fills) and compiles the kernels
            long before = GpuRuntime.Device.KernelLaunches;
            opt.Step();   // contiguous gradients of the parameters' dtypes: the update is all the step queues
            Assert.AreEqual(expected, GpuRuntime.Device.KernelLaunches - before, $"{name}: launches of one step of 20 parameters");
        }
    }
}
