using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Cat, Stack, Gather, IndexSelect, MaskedFill, Where, Tril/Triu, Split/Chunk and shared-storage views.</summary>
[TestClass]
public class IndexingTests
{
    private static Tensor Rand(int seed, params int[] shape) => Reference.Random(new Random(seed), shape);

    /// <summary>Reference tensor built from a function of the multi-index.</summary>
    private static double[] Build(int[] shape, Func<int[], double> f)
    {
        var r = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < r.Length; i++) r[i] = f(Reference.Unravel(i, shape));
        return r;
    }

    private static void AssertEqual(double[] expected, int[] shape, Tensor actual, string what)
    {
        Reference.AssertShape(actual, shape);
        Reference.AssertClose(expected, actual, 0, 0, what);
    }

    private static void AssertThrows<T>(Action act, params string[] parts) where T : Exception
    {
        var ex = Assert.ThrowsExactly<T>(act);
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(-1)]
    public void CatJoinsDifferentSizesAlongTheDim(int dim)
    {
        int d = dim < 0 ? dim + 3 : dim;
        int[][] shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]];
        for (int i = 0; i < 3; i++) shapes[i][d] = i + 1; // sizes 1, 2, 3 along the dim
        var parts = shapes.Select((s, i) => Rand(i, s)).ToArray();
        parts[1] = Reference.NonContiguous(parts[1]);
        var r = Tensor.Cat(parts, dim);
        var shape = (int[])shapes[0].Clone();
        shape[d] = 6;
        AssertEqual(Build(shape, idx =>
        {
            int part = 0, at = idx[d];
            while (at >= shapes[part][d]) at -= shapes[part++][d];
            var own = (int[])idx.Clone();
            own[d] = at;
            return Reference.Get(parts[part], own);
        }), shape, r, $"cat dim {dim}");
    }

    [TestMethod]
    public void CatPromotesDTypesAndSkipsEmptyVectors()
    {
        var r = Tensor.Cat([Tensor.From(new long[] { 1, 2 }), Tensor.From(new float[] { 0.5f })]);
        Assert.AreEqual(DType.Float32, r.DType);
        AssertEqual([1, 2, 0.5], [3], r, "int64 + float32");
        var i = Tensor.Cat([Tensor.From(new[] { true }), Tensor.From(new[] { 7 }), Tensor.From(new long[] { 9 })]);
        Assert.AreEqual(DType.Int64, i.DType);
        AssertEqual([1, 7, 9], [3], i, "bool + int32 + int64");
        var m = Tensor.Cat([Tensor.Zeros(0), Tensor.Ones(2, 3), Tensor.Zeros(0)], 1);
        AssertEqual(Enumerable.Repeat(1.0, 6).ToArray(), [2, 3], m, "1-D empty tensors are skipped");
        AssertThrows<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 4)], 0), "aten::cat", "(2, 3)", "(2, 4)");
        AssertThrows<ArgumentException>(() => Tensor.Cat([Tensor.Zeros(2, 3), Tensor.Zeros(3)]), "aten::cat", "(2, 3)", "(3,)");
        AssertThrows<ArgumentException>(() => Tensor.Cat([Tensor.Scalar(1.0)]), "aten::cat", "zero-dimensional");
        AssertThrows<ArgumentException>(() => Tensor.Cat([]), "aten::cat");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(-1)]
    public void StackInsertsANewDim(int dim)
    {
        var parts = new[] { Rand(1, 3, 4), Reference.NonContiguous(Rand(2, 3, 4)), Rand(3, 3, 4) };
        int d = dim < 0 ? dim + 3 : dim;
        var shape = new List<int> { 3, 4 };
        shape.Insert(d, 3);
        AssertEqual(Build([.. shape], idx =>
        {
            var own = idx.Where((_, k) => k != d).ToArray();
            return Reference.Get(parts[idx[d]], own);
        }), [.. shape], Tensor.Stack(parts, dim), $"stack dim {dim}");
        AssertThrows<ArgumentException>(() => Tensor.Stack([Tensor.Zeros(3, 4), Tensor.Zeros(4, 3)]), "aten::stack", "(3, 4)", "(4, 3)");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(-1)]
    public void GatherPicksAlongTheDim(int dim)
    {
        var x = Reference.NonContiguous(Rand(4, 3, 5));
        int d = dim < 0 ? dim + 2 : dim;
        int size = x.Shape[d];
        var rng = new Random(dim + 10);
        int[] indexShape = d == 0 ? [4, 3] : [2, 7];  // repeats; smaller than x off the dim
        var raw = Enumerable.Range(0, indexShape[0] * indexShape[1]).Select(_ => (long)rng.Next(0, size)).ToArray();
        var index = Tensor.From(raw, indexShape);
        AssertEqual(Build(indexShape, idx =>
        {
            long v = raw[idx[0] * indexShape[1] + idx[1]];
            var own = (int[])idx.Clone();
            own[d] = (int)v;
            return Reference.Get(x, own);
        }), indexShape, x.Gather(dim, index), $"gather dim {dim}");
    }

    [TestMethod]
    public void GatherRejectsBadIndices()
    {
        var x = Tensor.Zeros(3, 4);
        AssertThrows<ArgumentOutOfRangeException>(() => x.Gather(0, Tensor.From(new long[] { 0, 3 }, [1, 2])), "aten::gather", "index 3", "size 3");
        AssertThrows<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.From(new long[] { -5 }, [1, 1])), "aten::gather", "index -5", "size 4");
        AssertThrows<ArgumentOutOfRangeException>(() => x.Gather(1, Tensor.From(new long[] { -1 }, [1, 1])), "aten::gather", "index -1", "size 4");
        AssertThrows<ArgumentException>(() => x.Gather(0, Tensor.From(new[] { 0, 1 }, [1, 2])), "aten::gather", "torch.int64", "torch.int32");
        AssertThrows<ArgumentException>(() => x.Gather(0, Tensor.From(new long[] { 0 })), "aten::gather", "(1,)", "(3, 4)");
        AssertThrows<ArgumentException>(() => x.Gather(0, Tensor.Zeros([1, 5], DType.Int64)), "aten::gather", "(1, 5)", "(3, 4)");
    }

    [TestMethod]
    [DataRow(0, DType.Int64)]
    [DataRow(1, DType.Int32)]
    [DataRow(-1, DType.Int64)]
    public void IndexSelectRepeatsAndRejectsOutOfRange(int dim, DType indexType)
    {
        var x = Reference.NonContiguous(Rand(5, 3, 4, 2));
        int d = dim < 0 ? dim + 3 : dim;
        int size = x.Shape[d];
        long[] raw = [size - 1, 0, size - 2, 1, size - 1];
        var shape = x.Shape.ToArray();
        shape[d] = raw.Length;
        var r = x.IndexSelect(dim, Tensor.From(raw).To(indexType));
        AssertEqual(Build(shape, idx =>
        {
            var own = (int[])idx.Clone();
            long v = raw[idx[d]];
            own[d] = (int)v;
            return Reference.Get(x, own);
        }), shape, r, $"index_select dim {dim}");
        AssertThrows<ArgumentOutOfRangeException>(() => x.IndexSelect(dim, Tensor.From(new long[] { -1 })), "aten::index_select", "index -1");
        AssertThrows<ArgumentOutOfRangeException>(() => x.IndexSelect(dim, Tensor.From(new long[] { 0, size })), "aten::index_select", $"index {size}", $"size {size}");
        AssertThrows<ArgumentOutOfRangeException>(() => x.IndexSelect(dim, Tensor.From(new long[] { -size - 1 })), "aten::index_select", $"index {-size - 1}");
        AssertThrows<ArgumentException>(() => x.IndexSelect(dim, Tensor.Zeros([1, 2], DType.Int64)), "aten::index_select", "(1, 2)");
    }

    [TestMethod]
    public void MaskedFillBroadcastsTheMask()
    {
        var x = Reference.NonContiguous(Rand(6, 2, 3, 4));
        var maskValues = new[] { true, false, false, true };
        var mask = Tensor.From(maskValues, [1, 4]); // broadcast over (2, 3)
        var r = x.MaskedFill(mask, -7.5);
        Assert.AreEqual(DType.Float64, r.DType);
        AssertEqual(Build([2, 3, 4], idx => maskValues[idx[2]] ? -7.5 : Reference.Get(x, idx)), [2, 3, 4], r, "masked_fill");
        var ints = Tensor.From(new long[] { 1, 2, 3 }).MaskedFill(Tensor.From(new[] { false, true, false }), 9);
        Assert.AreEqual(DType.Int64, ints.DType);
        AssertEqual([1, 9, 3], [3], ints, "int64 masked_fill");
        AssertThrows<ArgumentException>(() => x.MaskedFill(Tensor.Ones([1, 4], DType.Int64), 0), "aten::masked_fill", "torch.bool", "torch.int64");
        AssertThrows<ArgumentException>(() => x.MaskedFill(Tensor.Ones([5, 1, 1, 1], DType.Bool), 0), "aten::masked_fill", "(5, 1, 1, 1)", "(2, 3, 4)");
        AssertThrows<ArgumentException>(() => x.MaskedFill(Tensor.Ones([4, 1], DType.Bool), 0), "aten::masked_fill", "(4, 1)", "(2, 3, 4)");
    }

    [TestMethod]
    public void WhereBroadcastsAllThreeOperands()
    {
        var cond = Tensor.From(new[] { true, false, true }, [3, 1]);    // (3, 1)
        var a = Rand(7, 2, 1, 4);                                       // (2, 1, 4)
        var b = Reference.NonContiguous(Rand(8, 3, 4));                 // (3, 4)
        var r = Tensor.Where(cond, a, b);
        AssertEqual(Build([2, 3, 4], idx =>
            Reference.GetBroadcast(cond, idx) != 0 ? Reference.GetBroadcast(a, idx) : Reference.GetBroadcast(b, idx)), [2, 3, 4], r, "where");
        var s = Tensor.Where(cond, Tensor.From(new long[] { 1, 2 }), 0.5);
        Assert.AreEqual(DType.Float32, s.DType, "an int64 tensor with a float scalar promotes to float32");
        AssertEqual([1, 2, 0.5, 0.5, 1, 2], [3, 2], s, "where with a scalar");
        var promoted = Tensor.Where(cond.Squeeze(1), Tensor.From(new long[] { 1, 2, 3 }), Tensor.From(new[] { 0.25, 0.5, 0.75 }));
        Assert.AreEqual(DType.Float64, promoted.DType);
        AssertEqual([1, 0.5, 3], [3], promoted, "where promotes int64 and float64");
        AssertThrows<ArgumentException>(() => Tensor.Where(cond, a, Tensor.Zeros(5)), "aten::where", "(5,)");
    }

    [TestMethod]
    [DataRow(-1)]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(2)]
    public void TrilAndTriuKeepTheirTriangle(int diagonal)
    {
        foreach (var shape in new[] { new[] { 4, 4 }, [3, 5], [5, 3], [2, 3, 4] })
        {
            var x = Reference.NonContiguous(Rand(diagonal + 20, shape));
            int n = shape.Length;
            AssertEqual(Build(shape, idx => idx[n - 1] - idx[n - 2] <= diagonal ? Reference.Get(x, idx) : 0), shape, x.Tril(diagonal), $"tril {diagonal} {Shapes.Format(shape)}");
            AssertEqual(Build(shape, idx => idx[n - 1] - idx[n - 2] >= diagonal ? Reference.Get(x, idx) : 0), shape, x.Triu(diagonal), $"triu {diagonal} {Shapes.Format(shape)}");
        }
        var b = Tensor.Ones([2, 2], DType.Bool).Tril(diagonal);
        Assert.AreEqual(DType.Bool, b.DType);
        AssertEqual(Build([2, 2], idx => idx[1] - idx[0] <= diagonal ? 1 : 0), [2, 2], b, "bool tril");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(3).Triu(diagonal), "aten::triu", "(3,)");
    }

    [TestMethod]
    public void SplitAndChunkProduceViewsOfTheRightSizes()
    {
        var x = Rand(9, 7, 3);
        var xv = Reference.Values(x);
        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, x.Split(3).Select(p => p.Shape[0]).ToArray(), "uneven split");
        CollectionAssert.AreEqual(new[] { 2, 0, 5 }, x.Split([2, 0, 5]).Select(p => p.Shape[0]).ToArray(), "split sizes");
        CollectionAssert.AreEqual(new[] { 2, 1 }, x.Split(2, dim: -1).Select(p => p.Shape[1]).ToArray(), "split last dim");
        CollectionAssert.AreEqual(new[] { 2, 2, 2, 1 }, x.Chunk(4).Select(p => p.Shape[0]).ToArray(), "chunk 7 into 4");
        CollectionAssert.AreEqual(new[] { 3, 3, 1 }, x.Chunk(3).Select(p => p.Shape[0]).ToArray(), "chunk 7 into 3");
        CollectionAssert.AreEqual(new[] { 1, 1, 1 }, x.Chunk(5, 1).Select(p => p.Shape[1]).ToArray(), "more chunks than elements");
        var parts = x.Split([2, 0, 5]);
        Reference.AssertClose(xv[6..].ToArray(), parts[2], 0, 0, "split values");
        Reference.AssertClose(Tensor.Cat(x.Chunk(4)).ToArray<double>(), x, 0, 0, "chunks cat back");
        Assert.AreSame(x.Storage, parts[2].Storage, "split returns views");
        AssertThrows<ArgumentException>(() => x.Split(0), "aten::split", "0");
        AssertThrows<ArgumentException>(() => x.Split([2, 2]), "aten::split_with_sizes", "[2, 2]", "(7, 3)");
        AssertThrows<ArgumentException>(() => x.Split([8, -1]), "aten::split_with_sizes", "(7, 3)");
        AssertThrows<ArgumentException>(() => x.Chunk(0), "aten::chunk");
        AssertThrows<ArgumentOutOfRangeException>(() => x.Split(2, 2), "aten::split");
    }

    [TestMethod]
    public void ViewsShareStorageWithTheirBase()
    {
        var x = Tensor.Zeros([4, 6], DType.Float64);
        var expected = new double[24];
        void Write(Tensor view, double value, Func<int, int, bool> covers)
        {
            view.Copy_(Tensor.Full(view.Shape.ToArray(), value, DType.Float64));
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 6; j++)
                    if (covers(i, j)) expected[i * 6 + j] = value;
            Reference.AssertClose(expected, x, 0, 0, $"after writing {value}");
        }
        Write(x.Select(0, 1), 1, (i, _) => i == 1);
        Write(x.Slice(1, 1, null, 2), 2, (_, j) => j % 2 == 1);
        Write(x.T.Narrow(0, 4, 2), 3, (_, j) => j >= 4);
        Write(x.View(2, 12).Select(0, 1).Slice(0, 0, 3), 4, (i, j) => i == 2 && j < 3);
        Write(x[2.., ^1], 5, (i, j) => i >= 2 && j == 5);
        Write(x.Split(3, 1)[0].Chunk(2)[1].Squeeze(), 6, (i, j) => i >= 2 && j < 3);
        var version = x.Storage.Version;
        x.Select(1, 0).Copy_(Tensor.From(new[] { 7.0, 8, 9, 10 }));
        Assert.IsGreaterThan(version, x.Storage.Version, "in-place writes bump the version");
        CollectionAssert.AreEqual(new[] { 7.0, 8, 9, 10 }, x.Select(1, 0).ToArray<double>());
        var copy = x.Clone();
        copy.Copy_(Tensor.Zeros([4, 6], DType.Float64));
        Assert.AreEqual(7.0, x.ToArray<double>()[0], "a clone does not share storage");
        AssertThrows<ArgumentException>(() => x.Select(0, 0).Copy_(Tensor.Zeros(5)), "aten::copy_", "(5,)", "(6,)");
    }
}
