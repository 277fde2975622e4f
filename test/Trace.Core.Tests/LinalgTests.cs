using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Matmul, Mm, Bmm and Linear against a float64 triple loop with PyTorch's matmul semantics.</summary>
[TestClass]
public class LinalgTests
{
    /// <summary>
    /// PyTorch matmul in float64: a 1-D left operand is a row (dim removed after), a 1-D right operand a
    /// column; batch dims broadcast. Returns the product and |a|·|b| (for rounding tolerances).
    /// </summary>
    private static (double[] Product, double[] AbsProduct, int[] Shape) RefMatmul(Tensor a, Tensor b)
    {
        int[] sa = a.Shape.ToArray(), sb = b.Shape.ToArray();
        double[] av = Reference.Values(a), bv = Reference.Values(b);
        bool va = sa.Length == 1, vb = sb.Length == 1;
        int[] ma = va ? [1, sa[0]] : sa, mb = vb ? [sb[0], 1] : sb;
        int m = ma[^2], k = ma[^1], n = mb[^1];
        Assert.AreEqual(k, mb[^2], "reference: inner dims");
        int[] batchA = ma[..^2], batchB = mb[..^2];
        var batch = Reference.BroadcastShape(batchA, batchB);
        int nBatch = batch.Aggregate(1, (x, y) => x * y);
        var r = new double[nBatch * m * n];
        var abs = new double[r.Length];
        for (int bi = 0; bi < nBatch; bi++)
        {
            var bidx = Reference.Unravel(bi, batch);
            int oa = BatchIndex(batchA, bidx) * m * k, ob = BatchIndex(batchB, bidx) * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0, sAbs = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double prod = av[oa + i * k + p] * bv[ob + p * n + j];
                        s += prod;
                        sAbs += Math.Abs(prod);
                    }
                    r[(bi * m + i) * n + j] = s;
                    abs[(bi * m + i) * n + j] = sAbs;
                }
        }
        int[] shape = [.. batch, .. va ? Array.Empty<int>() : [m], .. vb ? Array.Empty<int>() : [n]];
        return (r, abs, shape);
    }

    /// <summary>Flat batch index into an operand's own (possibly size-1, broadcast) batch dims.</summary>
    private static int BatchIndex(int[] own, int[] bidx)
    {
        int off = 0;
        for (int d = 0; d < own.Length; d++)
            off = off * own[d] + (own[d] == 1 ? 0 : bidx[bidx.Length - own.Length + d]);
        return off;
    }

    /// <summary>Asserts shape, dtype and |got - expected| &lt;= tol·sqrt(k)·(|a|·|b|) elementwise.</summary>
    private static void AssertProduct((double[] Product, double[] AbsProduct, int[] Shape) expected, Tensor actual, DType dtype, int k, string what)
    {
        Assert.AreEqual(dtype, actual.DType, $"{what}: dtype");
        Reference.AssertShape(actual, expected.Shape);
        double tol = (dtype == DType.Float32 ? 1e-5 : 1e-13) * Math.Sqrt(Math.Max(k, 1));
        var got = Reference.Values(actual);
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - expected.Product[i]) <= tol * expected.AbsProduct[i] + 1e-30))
                Assert.Fail($"{what}: element {i} expected {expected.Product[i]:R} but got {got[i]:R} (shape {Shapes.Format(actual.Shape)})");
    }

    private static Tensor Rand(Random rng, int[] shape, DType dtype) => Reference.Random(rng, shape, dtype);

    private static int[] Parse(string shape) => shape.Length == 0 ? [] : shape.Split(',').Select(int.Parse).ToArray();

    [TestMethod]
    [DataRow("5", "5", DisplayName = "1-D · 1-D is a 0-dim dot")]
    [DataRow("3,4", "4", DisplayName = "2-D · 1-D")]
    [DataRow("4", "4,3", DisplayName = "1-D · 2-D")]
    [DataRow("3,4", "4,2", DisplayName = "2-D · 2-D")]
    [DataRow("2,3,4", "2,4,5", DisplayName = "batched 3-D · 3-D")]
    [DataRow("2,1,3,4", "5,4,2", DisplayName = "broadcast batch dims")]
    [DataRow("3,3,4", "4,2", DisplayName = "3-D · 2-D")]
    [DataRow("4", "3,4,2", DisplayName = "1-D · 3-D")]
    [DataRow("2,3,4", "4", DisplayName = "3-D · 1-D")]
    [DataRow("1,3,4", "6,4,5", DisplayName = "size-1 batch against 6")]
    [DataRow("3,0", "0,2", DisplayName = "empty inner dim gives zeros")]
    public void MatmulShapesMatchPyTorch(string shapeA, string shapeB)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var rng = new Random(shapeA.Length * 31 + shapeB.Length);
            var a = Rand(rng, Parse(shapeA), dtype);
            var b = Rand(rng, Parse(shapeB), dtype);
            int k = a.Shape[^1];
            AssertProduct(RefMatmul(a, b), a.Matmul(b), dtype, k, $"{shapeA} · {shapeB} {dtype}");
            if (a.Dim > 1 && b.Dim > 1) // the same product with both operands stored transposed
                AssertProduct(RefMatmul(a, b), a.MT.Contiguous().MT.Matmul(b.MT.Contiguous().MT), dtype, k, $"{shapeA} · {shapeB} column-major");
        }
    }

    [TestMethod]
    [DataRow(1, 1, 1)]
    [DataRow(7, 17, 33)]
    [DataRow(33, 7, 65)]
    [DataRow(65, 129, 17)]
    [DataRow(129, 65, 7)]
    [DataRow(300, 257, 200)]
    public void OddAndLargeSizesMatchReference(int m, int k, int n)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var rng = new Random(m * 1000 + k * 10 + n);
            var a = Rand(rng, [m, k], dtype);
            var b = Rand(rng, [k, n], dtype);
            AssertProduct(RefMatmul(a, b), a.Matmul(b), dtype, k, $"({m},{k})·({k},{n}) {dtype}");
            if (m * k * n > 1_000_000 && dtype == DType.Float64) continue;
            var at = Rand(rng, [k, m], dtype).T; // transposed operands are read in place
            var bt = Rand(rng, [n, k], dtype).T;
            AssertProduct(RefMatmul(at, bt), at.Matmul(bt), dtype, k, $"transposed ({m},{k})·({k},{n}) {dtype}");
            AssertProduct(RefMatmul(a, bt), a.Mm(bt), dtype, k, $"mm ({m},{k})·({k},{n})ᵀ {dtype}");
        }
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void StridedExpandedAndBatchedOperands(DType dtype)
    {
        var rng = new Random(5);
        var big = Rand(rng, [4, 9, 12], dtype);
        var sliced = big.Slice(1, 1, 8, 2).Slice(2, 2, null, 3);           // (4, 4, 4), every stride > 1, offset > 0
        var other = Rand(rng, [6, 4, 5], dtype).Slice(0, 0, null, 2).MT;   // (3, 5, 4) transposed and strided
        AssertProduct(RefMatmul(sliced, sliced), sliced.Matmul(sliced), dtype, 4, "sliced · sliced");
        AssertProduct(RefMatmul(other, sliced.Select(0, 1)), other.Matmul(sliced.Select(0, 1)), dtype, 4, "strided 3-D · selected 2-D");
        var expandedA = Rand(rng, [1, 3, 4], dtype).Expand(5, 3, 4);        // batch stride 0
        var expandedB = Rand(rng, [4, 1], dtype).Expand(4, 6);              // column stride 0
        AssertProduct(RefMatmul(expandedA, expandedB), expandedA.Matmul(expandedB), dtype, 4, "expanded · expanded");
        AssertProduct(RefMatmul(expandedA, expandedA.MT), expandedA.Bmm(expandedA.MT), dtype, 4, "bmm expanded");
        var vec = Rand(rng, [8], dtype).Slice(0, null, null, 2);          // 1-D stride 2
        AssertProduct(RefMatmul(vec, sliced), vec.Matmul(sliced), dtype, 4, "strided 1-D · 3-D");
        AssertProduct(RefMatmul(sliced, vec), sliced.Matmul(vec), dtype, 4, "3-D · strided 1-D");
        AssertProduct(RefMatmul(vec, vec), vec.Matmul(vec), dtype, 4, "strided dot");
        var x = Rand(rng, [2, 3, 4], dtype);
        var y = Rand(rng, [2, 4, 5], dtype);
        AssertProduct(RefMatmul(x, y), x.Bmm(y), dtype, 4, "bmm");
    }

    [TestMethod]
    public void IntegerMatmulIsExactAndKeepsDType()
    {
        var rng = new Random(9);
        foreach (var dtype in new[] { DType.Int64, DType.Int32 })
        {
            var a = Reference.Random(rng, [2, 3, 7], dtype, -50, 50);
            var b = Reference.Random(rng, [7, 4], dtype, -50, 50);
            var r = a.Matmul(b);
            Assert.AreEqual(dtype, r.DType);
            Reference.AssertShape(r, 2, 3, 4);
            CollectionAssert.AreEqual(RefMatmul(a, b).Product, Reference.Values(r), $"{dtype} matmul");
        }
        var dot = Tensor.From(new long[] { 1, 2, 3 }).Matmul(Tensor.From(new long[] { 4, 5, 6 }));
        Reference.AssertShape(dot);
        Assert.AreEqual(32L, dot.Item<long>());
    }

    [TestMethod]
    [DataRow(false, DType.Float32)]
    [DataRow(true, DType.Float32)]
    [DataRow(false, DType.Float64)]
    [DataRow(true, DType.Float64)]
    public void LinearIsXTimesWTransposedPlusBias(bool bias, DType dtype)
    {
        var rng = new Random(bias ? 1 : 2);
        var w = Rand(rng, [6, 5], dtype);
        var b = bias ? Rand(rng, [6], dtype) : null;
        var inputs = new[]
        {
            Rand(rng, [4, 5], dtype),
            Rand(rng, [2, 3, 5], dtype),
            Reference.NonContiguous(Rand(rng, [3, 2, 5], dtype)),
            Rand(rng, [5], dtype),
            Rand(rng, [9, 5], dtype).Slice(0, 1, null, 2),
        };
        foreach (var x in inputs)
        {
            var y = Tensor.Linear(x, w, b);
            var xv = Reference.Values(x);
            var wv = Reference.Values(w);
            var bv = b is null ? null : Reference.Values(b);
            int rows = xv.Length / 5;
            var expected = new double[rows * 6];
            double maxAbs = 0;
            for (int i = 0; i < rows; i++)
                for (int o = 0; o < 6; o++)
                {
                    double s = bv?[o] ?? 0;
                    for (int p = 0; p < 5; p++) s += xv[i * 5 + p] * wv[o * 5 + p];
                    expected[i * 6 + o] = s;
                    maxAbs = Math.Max(maxAbs, Math.Abs(s));
                }
            Assert.AreEqual(dtype, y.DType);
            Reference.AssertShape(y, [.. x.Shape.SkipLast(1), 6]);
            Reference.AssertClose(expected, y, dtype == DType.Float32 ? 1e-5 : 1e-12, dtype == DType.Float32 ? 1e-5 : 1e-12, $"linear of {Shapes.Format(x.Shape)}");
        }
    }

    private static void AssertThrows<T>(Action act, params string[] parts) where T : Exception
    {
        var ex = Assert.ThrowsExactly<T>(act);
        foreach (var p in parts) Assert.Contains(p, ex.Message);
    }

    [TestMethod]
    public void MatmulErrorsNameTheOpAndBothShapes()
    {
        AssertThrows<ArgumentException>(() => Tensor.Zeros(64, 1000).Matmul(Tensor.Zeros(100, 10)), "aten::matmul", "(64, 1000)", "(100, 10)", "1000 != 100");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(3).Matmul(Tensor.Zeros(4)), "aten::matmul", "(3,)", "(4,)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(2, 3, 4).Matmul(Tensor.Zeros(3, 4, 5)), "aten::matmul", "(2,)", "(3,)");
        AssertThrows<ArgumentException>(() => Tensor.Scalar(1.0).Matmul(Tensor.Zeros(3)), "aten::matmul", "0D", "()", "(3,)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(3).Matmul(Tensor.Scalar(1.0)), "aten::matmul", "(3,)", "()");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(2, 3).Matmul(Tensor.Zeros([3, 2], DType.Float64)), "aten::matmul", "torch.float32", "torch.float64", "(2, 3)", "(3, 2)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(3).Matmul(Tensor.Zeros([3, 2], DType.Int64)), "aten::matmul", "torch.float32", "torch.int64", "(3,)", "(3, 2)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(2, 3, 4).Mm(Tensor.Zeros(4, 2)), "aten::mm", "(2, 3, 4)", "(4, 2)");
        AssertThrows<ArgumentException>(() => Tensor.Zeros(2, 3, 4).Bmm(Tensor.Zeros(3, 4, 2)), "aten::bmm", "(2, 3, 4)", "(3, 4, 2)");
    }

    [TestMethod]
    public void LinearErrorsNameTheOpAndShapes()
    {
        var x = Tensor.Zeros(2, 3);
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros(5, 4)), "aten::linear", "(2, 3)", "(5, 4)");
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros(3)), "aten::linear", "(3,)");
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros(5, 3), Tensor.Zeros(6)), "aten::linear", "(6,)", "(5, 3)");
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros(5, 3), Tensor.Zeros(1, 5)), "aten::linear", "(1, 5)");
        AssertThrows<ArgumentException>(() => Tensor.Linear(Tensor.Scalar(1.0), Tensor.Zeros(5, 3)), "aten::linear", "()", "(5, 3)");
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros([5, 3], DType.Float64)), "aten::linear", "torch.float32", "torch.float64");
        AssertThrows<ArgumentException>(() => Tensor.Linear(x, Tensor.Zeros(5, 3), Tensor.Zeros([5], DType.Float64)), "aten::linear", "torch.float64");
    }
}
