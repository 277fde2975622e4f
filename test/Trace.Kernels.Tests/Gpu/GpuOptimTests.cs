using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU's multi-tensor SGD and Adam/AdamW steps on ILGPU's CPU accelerator, over several steps, against float64 loops
/// of PyTorch's formulas (torch.optim.SGD / Adam / AdamW) and against Trace's CPU kernels, with the tensors of a launch
/// split into slots of varied lengths; the grid-stride cover of a chunk at any thread count; their PTX for sm_90.
/// </summary>
[TestClass]
public sealed class GpuOptimTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    private const int N = 1037;

    /// <summary>Slot boundaries inside one buffer of <see cref="N"/> elements: a size-1 tensor, an empty one, odd sizes.</summary>
    private static readonly int[] Splits = [1, 0, 500, 3, N - 504];

    private static (int Start, int Length)[] Slots()
    {
        var r = new (int, int)[Splits.Length];
        for (int k = 0, s = 0; k < Splits.Length; s += Splits[k], k++) r[k] = (s, Splits[k]);
        return r;
    }

    private static ArrayView<T> Part<T>(MemoryBuffer1D<T, Stride1D.Dense> b, (int Start, int Length) s) where T : unmanaged =>
        b.View.SubView(s.Start, s.Length);

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
            var chunk = default(GpuChunk<GpuSgdSlot<float>>);
            foreach (var s in Slots())
                Assert.IsTrue(chunk.TryAdd(new GpuSgdSlot<float>(Part(dp, s), Part(dg, s), hasBuf ? Part(dbuf, s) : ArrayView<float>.Empty, step == 1)));
            Assert.AreEqual(N, chunk.Total);
            load(Acc.DefaultStream, 64, chunk, new GpuSgdArgs<float>(args, hasBuf), 64);
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
            Assert.AreEqual(cpu[i], result[i], $"SGD param {i} against the CPU kernel");
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
            var chunk = default(GpuChunk<GpuAdamSlot<float>>);
            foreach (var s in Slots())
                Assert.IsTrue(chunk.TryAdd(new GpuAdamSlot<float>(Part(dp, s), Part(dg, s), Part(dm, s), Part(dv, s), amsgrad ? Part(dx, s) : ArrayView<float>.Empty, args)));
            load(Acc.DefaultStream, 64, chunk, new GpuAdamArgs<float>(args, amsgrad), 64);
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
            Assert.AreEqual(cpu[i], result[i], $"Adam param {i} against the CPU kernel");
            Assert.AreEqual(v[i], moments[i], 1e-6 * v[i] + 1e-12, $"exp_avg_sq {i}");
        }
    }

    [TestMethod]
    public void AFullFloat64ChunkWithPerTensorStepScalarsMatchesTheCpuKernelExactly()
    {
        // 16 tensors of varied lengths, each at its own step count (as after steps where some gradients were null).
        int cap = GpuChunk<GpuAdamSlot<double>>.Capacity;
        var lengths = Enumerable.Range(0, cap).Select(k => k % 5 == 0 ? 1 : 3 + 37 * k % 101).ToArray();
        var chunk = default(GpuChunk<GpuAdamSlot<double>>);
        var cpu = new List<(double[] P, double[] G, double[] M, double[] V, AdamStepArgs<double> A)>();
        var buffers = new List<MemoryBuffer1D<double, Stride1D.Dense>>();
        MemoryBuffer1D<double, Stride1D.Dense> Upload(double[] a) { var b = Acc.Allocate1D(a); buffers.Add(b); return b; }
        try
        {
            for (int k = 0; k < cap; k++)
            {
                int n = lengths[k], t = 1 + k % 4;
                double bc1 = 1 - Math.Pow(0.9, t), bc2 = Math.Sqrt(1 - Math.Pow(0.999, t));
                var args = new AdamStepArgs<double>(1e-3 * bc2 / bc1, 0.9, 0.1, 0.999, 1e-3, 1e-8 * bc2, 0.01, 1, false);
                var p = GpuTestDevice.Random(n, 100 + k).Select(x => (double)x).ToArray();
                var g = GpuTestDevice.Random(n, 200 + k).Select(x => (double)x).ToArray();
                var m = GpuTestDevice.Random(n, 300 + k).Select(x => 0.1 * x).ToArray();
                var v = GpuTestDevice.Random(n, 400 + k).Select(x => 0.01 * x * x).ToArray();
                Assert.IsTrue(chunk.TryAdd(new GpuAdamSlot<double>(Upload(p).View, Upload(g).View, Upload(m).View, Upload(v).View, ArrayView<double>.Empty, args)));
                cpu.Add((p, g, m, v, args));
            }
            Assert.IsFalse(chunk.TryAdd(new GpuAdamSlot<double>(buffers[0].View, buffers[1].View, buffers[2].View, buffers[3].View, ArrayView<double>.Empty, cpu[0].A)),
                "a full chunk takes no 17th tensor");
            Assert.AreEqual(lengths.Sum(), chunk.Total);
            GpuTestDevice.Cached(GpuOptim.LoadAdam<double>)(Acc.DefaultStream, 96, chunk, new GpuAdamArgs<double>(cpu[0].A, amsgrad: false), 96);
            Acc.Synchronize();
            for (int k = 0; k < cap; k++)
            {
                var (p, g, m, v, a) = cpu[k];
                OptimKernels.AdamStep(p, g, m, v, Span<double>.Empty, a);
                CollectionAssert.AreEqual(p, buffers[4 * k].GetAsArray1D(), $"tensor {k} (step scalars of step {1 + k % 4})");
                CollectionAssert.AreEqual(v, buffers[4 * k + 3].GetAsArray1D(), $"exp_avg_sq of tensor {k}");
            }
        }
        finally
        {
            foreach (var b in buffers) b.Dispose();
        }
    }

    [TestMethod]
    public void EveryElementOfAChunkIsUpdatedOnceAtAnyThreadCount()
    {
        // SGD with lr 1, gradient 1: each update subtracts exactly 1, so a skipped or doubled element shows.
        int[] lengths = [1, 0, 5, 13, 3, 64, 2];
        int total = lengths.Sum();
        using var dp = Acc.Allocate1D<float>(total);
        using var dg = Acc.Allocate1D(Enumerable.Repeat(1f, total).ToArray());
        var args = new GpuSgdArgs<float>(new SgdStepArgs<float>(1, 0, 0, 1, false, false, false), momentumBuffer: false);
        var load = GpuTestDevice.Cached(GpuOptim.LoadSgd<float>);
        foreach (int threads in new[] { 1, 2, 3, 7, 13, 64, 200 })
        {
            dp.MemSetToZero();
            var chunk = default(GpuChunk<GpuSgdSlot<float>>);
            for (int k = 0, s = 0; k < lengths.Length; s += lengths[k], k++)
                chunk.TryAdd(new GpuSgdSlot<float>(dp.View.SubView(s, lengths[k]), dg.View.SubView(s, lengths[k]), ArrayView<float>.Empty, false));
            load(Acc.DefaultStream, threads, chunk, args, threads);
            Acc.Synchronize();
            CollectionAssert.AreEqual(Enumerable.Repeat(-1f, total).ToArray(), dp.GetAsArray1D(), $"{threads} threads");
        }
    }

    [TestMethod]
    public void TheFirstElementOfAThreadInASlotFollowsTheGridStride()
    {
        // Thread 2 of 5 takes 2, 7, 12, ...: its first element of [8, 20) is 12, of [13, 14) none.
        Assert.AreEqual(12, GpuChunk<GpuSgdSlot<float>>.First(2, 8, 20, 5));
        Assert.AreEqual(14, GpuChunk<GpuSgdSlot<float>>.First(2, 13, 14, 5));
        Assert.AreEqual(2, GpuChunk<GpuSgdSlot<float>>.First(2, 0, 20, 5));
        Assert.AreEqual(3, GpuChunk<GpuSgdSlot<float>>.First(4, 2, 3, 5), "a thread past the slot's end takes none");
        Assert.AreEqual(int.MaxValue, GpuChunk<GpuSgdSlot<float>>.First(0, int.MaxValue - 1, int.MaxValue, 1 << 30), "no overflow near int.MaxValue");
    }

    [TestMethod]
    public void BadLengthsAndTypesAreErrors()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => GpuOptim.CheckLengths("Adam step", 10, ("gradient", 10), ("exp_avg", 9)));
        StringAssert.Contains(e.Message, "GPU Adam step: the exp_avg has 9 elements but the parameter has 10.");
        Assert.ThrowsExactly<NotSupportedException>(() => GpuOptim.LoadAdam<int>(Acc));
        using var a = Acc.Allocate1D<float>(10);
        using var b = Acc.Allocate1D<float>(9);
        var chunk = default(GpuChunk<GpuAdamSlot<float>>);
        chunk.TryAdd(new GpuAdamSlot<float>(a.View, a.View, a.View, a.View, b.View, default));
        var amsgrad = new GpuAdamArgs<float>(default, amsgrad: true);
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuOptim.Adam(GpuRuntime.Device, chunk, amsgrad));
        StringAssert.Contains(e.Message, "GPU Adam step: the max_exp_avg_sq has 9 elements but the parameter has 10.");
        var sgd = default(GpuChunk<GpuSgdSlot<float>>);
        sgd.TryAdd(new GpuSgdSlot<float>(a.View, b.View, ArrayView<float>.Empty, true));
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuOptim.Sgd(GpuRuntime.Device, sgd, default));
        StringAssert.Contains(e.Message, "GPU SGD step: the gradient has 9 elements but the parameter has 10.");
    }

    [TestMethod]
    public void CompileToPtxForSm90WithoutCallsOrLocalMemory()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.SgdKernel), false, typeof(float), typeof(F32)), "SGD f32", shared: false);
        var adam = GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.AdamKernel), false, typeof(float), typeof(F32));
        GpuTestDevice.AssertHot(adam, "Adam f32", shared: false);
        StringAssert.Contains(adam, "sqrt.rn.f32", "Adam's IEEE square root");
        var adam64 = GpuTestDevice.Ptx(typeof(GpuOptim), nameof(GpuOptim.AdamKernel), false, typeof(double), typeof(F64));
        GpuTestDevice.AssertHot(adam64, "Adam f64", shared: false);
        Assert.IsTrue(GpuTestDevice.ParamBytes(adam64) < 4096, $"the float64 Adam chunk is {GpuTestDevice.ParamBytes(adam64)} bytes of kernel parameters (CUDA's limit: 4096)");
    }
}
