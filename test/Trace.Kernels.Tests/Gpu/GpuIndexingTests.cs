using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU indexing kernels on ILGPU's CPU accelerator: gather and index_select from strided sources against host loops,
/// their deterministic scatter-add backwards bit-identical to sequential loops (repeated indices), host-side index checks,
/// and their PTX for sm_90.
/// </summary>
[TestClass]
public sealed class GpuIndexingTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    /// <summary>The indexed tensor stored as (inner, dim, outer) after 3 elements of padding.</summary>
    private static GpuIndexArgs Permuted(int outer, int indexDim, int inner, int dim) => new()
    {
        Outer = outer, IndexDim = indexDim, Inner = inner, Dim = dim, Offset = 3, OuterStride = 1, DimStride = outer, InnerStride = outer * dim,
    };

    private static int At(GpuIndexArgs p, int o, int k, int i) => p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride;

    private static long[] Indices(int n, int size, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (long)r.Next(size)).ToArray();
    }

    [TestMethod]
    public void GatherReadsStridedSourcesAtTheIndex()
    {
        var p = Permuted(3, 5, 4, 7);
        var src = GpuTestDevice.Random(3 + p.TargetElements, 1);
        var index = Indices(p.IndexedElements, p.Dim, 2);
        p.Check("gather", src.Length);
        GpuIndexing.CheckIndices(index, p.Dim, 1, "gather");
        using var ds = Acc.Allocate1D(src);
        using var di = Acc.Allocate1D(index);
        using var dr = Acc.Allocate1D<float>(p.IndexedElements);
        GpuTestDevice.Cached(GpuIndexing.LoadGather<float>)(Acc.DefaultStream, p.IndexedElements, ds.View, di.View, dr.View, p);
        Acc.Synchronize();
        var r = dr.GetAsArray1D();
        for (int o = 0; o < p.Outer; o++)
            for (int j = 0; j < p.IndexDim; j++)
                for (int i = 0; i < p.Inner; i++)
                {
                    int e = (o * p.IndexDim + j) * p.Inner + i;
                    Assert.AreEqual(src[At(p, o, (int)index[e], i)], r[e], $"gather at ({o}, {j}, {i})");
                }
    }

    [TestMethod]
    public void ScatterAddIsBitIdenticalToASequentialLoopWithRepeatedIndices()
    {
        var p = Permuted(2, 40, 3, 5);   // 40 positions into 5 slots: many repeats
        var r0 = GpuTestDevice.Random(3 + p.TargetElements, 3);
        var src = GpuTestDevice.Random(p.IndexedElements, 4).Select(v => v * 1e3f).ToArray();
        var index = Indices(p.IndexedElements, p.Dim, 5);
        var expected = (float[])r0.Clone();
        for (int o = 0; o < p.Outer; o++)
            for (int j = 0; j < p.IndexDim; j++)
                for (int i = 0; i < p.Inner; i++)
                {
                    int e = (o * p.IndexDim + j) * p.Inner + i;
                    expected[At(p, o, (int)index[e], i)] += src[e];
                }
        using var dr = Acc.Allocate1D(r0);
        using var di = Acc.Allocate1D(index);
        using var ds = Acc.Allocate1D(src);
        GpuTestDevice.Cached(GpuIndexing.LoadScatterAdd<float>)(Acc.DefaultStream, p.TargetElements, dr.View, di.View, ds.View, p);
        Acc.Synchronize();
        CollectionAssert.AreEqual(expected, dr.GetAsArray1D(), "scatter-add adds in index order, as the sequential loop");
    }

    [TestMethod]
    public void IndexSelectAndIndexAddMatchSequentialLoops()
    {
        var p = Permuted(3, 9, 2, 6);
        var src = GpuTestDevice.Random(3 + p.TargetElements, 6).Select(v => (double)v).ToArray();
        var index = new long[] { 5, 0, 5, 2, 5, 0, 1, 1, 5 };   // slots 3 and 4 unused
        using var ds = Acc.Allocate1D(src);
        using var di = Acc.Allocate1D(index);
        using var dr = Acc.Allocate1D<double>(p.IndexedElements);
        GpuTestDevice.Cached(GpuIndexing.LoadIndexSelect<double>)(Acc.DefaultStream, p.IndexedElements, ds.View, di.View, dr.View, p);
        Acc.Synchronize();
        var r = dr.GetAsArray1D();
        for (int o = 0; o < p.Outer; o++)
            for (int j = 0; j < p.IndexDim; j++)
                for (int i = 0; i < p.Inner; i++)
                    Assert.AreEqual(src[At(p, o, (int)index[j], i)], r[(o * p.IndexDim + j) * p.Inner + i]);

        var grad = r.Select(v => v * 3.1).ToArray();
        var expected = (double[])src.Clone();
        for (int o = 0; o < p.Outer; o++)
            for (int j = 0; j < p.IndexDim; j++)
                for (int i = 0; i < p.Inner; i++)
                    expected[At(p, o, (int)index[j], i)] += grad[(o * p.IndexDim + j) * p.Inner + i];
        var (starts, order) = GpuIndexing.BuildInverse(index, p.Dim, 1, "index_add");
        CollectionAssert.AreEqual(new[] { 0, 2, 4, 5, 5, 5, 9 }, starts);
        CollectionAssert.AreEqual(new[] { 1, 5, 6, 7, 3, 0, 2, 4, 8 }, order);
        using var dst = Acc.Allocate1D(starts);
        using var dor = Acc.Allocate1D(order);
        using var dg = Acc.Allocate1D(grad);
        GpuTestDevice.Cached(GpuIndexing.LoadIndexAdd<double>)(Acc.DefaultStream, p.TargetElements, ds.View, dst.View, dor.View, dg.View, p);
        Acc.Synchronize();
        CollectionAssert.AreEqual(expected, ds.GetAsArray1D(), "index_add adds in index order, as the sequential loop");
    }

    [TestMethod]
    public void IntegerIndexAddAndAnEmptyIndexWork()
    {
        var p = GpuIndexArgs.Dense(1, 0, 2, 3);
        var (starts, order) = GpuIndexing.BuildInverse(ReadOnlySpan<long>.Empty, 3, 0, "embedding_backward");
        var r = new long[] { 1, 2, 3, 4, 5, 6 };
        using var dr = Acc.Allocate1D(r);
        using var dst = Acc.Allocate1D(starts);
        using var dor = Acc.Allocate1D(order);
        using var dg = Acc.Allocate1D(new long[1]);
        GpuTestDevice.Cached(GpuIndexing.LoadIndexAdd<long>)(Acc.DefaultStream, p.TargetElements, dr.View, dst.View, dor.View, dg.View, p);
        Acc.Synchronize();
        CollectionAssert.AreEqual(r, dr.GetAsArray1D(), "an empty index adds nothing");
    }

    [TestMethod]
    public void OutOfRangeIndicesAndBadLayoutsAreErrorsBeforeLaunch()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GpuIndexing.CheckIndices(new long[] { 0, 4, 5 }, 5, 1, "gather"));
        StringAssert.Contains(e.Message, "gather: index 5 is out of bounds for dimension 1 with size 5.");
        e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GpuIndexing.BuildInverse(new long[] { -1 }, 5, 0, "index_select"));
        StringAssert.Contains(e.Message, "index_select: index -1 is out of bounds for dimension 0 with size 5.");
        var a = Assert.ThrowsExactly<ArgumentException>(() => GpuIndexArgs.Dense(2, 3, 4, 5).Check("gather", 39));
        StringAssert.Contains(a.Message, "gather: the indexed tensor (2×5×4, strides 20, 4, 1, offset 0) exceeds its 39 elements");
        Assert.ThrowsExactly<NotSupportedException>(() => GpuIndexing.LoadScatterAdd<byte>(Acc));
    }

    [TestMethod]
    public void CompileToPtxForSm90WithoutCallsOrLocalMemory()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuIndexing), nameof(GpuIndexing.GatherKernel), false, typeof(float)), "gather f32", shared: false);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuIndexing), nameof(GpuIndexing.IndexSelectKernel), false, typeof(float)), "index_select f32", shared: false);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuIndexing), nameof(GpuIndexing.ScatterAddKernel), false, typeof(float), typeof(F32)), "scatter_add f32", shared: false);
        var add = GpuTestDevice.Ptx(typeof(GpuIndexing), nameof(GpuIndexing.IndexAddKernel), false, typeof(float), typeof(F32));
        GpuTestDevice.AssertHot(add, "index_add f32", shared: false);
        Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(add, @"^\s*(atom|red)\.", System.Text.RegularExpressions.RegexOptions.Multiline), "index_add uses no atomics");
    }
}
