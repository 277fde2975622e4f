using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>The caching allocator on the CPU accelerator: buckets, reuse, statistics, the out-of-memory path.</summary>
[TestClass]
[DoNotParallelize]
public class GpuMemoryPoolTests
{
    [TestMethod]
    public void RequestsRoundToPyTorchsBuckets()
    {
        Assert.AreEqual(512, GpuMemoryPool.RoundSize(0));
        Assert.AreEqual(512, GpuMemoryPool.RoundSize(1));
        Assert.AreEqual(512, GpuMemoryPool.RoundSize(512));
        Assert.AreEqual(1024, GpuMemoryPool.RoundSize(513));
        Assert.AreEqual((1 << 20) - 512 + 512, GpuMemoryPool.RoundSize((1 << 20) - 1));
        Assert.AreEqual(2 << 20, GpuMemoryPool.RoundSize(1 << 20));
        Assert.AreEqual(4 << 20, GpuMemoryPool.RoundSize((2 << 20) + 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GpuMemoryPool.RoundSize(-1));
    }

    [TestMethod]
    public void AFreedBlockServesTheNextRequestOfItsBucket()
    {
        var pool = GpuRuntime.Device.Pool;
        pool.EmptyCache();
        var s0 = pool.Stats;
        var a = pool.Allocate(1000, zeroed: true);
        Assert.AreEqual(1024, a.Size);
        var s1 = pool.Stats;
        Assert.AreEqual(s0.AllocatedBytes + 1024, s1.AllocatedBytes);
        Assert.AreEqual(s0.Misses + 1, s1.Misses);
        pool.Free(a);
        var s2 = pool.Stats;
        Assert.AreEqual(s0.AllocatedBytes, s2.AllocatedBytes);
        Assert.AreEqual(s1.ReservedBytes, s2.ReservedBytes, "a freed block stays reserved in the cache");
        var b = pool.Allocate(900, zeroed: false);
        Assert.AreSame(a, b, "same bucket: the cached block is reused");
        Assert.AreEqual(s0.Hits + 1, pool.Stats.Hits);
        Assert.IsTrue(pool.Stats.PeakAllocatedBytes >= s0.AllocatedBytes + 1024);
        pool.Free(b);
        var again = Assert.ThrowsExactly<InvalidOperationException>(() => pool.Free(b));
        StringAssert.Contains(again.Message, "already freed");
        pool.EmptyCache();
        Assert.AreEqual(pool.Stats.AllocatedBytes, pool.Stats.ReservedBytes, "EmptyCache gives every free block back");
    }

    [TestMethod]
    public void AZeroByteRequestGetsASmallestBlock()
    {
        var pool = GpuRuntime.Device.Pool;
        var b = pool.Allocate(0, zeroed: true);
        Assert.AreEqual(GpuMemoryPool.SmallGranularity, b.Size);
        pool.Free(b);
    }

    [TestMethod]
    public void ZeroedBlocksReadAsZeroEvenWhenReused()
    {
        var d = GpuRuntime.Device;
        var a = d.Pool.Allocate(64 * sizeof(float), zeroed: false);
        GpuCopy.FromHost<float>(d, Enumerable.Repeat(7f, 64).ToArray(), a.View<float>(64));
        d.Pool.Free(a);
        var b = d.Pool.Allocate(64 * sizeof(float), zeroed: true);
        Assert.AreSame(a, b);
        var host = new float[64];
        GpuCopy.ToHost(d, b.View<float>(64), host);
        CollectionAssert.AreEqual(new float[64], host);
        d.Pool.Free(b);
    }

    [TestMethod]
    public void OutOfMemoryReleasesTheCacheRetriesThenNamesBytesAndPoolState()
    {
        var pool = GpuRuntime.Device.Pool;
        pool.EmptyCache();
        long baseReserved = pool.Stats.ReservedBytes;
        pool.Limit = baseReserved + 4096;
        try
        {
            var a = pool.Allocate(3000, zeroed: false);
            pool.Free(a);
            long flushes = pool.Stats.CacheFlushes;
            // 2048 more does not fit next to the cached 3072: the cache is released and the retry succeeds.
            var b = pool.Allocate(2048, zeroed: false);
            Assert.AreEqual(flushes + 1, pool.Stats.CacheFlushes);
            Assert.AreEqual(0, pool.Stats.CachedBlocks);
            long allocated = pool.Stats.AllocatedBytes;
            var e = Assert.ThrowsExactly<GpuOutOfMemoryException>(() => pool.Allocate(3000, zeroed: false));
            StringAssert.Contains(e.Message, "tried to allocate 3000 bytes");
            StringAssert.Contains(e.Message, "3072-byte block");
            StringAssert.Contains(e.Message, $"{baseReserved + 4096} bytes");
            StringAssert.Contains(e.Message, $"{allocated} bytes allocated");
            Assert.AreEqual(3000, e.RequestedBytes);
            pool.Free(b);
            var c = pool.Allocate(3000, zeroed: false);
            pool.Free(c);
        }
        finally
        {
            pool.Limit = null;
            pool.EmptyCache();
        }
    }
}
