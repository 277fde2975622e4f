using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Integer matmul/mm/bmm/linear are exact in the element type, wrapping around on overflow as PyTorch and C do —
/// compared with plain unchecked integer loops, never with a float64 product (which rounds beyond 2^53).
/// </summary>
[TestClass]
public class IntegerMatmulTests
{
    private static long[] Random64(Random rng, int n, long bound) => Enumerable.Range(0, n).Select(_ => rng.NextInt64(-bound, bound)).ToArray();

    /// <summary>Reference (…, m, k)·(…, k, n) over equal batch sizes, in unchecked long arithmetic.</summary>
    private static long[] Reference(long[] a, long[] b, int batch, int m, int k, int n, bool int32 = false)
    {
        var r = new long[batch * m * n];
        for (int t = 0; t < batch; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    long s = 0;
                    int s32 = 0;
                    for (int p = 0; p < k; p++)
                    {
                        long x = a[(t * m + i) * k + p], y = b[(t * k + p) * n + j];
                        s = unchecked(s + x * y);
                        s32 = unchecked(s32 + (int)x * (int)y);
                    }
                    r[(t * m + i) * n + j] = int32 ? s32 : s;
                }
        return r;
    }

    [TestMethod]
    public void Int64ProductsBeyondTwoToThe53AreExact()
    {
        long big = (1L << 53) + 1;
        var r = Tensor.From(new[] { big }, [1, 1]).Matmul(Tensor.From(new[] { 1L }, [1, 1]));
        Assert.AreEqual(DType.Int64, r.DType);
        Assert.AreEqual(big, r.ToArray<long>()[0]);
        // A dot product whose terms cancel exactly: float64 loses the +1s to rounding.
        var x = Tensor.From(new[] { 1L << 60, 1, -(1L << 60), 1 });
        Assert.AreEqual(2L, x.Matmul(Tensor.From(new long[] { 1, 1, 1, 1 })).Item<long>());
    }

    [TestMethod]
    public void RandomInt64MatmulsMatchExactLoops()
    {
        var rng = new Random(11);
        foreach (var (m, k, n) in new[] { (1, 1, 1), (3, 5, 2), (7, 13, 5), (17, 300, 9), (40, 600, 530) })
        {
            var a = Random64(rng, m * k, 1L << 40);
            var b = Random64(rng, k * n, 1L << 40);   // products up to 2^80: sums wrap, exactly as C's int64
            var got = Tensor.From(a, [m, k]).Matmul(Tensor.From(b, [k, n])).ToArray<long>();
            CollectionAssert.AreEqual(Reference(a, b, 1, m, k, n), got, $"({m}, {k}) @ ({k}, {n})");
            // The transposed operand read in place gives the same.
            var bt = Tensor.From(b, [k, n]).T.Contiguous().T;
            CollectionAssert.AreEqual(got, Tensor.From(a, [m, k]).Mm(bt).ToArray<long>(), "transposed b");
        }
    }

    [TestMethod]
    public void Int32MatmulWrapsInInt32()
    {
        var rng = new Random(12);
        var a = Enumerable.Range(0, 4 * 6).Select(_ => (long)rng.Next(1 << 20, 1 << 30)).ToArray();
        var b = Enumerable.Range(0, 6 * 3).Select(_ => (long)rng.Next(-(1 << 30), 1 << 30)).ToArray();
        var r = Tensor.From(a.Select(v => (int)v).ToArray(), [4, 6]).Matmul(Tensor.From(b.Select(v => (int)v).ToArray(), [6, 3]));
        Assert.AreEqual(DType.Int32, r.DType);
        CollectionAssert.AreEqual(Reference(a, b, 1, 4, 6, 3, int32: true), r.ToArray<long>());
    }

    [TestMethod]
    public void BatchedBroadcastAndVectorFormsAreExact()
    {
        var rng = new Random(13);
        var a = Random64(rng, 2 * 3 * 4, 1L << 50);
        var b = Random64(rng, 4 * 5, 1L << 12);
        // (2, 3, 4) @ (4, 5): b broadcast over the batch (a stride-0 batch dim).
        var got = Tensor.From(a, [2, 3, 4]).Matmul(Tensor.From(b, [4, 5])).ToArray<long>();
        CollectionAssert.AreEqual(Reference(a, [.. b, .. b], 2, 3, 4, 5), got, "broadcast batch");
        // bmm with both batched.
        var b2 = Random64(rng, 2 * 4 * 5, 1L << 12);
        CollectionAssert.AreEqual(Reference(a, b2, 2, 3, 4, 5), Tensor.From(a, [2, 3, 4]).Bmm(Tensor.From(b2, [2, 4, 5])).ToArray<long>(), "bmm");
        // Matrix-vector and an expanded (stride-0) matrix.
        var v = Random64(rng, 4, 1L << 12);
        CollectionAssert.AreEqual(Reference(a[..12], v, 1, 3, 4, 1), Tensor.From(a[..12], [3, 4]).Matmul(Tensor.From(v)).ToArray<long>(), "mv");
        var row = Tensor.From(v, [1, 4]).Expand(3, 4);
        CollectionAssert.AreEqual(Reference([.. v, .. v, .. v], b, 1, 3, 4, 5), row.Matmul(Tensor.From(b, [4, 5])).ToArray<long>(), "expanded a");
    }

    [TestMethod]
    public void IntegerLinearIsExact()
    {
        long big = (1L << 53) + 1;
        var x = Tensor.From(new[] { big, 3 }, [1, 2]);
        var w = Tensor.From(new long[] { 1, 0, 2, -1 }, [2, 2]);
        var bias = Tensor.From(new long[] { 1, -5 });
        CollectionAssert.AreEqual(new[] { big + 1, 2 * big - 3 - 5 }, Tensor.Linear(x, w, bias).ToArray<long>());
        CollectionAssert.AreEqual(new[] { big, 2 * big - 3 }, Tensor.Linear(x, w).ToArray<long>());
    }
}
