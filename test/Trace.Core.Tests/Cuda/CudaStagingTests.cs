using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Core.Tests.Cuda;

/// <summary>
/// Tensor transfers through the device's page-locked staging buffers, with a 64-byte chunk so that small tensors span
/// several chunks: every dtype at chunk edges, strided CPU sources, reads (Item, ToArray, printing), back-to-back
/// uploads before one read, and the memory statistics (staging is host memory, not allocated device memory).
/// </summary>
[TestClass]
[DoNotParallelize]
public class CudaStagingTests
{
    private const int Chunk = 64;

    [TestInitialize]
    public void SmallChunks() => GpuRuntime.Device.Staging.SetChunkBytesForTests(Chunk);

    [TestCleanup]
    public void DefaultChunks() => GpuRuntime.Device.Staging.SetChunkBytesForTests(GpuStaging.DefaultChunkBytes);

    private static readonly DType[] DTypes = [DType.Float32, DType.Float64, DType.Int64, DType.Int32, DType.Bool];

    [TestMethod]
    public void EveryDtypeRoundTripsAtChunkEdges()
    {
        foreach (var dt in DTypes)
        {
            int c = Chunk / dt.ElementSize();
            foreach (int n in new[] { 0, 1, c - 1, c, c + 1, 3 * c + 5 })
            {
                var t = CudaCompare.Values([n], dt, seed: n + 1);
                var back = t.Cuda().Cpu();
                CollectionAssert.AreEqual(Reference.Values(t), Reference.Values(back), $"{dt.TorchName()} × {n}");
            }
        }
    }

    [TestMethod]
    public void StridedCpuSourcesGoUpContiguousAcrossChunks()
    {
        foreach (var dt in DTypes)
        {
            var a = CudaCompare.Values([9, 13], dt, seed: 4);
            foreach (var (view, what) in new[] { (a.T, "transpose"), (a.Slice(1, 1, 13, 3), "stepped columns"), (a.T.Narrow(0, 2, 7).Select(1, 4), "a column of a narrowed transpose") })
            {
                var up = view.Cuda();
                Assert.IsTrue(up.IsContiguous, what);
                CollectionAssert.AreEqual(Reference.Values(view), Reference.Values(up.Cpu()), $"{dt.TorchName()} {what}");
            }
        }
    }

    [TestMethod]
    public void ReadsOfValuesSeeTheDataOfEveryChunk()
    {
        var t = Tensor.From(Enumerable.Range(0, 3 * Chunk / sizeof(float) + 5).Select(i => i * 0.5f).ToArray(), [53]);
        var c = t.Cuda();
        CollectionAssert.AreEqual(t.ToArray<float>(), c.ToArray<float>());
        Assert.AreEqual(26f, c.Select(0, 52).Item<float>());
        Assert.AreEqual(t.ToString().Replace(")", ", device='cuda:0')"), c.ToString());
        var l = Tensor.From(Enumerable.Range(0, 20).Select(i => (long)i * i).ToArray(), [4, 5]).Cuda();
        Assert.AreEqual(19L * 19, l.Select(0, 3).Select(0, 4).Item<long>());
    }

    [TestMethod]
    public void BackToBackUploadsBeforeOneReadAllArrive()
    {
        var staging = GpuRuntime.Device.Staging;
        var host = new double[3 * Chunk / sizeof(double) + 5];
        var expected = new List<double[]>();
        var uploaded = new List<Tensor>();
        long waits = staging.Waits;
        for (int u = 0; u < 20; u++)
        {
            for (int i = 0; i < host.Length; i++) host[i] = u * 100 + i;   // the same host array, rewritten after each upload
            uploaded.Add(Tensor.From(host, [host.Length]).Cuda());
            expected.Add((double[])host.Clone());
        }
        var sum = uploaded.Aggregate((x, y) => x.Add(y));   // device work queued behind the uploads, then one read
        var total = new double[host.Length];
        foreach (var e in expected) for (int i = 0; i < total.Length; i++) total[i] += e[i];
        CollectionAssert.AreEqual(total, sum.ToArray<double>());
        for (int u = 0; u < uploaded.Count; u++) CollectionAssert.AreEqual(expected[u], uploaded[u].ToArray<double>(), $"upload {u}");
        Assert.IsTrue(staging.Waits - waits >= 20 * 4 - GpuStaging.BufferCount, "every refill of a staging buffer waited for its previous copy");
    }

    [TestMethod]
    public void StagingIsNotCountedAsAllocatedDeviceMemory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var cpu = CudaCompare.Values([100], DType.Float32);   // 400 bytes: 7 chunks
        long before = Trace.Cuda.MemoryAllocated();
        var gpu = cpu.Cuda();
        Assert.AreEqual(GpuMemoryPool.RoundSize(400), Trace.Cuda.MemoryAllocated() - before, "only the tensor's block is allocated");
        long allocated = Trace.Cuda.MemoryAllocated(), reserved = Trace.Cuda.MemoryReserved();
        CollectionAssert.AreEqual(Reference.Values(cpu), Reference.Values(gpu.Cpu()));
        Assert.AreEqual(allocated, Trace.Cuda.MemoryAllocated(), "a read allocates no device memory");
        Assert.AreEqual(reserved, Trace.Cuda.MemoryReserved());
        Assert.AreEqual(GpuStaging.BufferCount * Chunk, GpuRuntime.Device.Staging.PinnedBytes, "the staging buffers are host memory, counted apart");
        gpu.Storage.Dispose();
    }
}
