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
    private static T[] Run<T>(T[] a, T[] b, T[] c, GpuGemmArgs p, int batch) where T : unmanaged
    {
        var acc = GpuTestDevice.Shared;
        GpuGemm.CheckExtents(p, batch, a.Length, b.Length, c.Length);
        using var da = acc.Allocate1D(a);
        using var db = acc.Allocate1D(b);
        using var dc = acc.Allocate1D(c);
        GpuTestDevice.Cached(GpuGemm.Load<T>)(acc.DefaultStream, GpuGemm.Config(p.M, p.N, batch), da.View, db.View, dc.View, p);
        acc.Synchronize();
        return dc.GetAsArray1D();
    }

    /// <summary>The same product in float64 from the same strides (for float64 operands: the same products, summed in order).</summary>
    private static double Reference(Func<int, double> a, Func<int, double> b, Func<int, double> c, GpuGemmArgs p, int at)
    {
        int bi = at / Math.Max(1, p.CBatchStride == 0 ? int.MaxValue : p.CBatchStride);
        int rest = at - bi * p.CBatchStride - p.COffset, i = rest / p.Ldc, j = rest % p.Ldc;
        double s = 0;
        for (int q = 0; q < p.K; q++)
            s += a(p.AOffset + bi * p.ABatchStride + i * p.ARowStride + q * p.AColStride) * b(p.BOffset + bi * p.BBatchStride + q * p.BRowStride + j * p.BColStride);
        double v = p.Alpha * s + (p.Beta != 0 ? p.Beta * c(at) : 0);
        return p.Relu != 0 && v < 0 ? 0 : v;
    }

    /// <summary>A's, B's and C's layouts for batches of dense (or transposed, read through strides) problems.</summary>
    private static GpuGemmArgs Args(int m, int n, int k, bool transA, bool transB, float beta, bool relu, float alpha) => new()
    {
        M = m, N = n, K = k, Alpha = alpha, Beta = beta, Relu = relu ? 1 : 0,
        ARowStride = transA ? 1 : k, AColStride = transA ? m : 1, ABatchStride = m * k,
        BRowStride = transB ? 1 : n, BColStride = transB ? k : 1, BBatchStride = k * n,
        Ldc = n, CBatchStride = m * n,
    };

    private static void Check(int m, int n, int k, bool transA, bool transB, float beta, bool relu, int batch = 1, float alpha = 1)
    {
        var a = GpuTestDevice.Random(batch * m * k, 1);
        var b = GpuTestDevice.Random(batch * k * n, 2);
        var c = GpuTestDevice.Random(batch * m * n, 3);
        if (beta == 0) Array.Fill(c, float.NaN);   // ignored entirely when beta is 0
        var p = Args(m, n, k, transA, transB, beta, relu, alpha);
        var result = Run(a, b, c, p, batch);
        for (int at = 0; at < result.Length; at++)
        {
            double expected = Reference(i => a[i], i => b[i], i => c[i], p, at);
            Assert.AreEqual(expected, result[at], 1e-5 * (k + 1), $"C[{at}] of {m}×{n}×{k} (transA={transA}, transB={transB}, beta={beta}, relu={relu}, batch={batch})");
        }
    }

    /// <summary>Uniform float64 values in [-1, 1) with all 53 bits of mantissa (not widened floats).</summary>
    private static double[] Random64(int n, int seed)
    {
        var r = new Random(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.NextDouble() * 2 - 1;
        return v;
    }

    /// <summary>The float64 kernel against the float64 loop: each output is a sum of K products, so the bound is ~K·ε relative to Σ|a·b|.</summary>
    private static void Check64(int m, int n, int k, bool transA, bool transB, float beta, bool relu, int batch = 1, float alpha = 1)
    {
        var a = Random64(batch * m * k, 11);
        var b = Random64(batch * k * n, 12);
        var c = Random64(batch * m * n, 13);
        if (beta == 0) Array.Fill(c, double.NaN);
        var p = Args(m, n, k, transA, transB, beta, relu, alpha);
        var result = Run(a, b, c, p, batch);
        for (int at = 0; at < result.Length; at++)
        {
            double expected = Reference(i => a[i], i => b[i], i => c[i], p, at);
            double scale = Reference(i => Math.Abs(a[i]), i => Math.Abs(b[i]), i => Math.Abs(c[i]), p with { Relu = 0, Alpha = Math.Abs(p.Alpha) }, at);
            Assert.AreEqual(expected, result[at], (k + 2) * 2.3e-16 * scale,
                $"float64 C[{at}] of {m}×{n}×{k} (transA={transA}, transB={transB}, beta={beta}, relu={relu}, batch={batch})");
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
    [DataRow(1, 1, 1)]
    [DataRow(5, 7, 3)]
    [DataRow(70, 33, 45)]
    [DataRow(3, 130, 17)]
    public void Float64MatchesFloat64LoopsAtEdgeSizes(int m, int n, int k) => Check64(m, n, k, transA: false, transB: false, beta: 0, relu: false);

    [TestMethod]
    public void Float64ReadsTransposedOperandsAccumulatesAppliesReluAndRunsBatches()
    {
        Check64(19, 23, 29, transA: true, transB: false, beta: 0, relu: false);
        Check64(65, 9, 40, transA: true, transB: true, beta: 0, relu: false);
        Check64(33, 17, 20, transA: false, transB: true, beta: 1, relu: true, alpha: 0.5f);
        Check64(20, 12, 9, transA: true, transB: true, beta: 1, relu: false, batch: 3);
    }

    [TestMethod]
    public void Float64KeepsTheBitsFloat32WouldLose()
    {
        // 1 + 2^-40 survives a float64 product and is 1 in float32: the kernel really accumulates in float64.
        double tiny = Math.Pow(2, -40);
        var p = Args(1, 1, 2, transA: false, transB: false, beta: 0, relu: false, alpha: 1);
        var r = Run(new[] { 1.0, tiny }, new[] { 1.0, 1.0 }, new[] { 0.0 }, p, 1);
        Assert.AreEqual(1 + tiny, r[0], 0.0);
    }

    [TestMethod]
    public void IntegerElementTypesAreRefusedNamingTheType()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => GpuGemm.Load<long>(GpuTestDevice.Shared));
        StringAssert.Contains(e.Message, "GPU GEMM: element type Int64 is not supported (float32 and float64 only");
        e = Assert.ThrowsExactly<NotSupportedException>(() => GpuGemm.Load<int>(GpuTestDevice.Shared));
        StringAssert.Contains(e.Message, "element type Int32");
    }

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
        var n = Assert.ThrowsExactly<NotSupportedException>(() => GpuGemm.Load<float>(acc));
        StringAssert.Contains(n.Message, "needs groups of 256 threads");
    }

    [TestMethod]
    public void CompilesToPtxForSm90WithSharedTilesAndNoCalls()
    {
        var ptx = GpuTestDevice.Ptx(typeof(GpuGemm), "Kernel", explicitlyGrouped: true, typeof(float), typeof(F32));
        GpuTestDevice.AssertHot(ptx, "the float32 GEMM", shared: true);
        // The float32 instance of the generic body is plain float code: products and sums (ptxas contracts each pair into
        // an FMA), 16 of each in the inner loop, no float64 and no conversions.
        StringAssert.Contains(ptx, "ld.global.f32");
        StringAssert.Contains(ptx, "ld.shared.f32");
        StringAssert.Contains(ptx, "mul.f32");
        StringAssert.Contains(ptx, "add.f32");
        Assert.IsFalse(ptx.Contains(".f64") || ptx.Contains("cvt.rn") || ptx.Contains("cvt.f"), "the float32 GEMM converts or touches float64:\n" + ptx);
        var ptx64 = GpuTestDevice.Ptx(typeof(GpuGemm), "Kernel", explicitlyGrouped: true, typeof(double), typeof(F64));
        GpuTestDevice.AssertHot(ptx64, "the float64 GEMM", shared: true);
        StringAssert.Contains(ptx64, "ld.global.f64");
        StringAssert.Contains(ptx64, "ld.shared.f64");
        StringAssert.Contains(ptx64, "mul.f64");
        Assert.IsFalse(ptx64.Contains("mul.f32") || ptx64.Contains("add.f32"), "the float64 GEMM computes in float32");
    }
}
