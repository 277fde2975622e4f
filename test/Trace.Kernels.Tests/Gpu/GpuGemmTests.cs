using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU GEMM on ILGPU's CPU accelerator (the shared simulated device with groups of 256 threads, <see cref="GpuTestDevice"/>) against float64 loops: edges,
/// transposed operands through strides, beta, relu, batches; its PTX for sm_90; and its extent checks.
/// </summary>
[TestClass]
public sealed class GpuGemmTests
{
    /// <summary>Runs the kernel on host arrays and returns C.</summary>
    private static float[] Run(float[] a, float[] b, float[] c, GpuGemmArgs p, int batch)
    {
        var acc = GpuTestDevice.Shared;
        GpuGemm.CheckExtents(p, batch, a.Length, b.Length, c.Length);
        using var da = acc.Allocate1D(a);
        using var db = acc.Allocate1D(b);
        using var dc = acc.Allocate1D(c);
        GpuTestDevice.Cached(GpuGemm.Load)(acc.DefaultStream, GpuGemm.Config(p.M, p.N, batch), da.View, db.View, dc.View, p);
        acc.Synchronize();
        return dc.GetAsArray1D();
    }

    /// <summary>The same product in float64 from the same strides.</summary>
    private static double Reference(float[] a, float[] b, float[] c, GpuGemmArgs p, int batch, int at)
    {
        int bi = at / Math.Max(1, p.CBatchStride == 0 ? int.MaxValue : p.CBatchStride);
        int rest = at - bi * p.CBatchStride - p.COffset, i = rest / p.Ldc, j = rest % p.Ldc;
        double s = 0;
        for (int q = 0; q < p.K; q++)
            s += (double)a[p.AOffset + bi * p.ABatchStride + i * p.ARowStride + q * p.AColStride] * b[p.BOffset + bi * p.BBatchStride + q * p.BRowStride + j * p.BColStride];
        double v = p.Alpha * s + (p.Beta != 0 ? p.Beta * (double)c[at] : 0);
        return p.Relu != 0 && v < 0 ? 0 : v;
    }

    private static void Check(int m, int n, int k, bool transA, bool transB, float beta, bool relu, int batch = 1, float alpha = 1)
    {
        var a = GpuTestDevice.Random(batch * m * k, 1);
        var b = GpuTestDevice.Random(batch * k * n, 2);
        var c = GpuTestDevice.Random(batch * m * n, 3);
        if (beta == 0) Array.Fill(c, float.NaN);   // ignored entirely when beta is 0
        var p = new GpuGemmArgs
        {
            M = m, N = n, K = k, Alpha = alpha, Beta = beta, Relu = relu ? 1 : 0,
            ARowStride = transA ? 1 : k, AColStride = transA ? m : 1, ABatchStride = m * k,
            BRowStride = transB ? 1 : n, BColStride = transB ? k : 1, BBatchStride = k * n,
            Ldc = n, CBatchStride = m * n,
        };
        var result = Run(a, b, c, p, batch);
        for (int at = 0; at < result.Length; at++)
        {
            double expected = Reference(a, b, c, p, batch, at);
            Assert.AreEqual(expected, result[at], 1e-5 * (k + 1), $"C[{at}] of {m}×{n}×{k} (transA={transA}, transB={transB}, beta={beta}, relu={relu}, batch={batch})");
        }
    }

    [TestMethod]
    [DataRow(1, 1, 1)]
    [DataRow(5, 7, 3)]
    [DataRow(64, 64, 16)]
    [DataRow(70, 33, 45)]
    [DataRow(3, 130, 17)]
    public void MatchesFloat64LoopsAtEdgeSizes(int m, int n, int k) => Check(m, n, k, transA: false, transB: false, beta: 0, relu: false);

    [TestMethod]
    public void ReadsTransposedOperandsThroughTheirStrides()
    {
        Check(19, 23, 29, transA: true, transB: false, beta: 0, relu: false);
        Check(19, 23, 29, transA: false, transB: true, beta: 0, relu: false);
        Check(65, 9, 40, transA: true, transB: true, beta: 0, relu: false);
    }

    [TestMethod]
    public void AccumulatesWithBetaScalesWithAlphaAndAppliesRelu()
    {
        Check(33, 17, 20, transA: false, transB: false, beta: 1, relu: false, alpha: 0.5f);
        Check(33, 17, 20, transA: false, transB: true, beta: 1, relu: true);
        Check(8, 70, 5, transA: false, transB: false, beta: 0, relu: true);
    }

    [TestMethod]
    public void RunsABatchInOneLaunch() => Check(20, 12, 9, transA: false, transB: true, beta: 1, relu: false, batch: 3);

    [TestMethod]
    public void AnOperandThatExceedsItsViewIsAnErrorBeforeLaunch()
    {
        var p = new GpuGemmArgs { M = 4, N = 4, K = 4, ARowStride = 4, AColStride = 1, BRowStride = 4, BColStride = 1, Ldc = 4, Alpha = 1 };
        var e = Assert.ThrowsExactly<ArgumentException>(() => GpuGemm.CheckExtents(p, 1, 15, 16, 16));
        StringAssert.Contains(e.Message, "GPU GEMM: A (4×4, strides 4, 1, offset 0, batch stride 0) exceeds its 15 elements");
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuGemm.CheckExtents(p with { Ldc = 5 }, 1, 16, 16, 16));
        StringAssert.Contains(e.Message, "GPU GEMM: C (4×4, ldc 5");
        using var small = Context.Create(b => b.CPU(CPUDevice.Default));
        using var acc = small.Devices[0].CreateAccelerator(small);
        var n = Assert.ThrowsExactly<NotSupportedException>(() => GpuGemm.Load(acc));
        StringAssert.Contains(n.Message, "needs groups of 256 threads");
    }

    [TestMethod]
    public void CompilesToPtxForSm90WithSharedTilesAndNoCalls()
    {
        var ptx = GpuTestDevice.Ptx(typeof(GpuGemm), "Kernel", explicitlyGrouped: true);
        StringAssert.Contains(ptx, ".target sm_");
        StringAssert.Contains(ptx, "ld.global");
        StringAssert.Contains(ptx, "st.global");
        StringAssert.Contains(ptx, ".shared");
        StringAssert.Contains(ptx, "bar.sync");
        // Accumulators stay in registers: nothing goes to local memory (ILGPU puts arrays there).
        Assert.IsFalse(ptx.Contains(".local"), "the GEMM kernel uses local memory");
        Assert.IsFalse(ptx.Contains("call.uni") || ptx.Contains("\tcall "), "the GEMM kernel calls a function:\n" + ptx[..Math.Min(ptx.Length, 4000)]);
    }
}
