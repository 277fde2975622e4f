using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Optim;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// The CUDA fused optimizer steps against the CPU's over several steps (every option that changes the update), and the
/// device's counter-based random fills: reproducible per seed, independent per draw, the right distribution; dropout on CUDA.
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaOptimAndRandomTests
{
    private static readonly Func<Tensor[], Optimizer>[] Optimizers =
    [
        p => new SGD(p, lr: 0.1),
        p => new SGD(p, lr: 0.05, momentum: 0.9, weightDecay: 0.01),
        p => new SGD(p, lr: 0.05, momentum: 0.9, nesterov: true),
        p => new Adam(p, lr: 0.01),
        p => new Adam(p, lr: 0.01, weightDecay: 0.1, amsgrad: true),
        p => new AdamW(p, lr: 0.01, weightDecay: 0.1),
        p => new Adam(p, lr: 0.01, maximize: true),
    ];

    [TestMethod]
    public void OptimizerStepsOnCudaMatchTheCpuStepForStep()
    {
        // Every option in float64; the float32 kernels with SGD's momentum and Adam's AMSGrad (the CPU accelerator is slow).
        foreach (var (dt, o) in Enumerable.Range(0, Optimizers.Length).Select(o => (DType.Float64, o)).Concat([(DType.Float32, 1), (DType.Float32, 4)]))
            {
                var w0 = CudaCompare.Values([5, 7], dt, seed: 40 + o);
                var b0 = CudaCompare.Values([7], dt, seed: 50 + o);
                (Tensor W, Tensor B) Train(Device d)
                {
                    var (w, b) = (w0.Clone().To(d).RequiresGrad_(), b0.Clone().To(d).RequiresGrad_());   // copies: the steps update in place
                    var opt = Optimizers[o]([w, b]);
                    var x = CudaCompare.Values([3, 5], dt, seed: 60).To(d);
                    for (int step = 0; step < 3; step++)
                    {
                        opt.ZeroGrad();
                        x.Unsqueeze(2).Mul(w).Sum(1).Add(b).Square().Sum().Backward();   // a matmul by broadcasting: float64 too
                        opt.Step();
                    }
                    return (w, b);
                }
                var (cw, cb) = Train(Device.Cpu);
                var (gw, gb) = Train(Device.Cuda());
                double rtol = dt == DType.Float32 ? 1e-4 : 1e-10;
                CudaCompare.Close(cw.Detach(), gw.Detach(), rtol, rtol, $"optimizer {o} weights {dt}");
                CudaCompare.Close(cb.Detach(), gb.Detach(), rtol, rtol, $"optimizer {o} bias {dt}");
            }
    }

    [TestMethod]
    public void OptimizerStateMadeInsideADisposeScopeOutlivesItOnEveryDevice()
    {
        foreach (var device in new[] { Device.Cpu, Device.Cuda() })
            foreach (var make in new Func<Tensor[], Optimizer>[] { p => new Adam(p, lr: 0.01, amsgrad: true), p => new SGD(p, lr: 0.1, momentum: 0.9) })
            {
                Tensor Train(bool scoped)
                {
                    var w = CudaCompare.Values([4, 3], DType.Float32, seed: 70).To(device).Clone().RequiresGrad_();
                    var opt = make([w]);
                    for (int step = 0; step < 3; step++)
                    {
                        using var scope = scoped ? Tensor.NewDisposeScope() : null;
                        opt.ZeroGrad();
                        w.Square().Sum().Backward();
                        opt.Step();   // the first step creates the state inside the scope
                    }
                    return w.Detach();
                }
                var plain = Train(scoped: false);
                var scoped = Train(scoped: true);
                CollectionAssert.AreEqual(plain.ToArray<float>(), scoped.ToArray<float>(), $"{device}: the same steps with and without scopes");
            }
    }

    [TestMethod]
    public void CudaRandomFillsAreReproducibleIndependentAndDistributedRight()
    {
        var g = new Generator(123);
        var u1 = Tensor.Rand([4099], DType.Float32, g, Device.Cuda());
        var u2 = Tensor.Rand([4099], DType.Float32, g, Device.Cuda());
        Assert.AreEqual(Device.Cuda(), u1.Device);
        g.ManualSeed(123);
        CollectionAssert.AreEqual(u1.ToArray<float>(), Tensor.Rand([4099], DType.Float32, g, Device.Cuda()).ToArray<float>(), "the same seed repeats the draw");
        CollectionAssert.AreNotEqual(u1.ToArray<float>(), u2.ToArray<float>(), "the next draw is another stream");
        var a = u1.ToArray<float>();
        Assert.IsTrue(a.All(v => v >= 0 && v < 1), "uniform values lie in [0, 1)");
        Assert.AreEqual(0.5, a.Average(), 0.02, "uniform mean");
        Assert.AreEqual(1.0 / 12, a.Select(v => (v - 0.5) * (v - 0.5)).Average(), 0.005, "uniform variance");
        var n = Tensor.Randn([5001], DType.Float64, g, Device.Cuda()).ToArray<double>();
        Assert.AreEqual(0, n.Average(), 0.05, "normal mean");
        Assert.AreEqual(1, n.Select(v => v * v).Average() - n.Average() * n.Average(), 0.06, "normal variance");
        var i = Tensor.Randint(3, 9, [1000], g, Device.Cuda());
        Assert.AreEqual(Device.Cuda(), i.Device);
        var iv = i.ToArray<long>();
        Assert.IsTrue(iv.All(v => v >= 3 && v < 9) && iv.Distinct().Count() == 6, "randint covers [3, 9) and nothing else");
    }

    [TestMethod]
    public void DropoutRunsOnCudaKeepingAboutOneMinusPAndScaling()
    {
        var x = Tensor.Ones(64, 64).Cuda();
        x.RequiresGrad = true;
        var y = Trace.Nn.Functional.Dropout(x, 0.25, training: true, generator: new Generator(9));
        Assert.AreEqual(Device.Cuda(), y.Device);
        var v = y.ToArray<float>();
        Assert.IsTrue(v.All(e => e == 0 || Math.Abs(e - 1 / 0.75f) < 1e-6), "kept elements are scaled by 1/(1 - p)");
        Assert.AreEqual(0.75, v.Count(e => e != 0) / (double)v.Length, 0.03, "about 1 - p are kept");
        y.Sum().Backward();
        CollectionAssert.AreEqual(v, x.Grad!.ToArray<float>(), "the gradient is the same mask and scale");
    }
}
