using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>The GPU runtime and kernels on ILGPU's CPU accelerator, and their PTX for sm_90.</summary>
[TestClass]
[DoNotParallelize]
public class GpuKernelTests
{
    [TestMethod]
    public void TheTestSwitchGivesTheCpuAcceleratorAndItsQueries()
    {
        Assert.IsTrue(GpuRuntime.OnCpuAccelerator);
        Assert.IsTrue(GpuRuntime.IsAvailable);
        Assert.IsNull(GpuRuntime.UnavailableReason);
        Assert.AreEqual(1, GpuRuntime.DeviceCount);
        var d = GpuRuntime.Device;
        Assert.IsTrue(d.OnCpuAccelerator);
        Assert.IsFalse(string.IsNullOrEmpty(d.Name));
        Assert.AreEqual((0, 0), d.ComputeCapability);
        StringAssert.Contains(d.DriverVersion, "CPU accelerator");
    }

    [TestMethod]
    public void WithoutTheSwitchADeviceWithoutTheDriverGivesTheReasonNeverTheCpu()
    {
        string? why = GpuRuntime.ProbeCudaForTests();
        bool driver = System.Runtime.InteropServices.NativeLibrary.TryLoad("libcuda.so.1", out var lib);
        if (driver) System.Runtime.InteropServices.NativeLibrary.Free(lib);
        if (!driver)
        {
            Assert.IsNotNull(why);
            StringAssert.Contains(why, "no CUDA driver library (libcuda.so.1");
        }
        else if (why is not null)
            StringAssert.Contains(why, "device");   // a driver without a usable device says which
    }

    [TestMethod]
    public void BinaryKernelsAgreeWithScalarLoopsDenseAndBroadcast()
    {
        var d = GpuRuntime.Device;
        const int rows = 7, cols = 13;
        var x = Enumerable.Range(0, rows * cols).Select(i => (float)Math.Sin(i)).ToArray();
        var y = Enumerable.Range(0, cols).Select(i => i * 0.25f - 1).ToArray();
        var bx = d.Pool.Allocate(x.Length * 4L, false);
        var by = d.Pool.Allocate(y.Length * 4L, false);
        var br = d.Pool.Allocate(x.Length * 4L, false);
        try
        {
            GpuCopy.FromHost<float>(d, x, bx.View<float>(x.Length));
            GpuCopy.FromHost<float>(d, y, by.View<float>(y.Length));
            // y broadcast along rows (stride 0): the strided path.
            var l = GpuLayout.Create([rows, cols], [[cols, 1], [cols, 1], [0, 1]], [0, 0, 0], "test", out bool dense);
            Assert.IsFalse(dense);
            GpuElementwise.Binary<float, Scalar2<float, MulOp<float>>>(d, br.View<float>(x.Length), bx.View<float>(x.Length), by.View<float>(y.Length), l, dense, x.Length);
            var r = new float[x.Length];
            GpuCopy.ToHost(d, br.View<float>(x.Length), r);
            for (int i = 0; i < x.Length; i++) Assert.AreEqual(x[i] * y[i % cols], r[i], $"element {i}");
            // Same shapes and contiguous: one merged dense run.
            var l2 = GpuLayout.Create([rows, cols], [[cols, 1], [cols, 1], [cols, 1]], [0, 0, 0], "test", out bool dense2);
            Assert.IsTrue(dense2);
            Assert.AreEqual(1, l2.Rank);
            GpuElementwise.Binary<float, GpuMaximum>(d, br.View<float>(x.Length), bx.View<float>(x.Length), bx.View<float>(x.Length), l2, dense2, x.Length);
            GpuCopy.ToHost(d, br.View<float>(x.Length), r);
            CollectionAssert.AreEqual(x, r);
        }
        finally
        {
            d.Pool.Free(bx); d.Pool.Free(by); d.Pool.Free(br);
        }
    }

    [TestMethod]
    public void DenseRunsAtMultiplesOfFourTakeTheVectorPathWithItsTailAndOthersTheScalarPath()
    {
        var d = GpuRuntime.Device;
        var x = Enumerable.Range(0, 64).Select(i => (double)Math.Sin(i) * 3).ToArray();
        var bx = d.Pool.Allocate(x.Length * 8L, false);
        var br = d.Pool.Allocate(x.Length * 8L, false);
        try
        {
            GpuCopy.FromHost<double>(d, x, bx.View<double>(x.Length));
            // Offsets 0 and 4 (vector path) and 2 (scalar path); lengths with tails of 0 to 3 elements.
            foreach (var (ro, xo, n) in new[] { (0, 0, 16), (4, 8, 19), (0, 4, 50), (2, 2, 30), (4, 1, 17), (0, 0, 7) })
            {
                Assert.AreEqual(n >= 16 && ro % 4 == 0 && xo % 4 == 0, GpuElementwise.UseQuads<double>(n, ro, xo), $"vector path for ({ro}, {xo}, {n})");
                var l = GpuLayout.Create([n], [[1], [1], [1]], [ro, xo, 0], "test", out bool dense);
                GpuCopy.Fill(d, br.View<double>(x.Length), -7.0);
                GpuElementwise.Binary<double, Scalar2<double, AddOp<double>>>(d, br.View<double>(x.Length), bx.View<double>(x.Length), bx.View<double>(x.Length), l, dense, n);
                var r = new double[x.Length];
                GpuCopy.ToHost(d, br.View<double>(x.Length), r);
                for (int i = 0; i < x.Length; i++)
                    Assert.AreEqual(i >= ro && i < ro + n ? x[i - ro + xo] + x[i - ro] : -7.0, r[i], $"({ro}, {xo}, {n}) element {i}");
                var u = GpuLayout.Create([n], [[1], [1]], [ro, xo], "test", out bool udense);
                GpuElementwise.Unary<double, GpuTanh>(d, br.View<double>(x.Length), bx.View<double>(x.Length), u, udense, n);
                GpuCopy.ToHost(d, br.View<double>(x.Length), r);
                for (int i = ro; i < ro + n; i++) Assert.AreEqual(Math.Tanh(x[i - ro + xo]), r[i], 1e-15, $"tanh ({ro}, {xo}, {n}) element {i}");
            }
        }
        finally
        {
            d.Pool.Free(bx); d.Pool.Free(br);
        }
    }

    [TestMethod]
    public void LayoutsBeyondEightDimsAfterMergingAreRefusedByName()
    {
        int[] shape = [2, 2, 2, 2, 2, 2, 2, 2, 2];
        // A transposed operand (reversed strides) cannot merge any dim.
        int[] st = [256, 128, 64, 32, 16, 8, 4, 2, 1];
        int[] rev = [1, 2, 4, 8, 16, 32, 64, 128, 256];
        var e = Assert.ThrowsExactly<NotSupportedException>(() => GpuLayout.Create(shape, [st, rev], [0, 0], "aten::add", out _));
        StringAssert.Contains(e.Message, "aten::add");
        StringAssert.Contains(e.Message, "9 dims");
        var ok = GpuLayout.Create(shape, [st, st], [0, 0], "aten::add", out bool dense);
        Assert.IsTrue(dense);
    }

    private static void BadKernel(Index1D i, ArrayView<float> r) => r[i] = ExpOp.Apply(r[i]);

    private static void GoodKernel(Index1D i, ArrayView<float> r) => r[i] = r[i] + 1;

    [TestMethod]
    public void AKernelIlgpuCannotCompileIsAClearErrorAndLaterKernelsStillWork()
    {
        var d = GpuRuntime.Device;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            d.Kernel((Action<Index1D, ArrayView<float>>)BadKernel, a => a.LoadAutoGroupedKernel<Index1D, ArrayView<float>>(BadKernel)));
        StringAssert.Contains(e.Message, "BadKernel");
        StringAssert.Contains(e.Message, "failed to compile");
        var now = GpuRuntime.Device;
        var b = now.Pool.Allocate(16, false);
        try
        {
            GpuCopy.FromHost<float>(now, [1, 2, 3, 4], b.View<float>(4));
            var k = now.Kernel((Action<Index1D, ArrayView<float>>)GoodKernel, a => a.LoadAutoGroupedKernel<Index1D, ArrayView<float>>(GoodKernel));
            lock (now.Gate) k(now.Stream, 4, b.View<float>(4));
            var r = new float[4];
            GpuCopy.ToHost(now, b.View<float>(4), r);
            CollectionAssert.AreEqual(new float[] { 2, 3, 4, 5 }, r);
        }
        finally
        {
            now.Pool.Free(b);
        }
    }

    [TestMethod]
    public void KernelsCompileToPtxForSm90WithGlobalLoadsAndNoCalls()
    {
        var dense = GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>)GpuElementwise.BinaryDense<float, Scalar2<float, AddOp<float>>>));
        StringAssert.Contains(dense, ".target sm_");
        StringAssert.Contains(dense, "ld.global");
        StringAssert.Contains(dense, "st.global");
        StringAssert.Contains(dense, "add.f32");
        Assert.IsFalse(dense.Contains("call", StringComparison.Ordinal), dense);
        // The vector path: 16-byte loads and stores of four floats.
        var quads = GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<Quad<float>>, ArrayView<Quad<float>>, ArrayView<Quad<float>>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>)
            GpuElementwise.BinaryQuads<float, Scalar2<float, AddOp<float>>>));
        StringAssert.Contains(quads, "ld.global.v4.f32");
        StringAssert.Contains(quads, "st.global.v4.f32");
        Assert.IsFalse(quads.Contains("call", StringComparison.Ordinal), quads);
        var strided = GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<float>, ArrayView<float>, GpuLayout, int, int>)GpuElementwise.UnaryStrided<float, GpuTanh>));
        StringAssert.Contains(strided, "ld.global");
        Assert.IsFalse(strided.Contains("call", StringComparison.Ordinal), strided);
        // Casts, where and comparisons: global loads and stores, no calls.
        foreach (var ptx in new[]
        {
            GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<long>, ArrayView<float>, GpuLayout, int, int>)GpuCopy.CastStrided<float, long, F32, I64>)),
            GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<float>, ArrayView<byte>, ArrayView<float>, ArrayView<float>, GpuLayout, int, int>)GpuElementwise.WhereStrided<float>)),
            GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<byte>, ArrayView<float>, ArrayView<float>, GpuLayout, int, int>)GpuElementwise.CompareStrided<float, ScalarCompare<float, LtOp<float>>>)),
            GpuPtx.Compile(GpuPtx.Method((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>)GpuElementwise.BinaryDense<float, GpuGeluBackward>)),
        })
        {
            StringAssert.Contains(ptx, "ld.global");
            StringAssert.Contains(ptx, "st.global");
            Assert.IsFalse(ptx.Contains("call", StringComparison.Ordinal), ptx);
        }
    }
}
