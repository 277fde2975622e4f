using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Core.Tests.Cuda;

/// <summary>CUDA memory: scopes return blocks to the cache, statistics, out-of-memory errors and recovery.</summary>
[TestClass]
[DoNotParallelize]
public class CudaMemoryTests
{
    private static void Step(Tensor w, Tensor x)
    {
        var y = x.Mul(w).Add(1.0).Tanh();
        _ = y.Sub(x).Relu();
    }

    private static void RunSteps(int steps)
    {
        var w = Tensor.Full([64], 0.5, DType.Float32, Device.Cuda());
        var x = CudaCompare.Values([64], DType.Float32).Cuda();
        using (Tensor.NewDisposeScope()) Step(w, x);   // warm: kernels compiled, blocks cached
        // Tensors of earlier tests that were never disposed return their blocks when finalized: let that happen now, not mid-loop.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = Trace.Cuda.MemoryAllocated();
        long reserved = Trace.Cuda.MemoryReserved();
        long hits = Trace.Cuda.MemoryStats().Hits;
        for (int i = 0; i < steps; i++)
        {
            using var scope = Tensor.NewDisposeScope();
            Step(w, x);
            Assert.IsTrue(Trace.Cuda.MemoryAllocated() > before, "temporaries are allocated inside the scope");
        }
        Assert.AreEqual(before, Trace.Cuda.MemoryAllocated(), "every temporary went back when its scope closed");
        Assert.AreEqual(reserved, Trace.Cuda.MemoryReserved(), "the cache served every step: no new driver allocations");
        Assert.IsTrue(Trace.Cuda.MemoryStats().Hits >= hits + 4L * steps, "each step's blocks came from the cache");
        Assert.IsTrue(Trace.Cuda.MaxMemoryAllocated() >= before);
        w.Storage.Dispose();
        x.Storage.Dispose();
    }

    [TestMethod]
    public void AllocatedBytesStayFlatOverTwentyScopedSteps() => RunSteps(20);

    [TestMethod]
    [TestCategory("Slow")]
    public void AllocatedBytesStayFlatOverAThousandScopedSteps() => RunSteps(1000);

    [TestMethod]
    public void DisposeReturnsTheBlockAndStatisticsFollowPyTorchsNames()
    {
        long before = Trace.Cuda.MemoryAllocated();
        var t = Tensor.Zeros([1000], DType.Float32, Device.Cuda());   // 4000 bytes -> a 4096-byte block
        Assert.AreEqual(before + 4096, Trace.Cuda.MemoryAllocated());
        Assert.IsTrue(Trace.Cuda.MemoryReserved() >= Trace.Cuda.MemoryAllocated());
        t.Storage.Dispose();
        Assert.AreEqual(before, Trace.Cuda.MemoryAllocated());
        var e = Assert.ThrowsExactly<ObjectDisposedException>(() => t.Add(t));
        StringAssert.Contains(e.Message, "cuda:0");
        Trace.Cuda.EmptyCache();
        Assert.AreEqual(Trace.Cuda.MemoryAllocated(), Trace.Cuda.MemoryReserved(), "empty_cache leaves only blocks in use");
    }

    [TestMethod]
    public void OutOfMemoryNamesTheOpTheBytesAndThePoolThenRecovers()
    {
        var pool = GpuRuntime.Device.Pool;
        Trace.Cuda.EmptyCache();
        long reserved = Trace.Cuda.MemoryReserved();
        pool.Limit = reserved + (1 << 20);
        try
        {
            var keep = Tensor.Zeros([100_000], DType.Float32, Device.Cuda());   // 400 KB
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => Tensor.Zeros([1000, 1000], DType.Float32, Device.Cuda()));
            StringAssert.Contains(e.Message, "aten::zeros");
            StringAssert.Contains(e.Message, "(1000, 1000)");
            StringAssert.Contains(e.Message, "4000000 bytes");
            StringAssert.Contains(e.Message, "GPU out of memory");
            StringAssert.Contains(e.Message, "bytes allocated");
            Assert.IsInstanceOfType<GpuOutOfMemoryException>(e.InnerException);
            keep.Storage.Dispose();
            pool.Limit = null;
            Trace.Cuda.EmptyCache();
            var ok = Tensor.Zeros([1000, 1000], DType.Float32, Device.Cuda());
            Assert.AreEqual(0.0, ok.Select(0, 999).Select(0, 999).Item());
            ok.Storage.Dispose();
        }
        finally
        {
            pool.Limit = null;
            Trace.Cuda.EmptyCache();
        }
    }
}
