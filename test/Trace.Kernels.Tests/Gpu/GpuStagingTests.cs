using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime.CPU;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>
/// Host↔device copies through the page-locked staging buffers, on the CPU accelerator with a 64-byte chunk (so chunk
/// edges are small): every element type at chunk edges, many uploads before one read (the reuse guard), the memory
/// statistics (staging is host memory) and disposal with the device.
/// </summary>
[TestClass]
[DoNotParallelize]
public class GpuStagingTests
{
    private const int Chunk = 64;

    [TestInitialize]
    public void SmallChunks() => GpuRuntime.Device.Staging.SetChunkBytesForTests(Chunk);

    [TestCleanup]
    public void DefaultChunks() => GpuRuntime.Device.Staging.SetChunkBytesForTests(GpuStaging.DefaultChunkBytes);

    /// <summary>Uploads <paramref name="data"/> into a fresh block, downloads it into a new array and returns that.</summary>
    private static T[] RoundTrip<T>(T[] data) where T : unmanaged
    {
        var d = GpuRuntime.Device;
        var block = d.Pool.Allocate((long)data.Length * Marshal.SizeOf<T>(), zeroed: false);
        try
        {
            GpuCopy.FromHost<T>(d, data, block.View<T>(data.Length));
            var back = new T[data.Length];
            GpuCopy.ToHost(d, block.View<T>(data.Length), back.AsSpan());
            return back;
        }
        finally
        {
            d.Pool.Free(block);
        }
    }

    private static void CheckAtChunkEdges<T>(Func<int, T> value) where T : unmanaged
    {
        int c = Chunk / Marshal.SizeOf<T>();
        foreach (int n in new[] { 0, 1, c - 1, c, c + 1, 3 * c + 5 })
        {
            var data = Enumerable.Range(0, n).Select(value).ToArray();
            long chunks0 = GpuRuntime.Device.Staging.Chunks;
            CollectionAssert.AreEqual(data, RoundTrip(data), $"{typeof(T).Name} × {n}");
            Assert.AreEqual(2 * (((long)n * Marshal.SizeOf<T>() + Chunk - 1) / Chunk), GpuRuntime.Device.Staging.Chunks - chunks0,
                $"{typeof(T).Name} × {n}: chunks up and down");
        }
    }

    [TestMethod]
    public void EveryElementTypeRoundTripsAtChunkEdges()
    {
        CheckAtChunkEdges(i => i * 0.37f - 5);
        CheckAtChunkEdges(i => Math.PI * i - 1e300 / (i + 1));
        CheckAtChunkEdges(i => long.MaxValue - 3L * i);
        CheckAtChunkEdges(i => int.MinValue + 7 * i);
        CheckAtChunkEdges(i => (byte)(i % 3 == 0 ? 1 : 0));   // bool's device form
    }

    [TestMethod]
    public void ManyUploadsBeforeOneReadEachLandWhereTheyWereSent()
    {
        var d = GpuRuntime.Device;
        const int perUpload = 3 * Chunk / sizeof(float) + 5, uploads = 25;
        var block = d.Pool.Allocate((long)perUpload * uploads * sizeof(float), zeroed: true);
        try
        {
            var view = block.View<float>(perUpload * uploads);
            var host = new float[perUpload];   // one host buffer, rewritten after each upload: the staging holds the data
            long waits0 = d.Staging.Waits, chunks0 = d.Staging.Chunks;
            for (int u = 0; u < uploads; u++)
            {
                for (int i = 0; i < perUpload; i++) host[i] = u * 1000 + i;
                GpuCopy.FromHost<float>(d, host, view.SubView(u * perUpload, perUpload));
            }
            long chunks = d.Staging.Chunks - chunks0;
            Assert.AreEqual(uploads * 4L, chunks, "3 chunks + 5 floats is 4 chunks per upload");
            // The buffers start free (the test set the chunk size); every later refill found its buffer's copy pending.
            Assert.AreEqual(chunks - GpuStaging.BufferCount, d.Staging.Waits - waits0, "the reuse guard waited before each refill");
            var back = new float[perUpload * uploads];
            GpuCopy.ToHost(d, view, back.AsSpan());
            for (int u = 0; u < uploads; u++)
                for (int i = 0; i < perUpload; i++)
                    Assert.AreEqual(u * 1000 + i, back[u * perUpload + i], $"upload {u}, element {i}");
        }
        finally
        {
            d.Pool.Free(block);
        }
    }

    [TestMethod]
    public void StagingIsHostMemoryOutsideThePoolStatistics()
    {
        var d = GpuRuntime.Device;
        Assert.AreEqual(0, d.Staging.PinnedBytes, "no buffers before the first transfer");
        var block = d.Pool.Allocate(4 * Chunk, zeroed: false);
        try
        {
            var before = d.Pool.Stats;
            var data = Enumerable.Range(0, Chunk / sizeof(int)).ToArray();
            GpuCopy.FromHost<int>(d, data, block.View<int>(data.Length));
            Assert.AreEqual(Chunk, d.Staging.PinnedBytes, "one chunk: one buffer allocated");
            var more = Enumerable.Range(0, 4 * Chunk / sizeof(int)).ToArray();
            GpuCopy.FromHost<int>(d, more, block.View<int>(more.Length));
            var back = new int[more.Length];
            GpuCopy.ToHost(d, block.View<int>(more.Length), back.AsSpan());
            CollectionAssert.AreEqual(more, back);
            Assert.AreEqual(GpuStaging.BufferCount * Chunk, d.Staging.PinnedBytes);
            var after = d.Pool.Stats;
            Assert.AreEqual(before.AllocatedBytes, after.AllocatedBytes, "staging is not allocated device memory");
            Assert.AreEqual(before.ReservedBytes, after.ReservedBytes);
            Assert.AreEqual(before.Hits + before.Misses, after.Hits + after.Misses, "transfers make no pool requests");
        }
        finally
        {
            d.Pool.Free(block);
        }
    }

    [TestMethod]
    public void MismatchedLengthsAreAnErrorNamingBoth()
    {
        var d = GpuRuntime.Device;
        var block = d.Pool.Allocate(64, zeroed: false);
        try
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => GpuCopy.FromHost<float>(d, new float[5], block.View<float>(4)));
            StringAssert.Contains(e.Message, "GPU copy from host: 5 host elements into a device run of 4");
            e = Assert.ThrowsExactly<ArgumentException>(() => GpuCopy.ToHost(d, block.View<float>(4), new float[3].AsSpan()));
            StringAssert.Contains(e.Message, "GPU copy to host: a device run of 4 elements into 3 host elements");
        }
        finally
        {
            d.Pool.Free(block);
        }
    }

    [TestMethod]
    public void TheStagingIsFreedWithItsDevice()
    {
        var context = Context.Create(b => b.CPU(new CPUDevice(32, 8, 1)));
        var d = new GpuDevice(context, context.Devices[0], onCpuAccelerator: true);
        var block = d.Pool.Allocate(40, zeroed: false);
        double[] data = [1, 2, 3, 4, 5];
        GpuCopy.FromHost<double>(d, data, block.View<double>(5));
        var back = new double[5];
        GpuCopy.ToHost(d, block.View<double>(5), back.AsSpan());
        CollectionAssert.AreEqual(data, back);
        Assert.AreEqual(GpuStaging.BufferCount * GpuStaging.DefaultChunkBytes, d.Staging.PinnedBytes, "a new device stages in 4 MB chunks; the read took the second buffer");
        d.Dispose();
        Assert.AreEqual(0, d.Staging.PinnedBytes);
        Assert.ThrowsExactly<ObjectDisposedException>(() => GpuCopy.FromHost<double>(d, data, default));
    }
}
