using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU's fused SGD and Adam/AdamW steps on ILGPU's CPU accelerator, over several steps, against float64 loops of
/// PyTorch's formulas (torch.optim.SGD / Adam / AdamW) and against Trace's CPU kernels; their PTX for sm_90.
/// </summary>
[TestClass]
public sealed class GpuOptimTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    private const int N = 1037;

    [TestMethod]
    [DataRow(0.0, 0.0, false, 0.0, false)]
    [DataRow(0.9, 0.0, false, 0.01, false)]
    [DataRow(0.9, 0.3, false, 0.0, true)]
    [DataRow(0.8, 0.0, true, 0.05, false)]
    public void SgdMatchesPyTorchsFormulaAndTheCpuKernel(double momentum, double dampening, bool nesterov, double wd, bool maximize)
    {
        const double lr = 0.1;
        var p = GpuTestDevice.Random(N, 1);
        var cpu = (float[])p.Clone();
        var reference = p.Select(v => (double)v).ToArray();
        var refBuf = new double[N];
        var cpuBuf = new float[N];
        var load = GpuTestDevice.Cached(GpuOptim.LoadSgd<float>);
        using var dp = Acc.Allocate1D(p);
        using var dbuf = Acc.Allocate1D<float>(N);
        using var dg = Acc.Allocate1D<float>(N);
        bool hasBuf = momentum != 0;
        for (int step = 1; step <= 3; step++)
        {
            var g = GpuTestDevice.Random(N, 10 + step);
            var args = new SgdStepArgs<float>((float)lr, (float)wd, (float)momentum, (float)(1 - dampening), nesterov, maximize, step == 1);
            dg.CopyFromCPU(g);
            load(Acc.DefaultStream, N, dp.View, dg.View, dbuf.View, new GpuSgdArgs<float>(N, args, hasBuf));
            OptimKernels.SgdStep(cpu, g, hasBuf ? cpuBuf : Span<float>.Empty, args);
            for (int i = 0; i < N; i++)   // torch.optim.SGD's single-tensor step
            {
                double d = maximize ? -g[i] : g[i];
                if (wd != 0) d += wd * reference[i];
                if (hasBuf)
                {
                    refBuf[i] = step == 1 ? d : momentum * refBuf[i] + (1 - dampening) * d;
                    d = nesterov ? d + momentum * refBuf[i] : refBuf[i];
                }
                reference[i] -= lr * d;
            }
        }
        Acc.Synchronize();
        var result = dp.GetAsArray1D();
        for (int i = 0; i < N; i++)
        {
            Assert.AreEqual(reference[i], result[i], 1e-6 * (1 + Math.Abs(reference[i])), $"SGD param {i}");
            Assert.AreEqual(cpu[i], result[i], 1e-7f * (1 + Math.Abs(cpu[i])), $"SGD param {i} against the CPU kernel");
        }
    }

    [TestMethod]
    [DataRow(false, false, 0.0, false)]
    [DataRow(false, true, 0.01, false)]
    [DataRow(true, false, 0.1, false)]
    [DataRow(true, true, 0.1, true)]
    public void AdamAndAdamWMatchPyTorchsFormulaAndTheCpuKernel(bool decoupled, bool amsgrad, double wd, bool maximize)
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var p0 = GpuTestDevice.Random(N, 2);
        var cpu = (float[])p0.Clone();
        float[] cm = new float[N], cv = new float[N], cx = new float[N];
        var reference = p0.Select(v => (double)v).ToArray();
        double[] m = new double[N], v = new double[N], vmax = new double[N];
        var load = GpuTestDevice.Cached(GpuOptim.LoadAdam<float>);
        using var dp = Acc.Allocate1D(p0);
        using var dg = Acc.Allocate1D<float>(N);
        using var dm = Acc.Allocate1D<float>(N);
        using var dv = Acc.Allocate1D<float>(N);
        using var dx = Acc.Allocate1D<float>(N);
        dm.MemSetToZero();
        dv.MemSetToZero();
        dx.MemSetToZero();
        for (int step = 1; step <= 3; step++)
        {
            var g = GpuTestDevice.Random(N, 20 + step);
            double bc1 = 1 - Math.Pow(b1, step), bc2 = 1 - Math.Pow(b2, step);
            var args = new AdamStepArgs<float>((float)(lr * Math.Sqrt(bc2) / bc1), (float)b1, (float)(1 - b1), (float)b2, (float)(1 - b2), (float)(eps * Math.Sqrt(bc2)),
                decoupled ? 0 : (float)wd, decoupled ? (float)(1 - lr * wd) : 1, maximize);
            dg.CopyFromCPU(g);
            load(Acc.DefaultStream, N, dp.View, dg.View, dm.View, dv.View, dx.View, new GpuAdamArgs<float>(N, args, amsgrad));
            OptimKernels.AdamStep(cpu, g, cm, cv, amsgrad ? cx : Span<float>.Empty, args);
            for (int i = 0; i < N; i++)   // torch.optim.Adam / AdamW's single-tensor step
            {
                double gi = maximize ? -g[i] : g[i];
                if (decoupled) reference[i] *= 1 - lr * wd;
                else gi += wd * reference[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                vmax[i] = Math.Max(vmax[i], v[i]);
                double denom = Math.Sqrt(amsgrad ? vmax[i] : v[i]) / Math.Sqrt(bc2) + eps;
                reference[i] -= lr / bc1 * m[i] / denom;
            }
        }
        Acc.Synchronize();
        var result = dp.GetAsArray1D();
        var moments = dv.GetAsArray1D();
        for (int i = 0; i < N; i++)
        {
            Assert.AreEqual(reference[i], result[i], 1e-5 * (1 + Math.Abs(reference[i])), $"Adam param {i}");
            Assert.AreEqual(cpu[i], result[i], 2e-7f * (1 + Math.Abs(cpu[i])), $"Adam param {i} against the CPU kernel");
            Assert.AreEqual(v[i], moments[i], 1e-6 * v[i] + 1e-12, $"exp_avg_sq {i}");
        }
    }

    [TestMethod]
    public void Float64StepsMatchTheCpuKernel()
    {
        var p = GpuTestDevice.Random(N, 3).Select(v => (double)v).ToArray();
        var g = GpuTestDevice.Random(N, 4).Select(v => (double)v).ToArray();
        var cpu = (double[])p.Clone();
        var args = new AdamStepArgs<double>(1e-3, 0.9, 0.1, 0.999, 1e-3, 1e-8, 0.01, 1, false);
        using var dp = Acc.Allocate1D(p);
        using var dg = Acc.Allocate1D(g);
        using var dm = Acc.Allocate1D<double>(N);
        using var dv = Acc.Allocate1D<double>(N);
        dm.MemSetToZero();
        dv.MemSetToZero();
        GpuTestDevice.Cached(GpuOptim.LoadAdam<double>)(Acc.DefaultStream, N, dp.View, dg.View, dm.View, dv.View, ArrayView<double>.Empty, new GpuAdamArgs<double>(N, args, amsgrad: false));
        OptimKernels.AdamStep(cpu, g, new double[N], new double[N], Span<double>.Empty, args);
        var sgd = new SgdStepArgs<double>(0.1, 0, 0.9, 1, true, false, true);
        using var db = Acc.Allocate1D<double>(N);
        GpuTestDevice.Cached(GpuOptim.LoadSgd<double>)(Acc.DefaultStream, N, dp.View, dg.View, db.View, new GpuSgdArgs<double>(N, sgd, momentumBuffer: true));
        OptimKernels.SgdStep(cpu, g, new double[N], sgd);
        Acc.Synchronize();
        var result = dp.GetAsArray1D();
        for (int i = 0; i < N; i++) Assert.AreEqual(cpu[i], result[i], 1e-15 * (1 + Math.Abs(cpu[i])), $"param {i}");
    }

    [TestMethod]
    public void BadLengthsAndTypesAreErrors()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => GpuOptim.CheckLengths("Adam step", 10, ("gradient", 10), ("exp_avg", 9)));
        StringAssert.Contains(e.Message, "GPU Adam step: the exp_avg has 9 elements but the parameter has 10.");
        Assert.ThrowsExactly<ArgumentException>(() => new GpuSgdArgs<float>(-1, default, false));
        Assert.ThrowsExactly<NotSupportedException>(() => GpuOptim.LoadAdam<int>(Acc));
    }

    [TestMethod]
    public void CompileToPtxForSm90WithoutCallsOrLocalMemory()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.SgdKernel), false, typeof(float), typeof(F32)), "SGD f32", shared: false);
        var adam = GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.AdamKernel), false, typeof(float), typeof(F32));
        GpuTestDevice.AssertHot(adam, "Adam f32", shared: false);
        StringAssert.Contains(adam, "sqrt.rn.f32", "Adam's IEEE square root");
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.AdamKernel), false, typeof(double), typeof(F64)), "Adam f64", shared: false);
    }
}
