using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

[TestClass]
public class ViewTests
{
    private static Tensor Iota(params int[] shape) => Tensor.Arange(shape.Aggregate(1, (a, b) => a * b)).To(DType.Float64).View(shape);

    private static void AssertSharesStorage(Tensor a, Tensor b) => Assert.AreSame(a.Storage, b.Storage, "expected a view (shared storage)");

    [TestMethod]
    public void ViewAndReshapeShareStorageWhenPossible()
    {
        var x = Iota(2, 3, 4);
        var v = x.View(6, -1);
        Reference.AssertShape(v, 6, 4);
        AssertSharesStorage(x, v);
        CollectionAssert.AreEqual(Reference.Values(x), Reference.Values(v));
        v[0, 0].Copy_(Tensor.Scalar(100.0, DType.Float64));
        Assert.AreEqual(100.0, Reference.Get(x, [0, 0, 0]), "writes through a view reach the base");

        // A transposed tensor cannot be flattened as a view; reshape copies instead.
        var t = Iota(3, 4).T;
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => t.View(12));
        StringAssert.Contains(ex.Message, "aten::view");
        StringAssert.Contains(ex.Message, "(4, 3)");
        var r = t.Reshape(12);
        Assert.AreNotSame(t.Storage, r.Storage);
        CollectionAssert.AreEqual(new double[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, Reference.Values(r));

        // Splitting a dim of a transposed view is still a view.
        var s = Iota(4, 6).T.View(2, 3, 4);
        AssertSharesStorage(t, t);
        Assert.AreEqual(Reference.Get(Iota(4, 6), [2, 4]), Reference.Get(s, [1, 1, 2]));

        Assert.ThrowsExactly<ArgumentException>(() => x.View(5, -1));
        Assert.ThrowsExactly<ArgumentException>(() => x.View(-1, -1));
        Assert.ThrowsExactly<ArgumentException>(() => x.Reshape(7, 3));
        Reference.AssertShape(Tensor.Zeros(0, 3).View(-1, 3), 0, 3);
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(0, 3).View(-1, 0), "-1 is ambiguous with 0 elements");
    }

    [TestMethod]
    public void TransposePermuteAndT()
    {
        var x = Iota(2, 3, 4);
        var p = x.Permute(2, 0, 1);
        Reference.AssertShape(p, 4, 2, 3);
        AssertSharesStorage(x, p);
        Assert.AreEqual(Reference.Get(x, [1, 2, 3]), Reference.Get(p, [3, 1, 2]));
        var t = x.Transpose(0, -1);
        Reference.AssertShape(t, 4, 3, 2);
        Assert.AreEqual(Reference.Get(x, [1, 0, 2]), Reference.Get(t, [2, 0, 1]));
        Reference.AssertShape(Iota(2, 5).T, 5, 2);
        Reference.AssertShape(x.MT, 2, 4, 3);
        Assert.ThrowsExactly<ArgumentException>(() => x.Permute(0, 1));
        Assert.ThrowsExactly<ArgumentException>(() => x.Permute(0, 1, 1));
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Transpose(0, 3));
        StringAssert.Contains(ex.Message, "aten::transpose");
        StringAssert.Contains(ex.Message, "[-3, 2]");
        Assert.ThrowsExactly<InvalidOperationException>(() => Iota(3).MT);
    }

    [TestMethod]
    public void SqueezeUnsqueezeExpand()
    {
        var x = Iota(3).View(1, 3, 1);
        Reference.AssertShape(x.Squeeze(), 3);
        Reference.AssertShape(x.Squeeze(0), 3, 1);
        Reference.AssertShape(x.Squeeze(1), 1, 3, 1);
        Reference.AssertShape(x.Unsqueeze(-1), 1, 3, 1, 1);
        Reference.AssertShape(Iota(3).Unsqueeze(0), 1, 3);
        Reference.AssertShape(Iota(3).Unsqueeze(1), 3, 1);

        var e = Iota(3, 1).Expand(2, 3, 4);
        Reference.AssertShape(e, 2, 3, 4);
        AssertSharesStorage(e, e);
        CollectionAssert.AreEqual(new[] { 0, 1, 0 }, e.Strides.ToArray());
        Assert.AreEqual(2.0, Reference.Get(e, [1, 2, 3]));
        Reference.AssertShape(Iota(3, 1).Expand(-1, 5), 3, 5);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Iota(3, 2).Expand(3, 4));
        StringAssert.Contains(ex.Message, "aten::expand");
        Assert.ThrowsExactly<ArgumentException>(() => Iota(3, 2).Expand(2));
    }

    [TestMethod]
    public void NarrowSliceSelectAndIndexer()
    {
        var x = Iota(4, 5);
        var n = x.Narrow(1, 1, 3);
        Reference.AssertShape(n, 4, 3);
        Assert.AreEqual(Reference.Get(x, [2, 3]), Reference.Get(n, [2, 2]));
        var s = x.Slice(0, 1, null, 2);
        Reference.AssertShape(s, 2, 5);
        Assert.AreEqual(Reference.Get(x, [3, 4]), Reference.Get(s, [1, 4]));
        Reference.AssertShape(x.Slice(1, -2), 4, 2);
        Reference.AssertShape(x.Slice(1, 3, 100), 4, 2);
        Reference.AssertShape(x.Slice(1, 4, 2), 4, 0);
        var sel = x.Select(1, -1);
        Reference.AssertShape(sel, 4);
        Assert.AreEqual(Reference.Get(x, [2, 4]), Reference.Get(sel, [2]));

        Reference.AssertShape(x[1], 5);
        Assert.AreEqual(Reference.Get(x, [1, 2]), x[1, 2].Item());
        Assert.AreEqual(Reference.Get(x, [3, 4]), x[^1, ^1].Item());
        Reference.AssertShape(x[.., 1..3], 4, 2);
        Reference.AssertShape(x[1..^1], 2, 5);
        Reference.AssertShape(x[TensorIndex.Ellipsis, TensorIndex.NewAxis], 4, 5, 1);
        Reference.AssertShape(x[TensorIndex.NewAxis, .., 0], 1, 4);
        Reference.AssertShape(x[TensorIndex.Slice(null, null, 3)], 2, 5);
        Assert.AreEqual(Reference.Get(x, [3, 0]), x[TensorIndex.Slice(null, null, 3)][1, 0].Item());
        var e3 = Iota(2, 3, 4)[TensorIndex.Ellipsis, 1];
        Reference.AssertShape(e3, 2, 3);

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Select(0, 4));
        StringAssert.Contains(ex.Message, "aten::select");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Narrow(1, 3, 3));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x[1, 2, 3]);
        Assert.ThrowsExactly<ArgumentException>(() => x.Slice(0, 0, 2, 0));
    }

    [TestMethod]
    public void SplitAndChunkAreViews()
    {
        var x = Iota(7, 2);
        var parts = x.Split(3);
        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, parts.Select(p => p.Size(0)).ToArray());
        AssertSharesStorage(x, parts[2]);
        Assert.AreEqual(Reference.Get(x, [6, 1]), Reference.Get(parts[2], [0, 1]));
        CollectionAssert.AreEqual(new[] { 2, 5 }, x.Split([2, 5]).Select(p => p.Size(0)).ToArray());
        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, x.Chunk(3).Select(p => p.Size(0)).ToArray());
        CollectionAssert.AreEqual(new[] { 1, 1 }, x.Chunk(2, 1).Select(p => p.Size(1)).ToArray());
        var ex = Assert.ThrowsExactly<ArgumentException>(() => x.Split([2, 2]));
        StringAssert.Contains(ex.Message, "aten::split_with_sizes");
    }

    [TestMethod]
    public void FlattenContiguousAndClone()
    {
        var x = Iota(2, 3, 4);
        Reference.AssertShape(x.Flatten(), 24);
        Reference.AssertShape(x.Flatten(1), 2, 12);
        Reference.AssertShape(x.Flatten(0, 1), 6, 4);
        Reference.AssertShape(Tensor.Scalar(1.0).Flatten(), 1);

        var t = x.Transpose(0, 2);
        Assert.IsFalse(t.IsContiguous);
        var c = t.Contiguous();
        Assert.IsTrue(c.IsContiguous);
        CollectionAssert.AreEqual(Reference.Values(t), Reference.Values(c));
        Assert.AreSame(x, x.Contiguous());

        var cl = x.Clone();
        cl[0, 0, 0].Copy_(Tensor.Scalar(-5.0, DType.Float64));
        Assert.AreEqual(0.0, Reference.Get(x, [0, 0, 0]), "clone owns its storage");
        Assert.IsTrue(Tensor.Zeros(3, 1).Expand(3, 4).IsContiguous == false);
    }

    [TestMethod]
    public void ToConvertsDtypesLikePyTorch()
    {
        var f = Tensor.From(new double[] { -1.7, -0.2, 0, 0.5, 2.9 });
        CollectionAssert.AreEqual(new long[] { -1, 0, 0, 0, 2 }, f.To(DType.Int64).ToArray<long>(), "float → int truncates toward zero");
        CollectionAssert.AreEqual(new[] { true, true, false, true, true }, f.To(DType.Bool).ToArray<bool>());
        CollectionAssert.AreEqual(new float[] { 1, 0 }, Tensor.From(new[] { true, false }).To(DType.Float32).ToArray<float>());
        Assert.AreSame(f, f.To(DType.Float64));
        var nc = Reference.NonContiguous(Iota(3, 4)).To(DType.Float32);
        CollectionAssert.AreEqual(Reference.Values(Iota(3, 4)), Reference.Values(nc));
    }
}
