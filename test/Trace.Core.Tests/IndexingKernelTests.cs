using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// The device table's indexing kernels (gather, index_select and the scatter-adds of their backwards), checked against
/// float64 loops over the inputs' own strides: strided sources, repeated indices, and bad indices named by the op.
/// </summary>
[TestClass]
public class IndexingKernelTests
{
    private static Tensor Rand(int seed, params int[] shape) => Reference.Random(new Random(seed), shape);

    private static void AssertThrows<T>(Action act, params string[] parts) where T : Exception
    {
        var ex = Assert.ThrowsExactly<T>(act);
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    [TestMethod]
    public void GatherReadsANonContiguousSourceThroughItsStrides()
    {
        var x = Reference.NonContiguous(Rand(1, 4, 3));
        var index = Tensor.From(new long[] { 2, 0, 1, 1, 3, 0 }, [2, 3]);
        var r = x.Gather(0, index);
        var iv = index.ToArray<long>();
        var expected = new double[6];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) expected[i * 3 + j] = Reference.Get(x, [(int)iv[i * 3 + j], j]);
        Reference.AssertShape(r, 2, 3);
        Reference.AssertClose(expected, r, 0, 0, "gather of a transposed source");
    }

    [TestMethod]
    public void GatherBackwardAccumulatesRepeatedIndicesInOrder()
    {
        var x = Rand(2, 3, 4).RequiresGrad_();
        var index = Tensor.From(new long[] { 1, 1, 1, 0, 2, 2 }, [3, 2]);
        var g = Rand(3, 3, 2);
        x.Gather(1, index).Backward(g);
        var expected = new double[12];
        var (iv, gv) = (index.ToArray<long>(), Reference.Values(g));
        for (int i = 0; i < 3; i++) for (int j = 0; j < 2; j++) expected[i * 4 + (int)iv[i * 2 + j]] += gv[i * 2 + j];
        Reference.AssertClose(expected, x.Grad!, 0, 0, "scatter-add of repeated indices");
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Gather(1, index), [Rand(4, 3, 4).RequiresGrad_()]));
    }

    [TestMethod]
    public void GatherBackwardRejectsBadArgumentsNamingTheOp()
    {
        const string op = "aten::gather_backward";
        var index = Tensor.From(new long[] { 0, 3 }, [1, 2]);
        AssertThrows<ArgumentException>(() => Rand(5, 2, 2).GatherBackward([2, 3], 1, index), op, "(2, 2)", "(1, 2)");
        AssertThrows<ArgumentOutOfRangeException>(() => Rand(5, 1, 2).GatherBackward([2, 3], 1, index), op, "index 3", "size 3");
        AssertThrows<ArgumentException>(() => Rand(5, 1, 2).GatherBackward([3], 0, index), op, "(1, 2)", "(3,)");
        AssertThrows<ArgumentException>(() => Rand(5, 1, 2).GatherBackward([2, 3], 1, index.To(DType.Int32)), op, "torch.int32");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    public void IndexSelectOfANonContiguousSourceMatchesTheReference(int dim)
    {
        var x = Reference.NonContiguous(Rand(6, 3, 4, 2));
        int size = x.Size(dim);
        long[] raw = [size - 1, 0, size - 1, 1 % size];
        var r = x.IndexSelect(dim, Tensor.From(raw).To(DType.Int32));
        var shape = new[] { 3, 4, 2 };
        shape[dim] = raw.Length;
        var expected = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < expected.Length; i++)
        {
            var idx = Reference.Unravel(i, shape);
            idx[dim] = (int)raw[idx[dim]];
            expected[i] = Reference.Get(x, idx);
        }
        Reference.AssertShape(r, shape);
        Reference.AssertClose(expected, r, 0, 0, $"index_select dim {dim}");
    }

    [TestMethod]
    public void IndexSelectBackwardAddsRepeatedRowsInIndexOrder()
    {
        // Embedding-style: rows picked several times get the sum of their gradients, added in index order (exact in float32).
        var w = Reference.Random(new Random(7), [5, 3], DType.Float32).RequiresGrad_();
        long[] iv = [4, 0, 4, 2, 4, 0];
        var g = Reference.NonContiguous(Reference.Random(new Random(8), [6, 3], DType.Float32));
        w.IndexSelect(0, Tensor.From(iv)).Backward(g);
        var expected = new float[15];
        for (int i = 0; i < iv.Length; i++)
            for (int j = 0; j < 3; j++) expected[iv[i] * 3 + j] += (float)Reference.Get(g, [i, j]);
        CollectionAssert.AreEqual(expected, w.Grad!.ToArray<float>());
        Assert.IsTrue(Autograd.GradCheck(t => t[0].IndexSelect(1, Tensor.From(new long[] { 1, 1, 0 })), [Rand(9, 2, 3).RequiresGrad_()]));
    }

    [TestMethod]
    public void IndexSelectOfAZeroDimTensorAndAZeroDimIndex()
    {
        var s = Tensor.Scalar(2.5, DType.Float64).RequiresGrad_();
        var r = s.IndexSelect(0, Tensor.Scalar(0L));
        Assert.AreEqual(0, r.Dim);
        Assert.AreEqual(2.5, r.Item());
        r.Backward();
        Assert.AreEqual(1.0, s.Grad!.Item());
        var v = Tensor.From(new double[] { 1, 2, 3 });
        var picked = v.IndexSelect(0, Tensor.Scalar(2L));
        Reference.AssertShape(picked, 1);
        Assert.AreEqual(3.0, picked.Item());
    }

    [TestMethod]
    public void IndexSelectBackwardRejectsBadArgumentsNamingTheOp()
    {
        const string op = "aten::index_select_backward";
        var g = Rand(10, 2, 3);
        AssertThrows<ArgumentOutOfRangeException>(() => g.IndexSelectBackward([4, 3], 0, Tensor.From(new long[] { 0, 4 })), op, "index 4", "size 4");
        AssertThrows<ArgumentOutOfRangeException>(() => g.IndexSelectBackward([4, 3], 0, Tensor.From(new long[] { -1, 0 })), op, "index -1");
        AssertThrows<ArgumentException>(() => g.IndexSelectBackward([4, 3], 0, Tensor.From(new long[] { 0, 1, 2 })), op, "(2, 3)", "(4, 3)");
        AssertThrows<ArgumentException>(() => g.IndexSelectBackward([4, 3], 0, Tensor.From(new double[] { 0, 1 })), op, "torch.float64");
    }
}
