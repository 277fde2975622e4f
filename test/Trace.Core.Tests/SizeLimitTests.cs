using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Element counts, sizes and offsets never wrap around: shapes with more elements than a tensor can index are
/// rejected with an error naming the op, the shape and (for allocations) the bytes; size arithmetic on views is exact.
/// </summary>
[TestClass]
public class SizeLimitTests
{
    private static void AssertThrows<T>(Action act, params string[] parts) where T : Exception
    {
        var ex = Assert.ThrowsExactly<T>(act);
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    [TestMethod]
    public void ExpandingBeyondTheIndexableSizeIsAnErrorNotAWrappedCount()
    {
        // 65536² = 2^32 elements: an int count wraps to 0 (and the sum of ones became 1).
        AssertThrows<ArgumentException>(() => Tensor.Ones(1, 1).Expand(65536, 65536).Sum(), "aten::expand", "(65536, 65536)", "4294967296");
        AssertThrows<ArgumentException>(() => Tensor.Ones(1).Expand(3, 1 << 30), "aten::expand", "(3, 1073741824)", "3221225472");
        // Just below the limit the view is fine, and so are reductions over it that keep a dim.
        var big = Tensor.Ones(1, 1).Expand(46340, 46340);
        Assert.AreEqual(46340L * 46340, big.Numel);
        var rows = Tensor.Ones([1, 1], DType.Float64).Expand(3, 1 << 24).Sum(1);
        CollectionAssert.AreEqual(new[] { 16777216.0, 16777216, 16777216 }, rows.ToArray<double>());
    }

    [TestMethod]
    public void AllocationsTooLargeNameTheOpTheShapeAndTheBytes()
    {
        AssertThrows<ArgumentException>(() => Tensor.Zeros(65536, 65536), "aten::zeros", "float32", "(65536, 65536)", "4294967296 elements", "17179869184 bytes");
        AssertThrows<ArgumentException>(() => Tensor.Ones([1 << 20, 1 << 12], DType.Float64), "aten::full", "float64", "34359738368 bytes");
        AssertThrows<ArgumentException>(() => Tensor.Empty([1 << 16, 1 << 16], DType.Int64), "aten::empty", "int64", "34359738368 bytes");
        AssertThrows<ArgumentException>(() => Tensor.Randn(1 << 16, 1 << 16), "aten::randn", "(65536, 65536)");
        AssertThrows<ArgumentException>(() => Tensor.Eye(1 << 16), "aten::eye", "(65536, 65536)");
        // A broadcast whose result is too large: the op that would allocate it is named.
        var col = Tensor.Ones(65536, 1);
        var row = Tensor.Ones(1, 65536);
        AssertThrows<ArgumentException>(() => col.Add(row), "aten::add", "(65536, 65536)", "17179869184 bytes");
        AssertThrows<ArgumentException>(() => col.Gt(row), "aten::gt", "bool", "4294967296 bytes");
        AssertThrows<ArgumentException>(() => Tensor.Ones(65536, 1, 1).Expand(65536, 32767, 1).Matmul(Tensor.Ones(1, 2)), "aten::matmul", "(65536, 32767, 2)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(-1, 2), "aten::zeros", "negative dimension -1");
    }

    [TestMethod]
    public void ArangeWithHugeBoundsIsAClearError()
    {
        AssertThrows<ArgumentException>(() => Tensor.Arange(0, 1L << 40), "aten::arange", "1099511627776 elements", "8796093022208 bytes", "int64");
        AssertThrows<ArgumentException>(() => Tensor.Arange(long.MinValue, long.MaxValue), "aten::arange", "18446744073709551615 elements");
        AssertThrows<ArgumentException>(() => Tensor.Arange(0.0, 1e300, 1e-300), "aten::arange", "bytes", "float32");
        AssertThrows<ArgumentException>(() => Tensor.Arange(0.0, double.PositiveInfinity, 1.0), "aten::arange", "unsupported range");
        AssertThrows<ArgumentException>(() => Tensor.Arange(0.0, 1.0, double.NaN), "aten::arange");
        // The limits themselves still work, including ranges whose end - start exceeds the long range.
        CollectionAssert.AreEqual(new[] { long.MinValue, -1, long.MaxValue - 1 }, Tensor.Arange(long.MinValue, long.MaxValue, long.MaxValue).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 5, 3, 1 }, Tensor.Arange(5, 0, -2).ToArray<long>());
    }

    [TestMethod]
    public void EmptyTensorsWithHugeDimsKeepValidStrides()
    {
        var e = Tensor.Zeros(0, 70000, 70000);
        Assert.AreEqual(0, e.Numel);
        Assert.IsTrue(e.Strides.All(s => s > 0), string.Join(", ", e.Strides));
        CollectionAssert.AreEqual(new[] { 0, 70000 }, e.Sum(1).Shape.ToArray());
        Assert.AreEqual(0, e.Sum(1).Numel);
        // Its sum over dim 0 would have 4.9e9 elements: a clear error.
        AssertThrows<ArgumentException>(() => e.Sum(0), "aten::sum", "(70000, 70000)", "19600000000 bytes");
    }

    [TestMethod]
    public void ViewSizeArithmeticDoesNotWrap()
    {
        var x = Tensor.Arange(10).To(DType.Float32);
        // A step larger than the dim: one element (an int computation of the length wrapped to 0).
        CollectionAssert.AreEqual(new[] { 3f }, x.Slice(0, 3, 10, int.MaxValue).ToArray<float>());
        CollectionAssert.AreEqual(new[] { 0f, 5f }, x.Slice(0, step: 5).ToArray<float>());
        // start + length beyond the dim: an error, also when the int sum would wrap.
        AssertThrows<ArgumentOutOfRangeException>(() => x.Narrow(0, 5, int.MaxValue), "aten::narrow", "exceeds dimension size (10)");
        // Split sizes whose int sum wraps: the mismatch is reported, not an OverflowException.
        AssertThrows<ArgumentException>(() => x.Split([int.MaxValue, int.MaxValue, 12]), "aten::split_with_sizes", "sum to the size of dim 0 (10)");
        Assert.AreEqual(1, x.Split(int.MaxValue).Length);
        Assert.AreEqual(1, x.Chunk(int.MaxValue).Length == 10 ? 1 : 0, "chunks of one element each");
        // Cat along a dim whose total size exceeds int.
        var wide = Tensor.Ones(1, 1).Expand(1, 1_500_000_000);
        AssertThrows<ArgumentException>(() => Tensor.Cat([wide, wide], 1), "aten::cat", "3000000000", "dimension 1");
    }
}
