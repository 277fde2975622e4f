using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

[TestClass]
public class StridedKernelTests
{
    [TestMethod]
    public void CoalesceMergesDimsContiguousForEveryOperand()
    {
        // (2, 3, 4) contiguous for both operands: one dim of 24.
        var (dims, st) = StridedLoop.Coalesce([2, 3, 4], [[12, 4, 1], [12, 4, 1]]);
        CollectionAssert.AreEqual(new[] { 24 }, dims);
        CollectionAssert.AreEqual(new[] { 1 }, st[1]);
        // Second operand broadcast over the last dim: (6, 4) with strides (1, 0) for it.
        (dims, st) = StridedLoop.Coalesce([2, 3, 4], [[12, 4, 1], [3, 1, 0]]);
        CollectionAssert.AreEqual(new[] { 6, 4 }, dims);
        CollectionAssert.AreEqual(new[] { 1, 0 }, st[1]);
        // Size-1 dims vanish; a transposed operand blocks merging.
        (dims, st) = StridedLoop.Coalesce([3, 1, 4], [[4, 4, 1], [1, 99, 3]]);
        CollectionAssert.AreEqual(new[] { 3, 4 }, dims);
        CollectionAssert.AreEqual(new[] { 1, 3 }, st[1]);
    }

    [TestMethod]
    public void BinaryRowsHandleEveryStrideCombinationAndTail()
    {
        var rng = new Random(1);
        foreach (int n in new[] { 0, 1, 15, 16, 17, 33, 100, 1031 })
        {
            var a = Enumerable.Range(0, 2 * n + 1).Select(_ => (float)rng.NextDouble()).ToArray();
            var b = Enumerable.Range(0, 2 * n + 1).Select(_ => (float)rng.NextDouble()).ToArray();
            foreach (var (sa, sb) in new[] { (1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (0, 0) })
            {
                var y = new float[n];
                StridedLoop.Run([n], [[1], [sa], [sb]], [0, 0, 1], new BinaryRows<float, MulOp<float>>(y, a, b));
                for (int i = 0; i < n; i++)
                    Assert.AreEqual(a[i * sa] * b[1 + i * sb], y[i], $"n={n} strides ({sa},{sb}) element {i}");
            }
        }
    }

    [TestMethod]
    public void ParallelAndSerialElementwiseAgree()
    {
        int n = 3 * ParallelRange.ElementwiseGrain + 7;
        var x = Enumerable.Range(0, n).Select(i => (double)(i % 97) - 48).ToArray();
        var y = new double[n];
        StridedLoop.Run([n / 7, 7], [[7, 1], [7, 1]], [0, 0], new UnaryRows<double, ReluOp<double>>(y, x));
        for (int i = 0; i < n / 7 * 7; i++) Assert.AreEqual(Math.Max(x[i], 0), y[i]);
    }

    [TestMethod]
    public void OneLongRowIsSplitAcrossWorkersWithOffsetsAndBroadcasts()
    {
        // A contiguous operand at an offset plus a broadcast scalar: one coalesced row, split into chunks.
        int n = 3 * ParallelRange.ElementwiseGrain + 11;
        var a = Enumerable.Range(0, n + 5).Select(i => (float)(i % 101)).ToArray();
        var b = new float[] { 0, 0, 2.5f };
        var y = new float[n];
        StridedLoop.Run([n], [[1], [1], [0]], [0, 5, 2], new BinaryRows<float, AddOp<float>>(y, a, b));
        for (int i = 0; i < n; i++) Assert.AreEqual(a[i + 5] + 2.5f, y[i], $"element {i}");
    }

    [TestMethod]
    public void ReductionPathsMatchNaiveSums()
    {
        var rng = new Random(2);
        int[] shape = [7, 300, 5];
        var src = Enumerable.Range(0, 7 * 300 * 5).Select(_ => rng.NextDouble() - 0.5).ToArray();
        int[] strides = [1500, 5, 1];
        foreach (var mask in new[] { new[] { false, false, true }, [true, false, false], [false, true, false], [true, false, true], [true, true, true] })
        {
            var kept = Enumerable.Range(0, 3).Where(d => !mask[d]).Select(d => shape[d]).ToArray();
            var dst = new double[kept.Aggregate(1, (p, q) => p * q)];
            Reduction.Run<double, SumReduce<double>>(src, 0, shape, strides, mask, dst);
            var expected = new double[dst.Length];
            for (int i = 0; i < 7; i++)
                for (int j = 0; j < 300; j++)
                    for (int k = 0; k < 5; k++)
                    {
                        int[] idx = [i, j, k];
                        int o = 0;
                        for (int d = 0; d < 3; d++) if (!mask[d]) o = o * shape[d] + idx[d];
                        expected[o] += src[i * 1500 + j * 5 + k];
                    }
            for (int i = 0; i < dst.Length; i++) Assert.AreEqual(expected[i], dst[i], 1e-9, $"mask [{string.Join(",", mask)}] out {i}");
        }
    }

    [TestMethod]
    public void LargeFloatSumsStayAccurate()
    {
        // 4M values of 0.1f: a naive float accumulation drifts by percents; blocked accumulation does not.
        var x = Enumerable.Repeat(0.1f, 1 << 22).ToArray();
        float s = SpanReduce.Reduce<float, SumReduce<float>>(x);
        Assert.AreEqual(0.1f * (1 << 22), s, 0.1f * (1 << 22) * 1e-6);
    }

    [TestMethod]
    public void ArgReducePicksFirstExtremeAndNaN()
    {
        var src = new[] { 1.0, 3, 3, 2, /* row 2 */ 5, double.NaN, 7, double.NaN };
        var vals = new double[2];
        var idx = new long[2];
        ArgReduce.Rows(src, 0, 2, 4, max: true, vals, idx);
        Assert.AreEqual(3.0, vals[0]);
        Assert.AreEqual(1L, idx[0], "first of tied maxima");
        Assert.IsTrue(double.IsNaN(vals[1]));
        Assert.AreEqual(1L, idx[1], "first NaN wins");
    }
}
