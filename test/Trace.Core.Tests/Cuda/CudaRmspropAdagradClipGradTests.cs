using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// RMSprop, Adagrad and gradient clipping on CUDA against the CPU, step for step: they are built from in-place tensor ops,
/// so the same code runs on every device; their state made inside a DisposeScope outlives it there too.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaRmspropAdagradClipGradTests
{
    // The configurations that take every branch: RMSprop centered with momentum and weight decay, RMSprop maximize,
    // Adagrad with every option. (The CPU accelerator is slow: the CPU tests cover each option against the reference.)
    private static readonly Func<Tensor[], Optimizer>[] Optimizers =
    [
        p => new RMSprop(p, lr: 0.01, alpha: 0.9, momentum: 0.9, centered: true, weightDecay: 0.1),
        p => new RMSprop(p, lr: 0.02, maximize: true),
        p => new Adagrad(p, lr: 0.1, lrDecay: 0.2, weightDecay: 0.05, initialAccumulatorValue: 0.3, maximize: true),
    ];

    [TestMethod]
    public void RmspropAndAdagradOnCudaMatchTheCpuStepForStep()
    {
        foreach (var dt in new[] { DType.Float64, DType.Float32 })
            for (int o = 0; o < Optimizers.Length; o++)
            {
                int[][] shapes = [[5, 7], [7]];
                (Tensor[] Params, Optimizer Opt) Train(Device d)
                {
                    var ps = shapes.Select((s, i) => CudaCompare.Values(s, dt, seed: 80 + 10 * o + i).To(d).Clone().RequiresGrad_()).ToArray();
                    var opt = Optimizers[o](ps);
                    for (int step = 0; step < 3; step++)
                    {
                        for (int i = 0; i < ps.Length; i++) ps[i].Grad = CudaCompare.Values(shapes[i], dt, scale: 1, seed: 100 * step + i).To(d);
                        opt.Step();
                    }
                    return (ps, opt);
                }
                var (cpu, co) = Train(Device.Cpu);
                var (gpu, go) = Train(Device.Cuda());
                double rtol = dt == DType.Float32 ? 1e-5 : 1e-12;
                string what = $"{go.Name} {o} {dt}";
                for (int i = 0; i < cpu.Length; i++)
                {
                    CudaCompare.Close(cpu[i].Detach(), gpu[i].Detach(), rtol, rtol, $"{what} parameter {i}");
                    var (cs, gs) = (co.State[cpu[i]], go.State[gpu[i]]);
                    if (cs.Sum is not null) CudaCompare.Close(cs.Sum, gs.Sum!, rtol, rtol, $"{what} sum {i}");
                    if (cs.SquareAvg is not null) CudaCompare.Close(cs.SquareAvg, gs.SquareAvg!, rtol, rtol, $"{what} square_avg {i}");
                }
                Assert.AreNotEqual(CudaCompare.Values(shapes[0], dt, seed: 80 + 10 * o).ToArray<double>()[1], cpu[0].ToArray<double>()[1], $"{what}: the weights moved");
            }
    }

    [TestMethod]
    public void StateMadeInsideADisposeScopeOutlivesIt()
    {
        foreach (var device in new[] { Device.Cpu, Device.Cuda() })
            foreach (var make in new Func<Tensor[], Optimizer>[] { Optimizers[0], Optimizers[2] })
            {
                Tensor Train(bool scoped)
                {
                    var w = CudaCompare.Values([4, 3], DType.Float32, seed: 71).To(device).Clone().RequiresGrad_();
                    var opt = make([w]);
                    for (int step = 0; step < 3; step++)
                    {
                        using var scope = scoped ? Tensor.NewDisposeScope() : null;
                        opt.ZeroGrad();
                        w.Square().Sum().Backward();
                        opt.Step();
                    }
                    return w.Detach();
                }
                CollectionAssert.AreEqual(Train(scoped: false).ToArray<float>(), Train(scoped: true).ToArray<float>(), $"{device}: the same steps with and without scopes");
            }
    }

    [TestMethod]
    public void ClipGradNormAndValueOnCudaMatchTheCpu()
    {
        foreach (var (dt, normType) in new[] { (DType.Float64, 2.0), (DType.Float32, 2.0), (DType.Float64, double.PositiveInfinity), (DType.Float64, 1.0) })
            {
                Tensor[] Params(Device d) => [.. new[] { new[] { 6, 5 }, new[] { 13 }, new int[0] }.Select((s, i) =>
                {
                    var p = Tensor.Zeros(s, dt, d).RequiresGrad_();
                    p.Grad = CudaCompare.Values(s, dt, scale: 2, seed: 30 + i).To(d);
                    return p;
                }).Append(Tensor.Zeros([3], dt, d).RequiresGrad_())];   // no gradient
                var (cpu, gpu) = (Params(Device.Cpu), Params(Device.Cuda()));
                var ct = Utils.ClipGradNorm_(cpu, maxNorm: 0.5, normType: normType);
                var gt = Utils.ClipGradNorm_(gpu, maxNorm: 0.5, normType: normType);
                double rtol = dt == DType.Float32 ? 1e-5 : 1e-12;
                string what = $"norm {normType} {dt}";
                CudaCompare.Close(ct, gt, rtol, 0, $"{what} total norm (0-dim, on the parameters' device)");
                Assert.IsGreaterThan(0.5, ct.Item(), $"{what}: the test clips");
                for (int i = 0; i < 3; i++) CudaCompare.Close(cpu[i].Grad!, gpu[i].Grad!, rtol, 1e-12, $"{what} gradient {i}");
                Assert.IsNull(gpu[3].Grad);

                Utils.ClipGradValue_(cpu, 0.01);
                Utils.ClipGradValue_(gpu, 0.01);
                for (int i = 0; i < 3; i++) CudaCompare.Close(cpu[i].Grad!, gpu[i].Grad!, rtol, 1e-12, $"{what} clip value {i}");
                Assert.IsTrue(Reference.Values(gpu[1].Grad!.Cpu()).All(v => Math.Abs(v) <= 0.01), what);
            }
    }
}
