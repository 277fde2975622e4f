using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Reductions, softmax and layer norm against float64 reference loops written here.</summary>
[TestClass]
public class ReductionTests
{
    private static readonly int[][] DimSets = [[0], [1], [2], [-1], [0, 2], [-3, -1], [2, 0], [0, 1, 2]];

    /// <summary>The values of each output cell, grouped in row-major order of the kept dims (reduced dims in order).</summary>
    private static List<double>[] Groups(Tensor x, int[] dims)
    {
        var shape = x.Shape.ToArray();
        var reduced = new bool[shape.Length];
        foreach (int d in dims) if (shape.Length > 0) reduced[d < 0 ? d + shape.Length : d] = true;
        var kept = Enumerable.Range(0, shape.Length).Where(d => !reduced[d]).ToArray();
        var groups = Enumerable.Range(0, kept.Aggregate(1, (a, d) => a * shape[d])).Select(_ => new List<double>()).ToArray();
        var vals = Reference.Values(x);
        var idx = new int[shape.Length];
        for (int i = 0; i < vals.Length; i++)
        {
            int key = 0;
            foreach (int d in kept) key = key * shape[d] + idx[d];
            groups[key].Add(vals[i]);
            for (int d = shape.Length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return groups;
    }

    private static double[] Ref(Tensor x, int[] dims, Func<List<double>, double> f) => Groups(x, dims).Select(f).ToArray();

    private static int[] RefShape(Tensor x, int[] dims, bool keepdim)
    {
        int r = x.Dim;
        var norm = dims.Select(d => d < 0 ? d + r : d).ToHashSet();
        return Enumerable.Range(0, r).Where(d => keepdim || !norm.Contains(d)).Select(d => norm.Contains(d) ? 1 : x.Shape[d]).ToArray();
    }

    private static double Sum(List<double> v) => v.Sum();
    private static double Mean(List<double> v) => v.Sum() / v.Count;
    private static double Prod(List<double> v) => v.Aggregate(1.0, (a, b) => a * b);
    private static double Max(List<double> v) => v.Any(double.IsNaN) ? double.NaN : v.Max();
    private static double Min(List<double> v) => v.Any(double.IsNaN) ? double.NaN : v.Min();
    private static double Var(List<double> v, int correction) { double m = Mean(v); return v.Sum(e => (e - m) * (e - m)) / (v.Count - correction); }
    private static double LogSumExp(List<double> v) { double m = v.Max(); return m + Math.Log(v.Sum(e => Math.Exp(e - m))); }

    /// <summary>Index of the first extreme value (NaN counts as the extreme, as in PyTorch).</summary>
    private static double ArgRef(List<double> v, bool max)
    {
        int nan = v.FindIndex(double.IsNaN);
        if (nan >= 0) return nan;
        double best = max ? v.Max() : v.Min();
        return v.IndexOf(best);
    }

    private static double Rtol(DType dt) => dt == DType.Float32 ? 1e-5 : 1e-12;

    private static Tensor Input(int seed, int[] shape, DType dtype, bool nonContiguous, double lo = -2, double hi = 2)
    {
        var x = Reference.Random(new Random(seed), shape, dtype, lo, hi);
        return nonContiguous ? Reference.NonContiguous(x) : x;
    }

    private static Tensor FromValues(double[] v, int[] shape, DType dtype) => Tensor.From(v, shape).To(dtype);

    private static void Check(double[] expected, int[] shape, Tensor actual, DType dtype, double rtol, string what)
    {
        Assert.AreEqual(dtype, actual.DType, $"{what}: dtype");
        Reference.AssertShape(actual, shape);
        Reference.AssertClose(expected, actual, rtol, rtol, what);
    }

    [TestMethod]
    [DataRow(DType.Float64, false)]
    [DataRow(DType.Float64, true)]
    [DataRow(DType.Float32, false)]
    [DataRow(DType.Float32, true)]
    public void DimReductionsMatchReference(DType dtype, bool nonContiguous)
    {
        var x = Input(1, [3, 4, 5], dtype, nonContiguous);
        double tol = Rtol(dtype);
        foreach (var dims in DimSets)
            foreach (bool keep in new[] { false, true })
            {
                string what = $"dims [{string.Join(",", dims)}] keepdim={keep}";
                var shape = RefShape(x, dims, keep);
                Check(Ref(x, dims, Sum), shape, x.Sum(dims, keep), dtype, tol, "sum " + what);
                Check(Ref(x, dims, Mean), shape, x.Mean(dims, keep), dtype, tol, "mean " + what);
                Check(Ref(x, dims, Max), shape, x.Amax(dims, keep), dtype, 0, "amax " + what);
                Check(Ref(x, dims, Min), shape, x.Amin(dims, keep), dtype, 0, "amin " + what);
                Check(Ref(x, dims, v => LogSumExp(v)), shape, x.LogSumExp(dims, keep), dtype, tol, "logsumexp " + what);
                foreach (int c in new[] { 0, 1 })
                {
                    Check(Ref(x, dims, v => Var(v, c)), shape, x.Var(dims, c, keep), dtype, 10 * tol, $"var c={c} " + what);
                    Check(Ref(x, dims, v => Math.Sqrt(Var(v, c))), shape, x.Std(dims, c, keep), dtype, 10 * tol, $"std c={c} " + what);
                }
                if (dims.Length != 1) continue;
                Check(Ref(x, dims, Sum), shape, x.Sum(dims[0], keep), dtype, tol, "sum(int) " + what);
                Check(Ref(x, dims, Prod), shape, x.Prod(dims[0], keep), dtype, tol, "prod " + what);
                Check(Ref(x, dims, v => ArgRef(v, true)), shape, x.Argmax(dims[0], keep), DType.Int64, 0, "argmax " + what);
                Check(Ref(x, dims, v => ArgRef(v, false)), shape, x.Argmin(dims[0], keep), DType.Int64, 0, "argmin " + what);
                var (mv, mi) = x.Max(dims[0], keep);
                Check(Ref(x, dims, Max), shape, mv, dtype, 0, "max(dim) values " + what);
                Check(Ref(x, dims, v => ArgRef(v, true)), shape, mi, DType.Int64, 0, "max(dim) indices " + what);
                var (nv, ni) = x.Min(dims[0], keep);
                Check(Ref(x, dims, Min), shape, nv, dtype, 0, "min(dim) values " + what);
                Check(Ref(x, dims, v => ArgRef(v, false)), shape, ni, DType.Int64, 0, "min(dim) indices " + what);
            }
        int[] all = [0, 1, 2];
        Check(Ref(x, all, Sum), [], x.Sum(), dtype, tol, "sum()");
        Check(Ref(x, all, Mean), [], x.Mean(), dtype, tol, "mean()");
        Check(Ref(x, all, Prod), [], x.Prod(), dtype, 10 * tol, "prod()");
        Check(Ref(x, all, Max), [], x.Max(), dtype, 0, "max()");
        Check(Ref(x, all, Min), [], x.Min(), dtype, 0, "min()");
        Check(Ref(x, all, v => ArgRef(v, true)), [], x.Argmax(), DType.Int64, 0, "argmax()");
        Check(Ref(x, all, v => ArgRef(v, false)), [], x.Argmin(), DType.Int64, 0, "argmin()");
        Check(Ref(x, all, v => Var(v, 1)), [], x.Var(), dtype, 10 * tol, "var()");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(15)]
    [DataRow(17)]
    [DataRow(33)]
    [DataRow(1007)]
    [DataRow(300_000)]
    public void FullReductionsAtVectorTailAndParallelSizes(int n)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var v = Reference.Values(Reference.Random(new Random(n), [n], dtype, 0, 1));
            v[n / 2] = -5; // the extremes sit mid-vector and in the scalar tail
            v[^1] = 5;
            var list = v.ToList();
            var x = FromValues(v, [n], dtype);
            var strided = Reference.NonContiguous(x);                  // stride 2
            var transposed = FromValues([.. v, .. v], [2, n], dtype).T; // (n, 2) with strides (1, n)
            foreach (var (t, k, what) in new[] { (x, 1, "contiguous"), (strided, 1, "stride 2"), (transposed, 2, "transposed") })
            {
                // Float32 sums of many elements stay accurate thanks to blocked accumulation.
                Check([k * Sum(list)], [], t.Sum(), dtype, Rtol(dtype), $"sum n={n} {what}");
                Check([Mean(list)], [], t.Mean(), dtype, Rtol(dtype), $"mean n={n} {what}");
                Check([Max(list)], [], t.Max(), dtype, 0, $"max n={n} {what}");
                Check([Min(list)], [], t.Min(), dtype, 0, $"min n={n} {what}");
            }
            Check([ArgRef(list, true)], [], x.Argmax(), DType.Int64, 0, $"argmax n={n}");
            Check([ArgRef(list, false)], [], strided.Argmin(), DType.Int64, 0, $"argmin n={n}");
            Check(Ref(transposed, [0], Sum), [2], transposed.Sum(0), dtype, Rtol(dtype), $"transposed sum(0) n={n}");
        }
    }

    [TestMethod]
    [DataRow(DType.Float32, false)]
    [DataRow(DType.Float32, true)]
    [DataRow(DType.Float64, true)]
    public void LargeMatrixReducedOverEachDim(DType dtype, bool transposed)
    {
        var x = Input(7, transposed ? [700, 1000] : [1000, 700], dtype, false, 0, 1);
        if (transposed) x = x.T;
        foreach (int d in new[] { 0, -1 })
        {
            var groups = Groups(x, [d]);
            foreach (bool keep in new[] { false, true })
            {
                var shape = RefShape(x, [d], keep);
                Check(groups.Select(Sum).ToArray(), shape, x.Sum(d, keep), dtype, Rtol(dtype), $"sum({d})");
                Check(groups.Select(Max).ToArray(), shape, x.Amax([d], keep), dtype, 0, $"amax({d})");
                Check(groups.Select(v => ArgRef(v, false)).ToArray(), shape, x.Argmin(d, keep), DType.Int64, 0, $"argmin({d})");
            }
        }
        Check([Reference.Values(x).Sum()], [], x.Sum(), dtype, Rtol(dtype), "sum()");
    }

    [TestMethod]
    public void IntegerAndBoolSumsAreInt64()
    {
        var i64 = Tensor.From(new long[] { 3, -7, 1L << 40, 2, 5, 6 }, [2, 3]);
        var s = i64.Sum();
        Assert.AreEqual(DType.Int64, s.DType);
        Assert.AreEqual(3 - 7 + (1L << 40) + 2 + 5 + 6, s.Item<long>());
        CollectionAssert.AreEqual(new long[] { 3 + (1L << 40) - 7, 13 }, i64.Sum(1).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { -21 * (1L << 40), 60 }, i64.Prod(1).ToArray<long>());
        var i32 = Tensor.From(new[] { int.MaxValue, int.MaxValue, 2 });
        Assert.AreEqual(DType.Int64, i32.Sum().DType);
        Assert.AreEqual(2L * int.MaxValue + 2, i32.Sum().Item<long>(), "int32 sums accumulate in int64 without overflow");
        Assert.AreEqual(int.MaxValue, i32.Max().Item<int>());
        Assert.AreEqual(DType.Int32, i32.Max().DType);
        var b = Tensor.From(new[] { true, true, true, true, false, false }, [2, 3]);
        Assert.AreEqual(DType.Int64, b.Sum().DType);
        Assert.AreEqual(4L, b.Sum().Item<long>());
        CollectionAssert.AreEqual(new long[] { 2, 1, 1 }, b.Sum(0).ToArray<long>());
        Assert.AreEqual(DType.Bool, b.Amax([1]).DType);
        CollectionAssert.AreEqual(new[] { true, false }, b.Amin([1]).ToArray<bool>());
    }

    [TestMethod]
    public void ZeroDimAndEmptyInputs()
    {
        var s = Tensor.Scalar(2.5, DType.Float64);
        foreach (var r in new[] { s.Sum(), s.Sum(0), s.Sum(-1, keepdim: true), s.Mean(), s.Max(), s.Amax([0]), s.Max(0).Values })
        {
            Reference.AssertShape(r);
            Assert.AreEqual(2.5, r.Item());
        }
        Assert.AreEqual(0L, s.Argmax().Item<long>());
        Assert.AreEqual(0L, s.Max(0).Indices.Item<long>());

        var e = Tensor.Zeros([0, 3], DType.Float32);
        Assert.AreEqual(0.0, e.Sum().Item());
        Check([0, 0, 0], [3], e.Sum(0), DType.Float32, 0, "sum over the empty dim");
        Reference.AssertShape(e.Sum(1), 0);
        Reference.AssertShape(e.Sum(0, keepdim: true), 1, 3);
        Assert.AreEqual(1.0, e.Prod().Item());
        Assert.IsTrue(double.IsNaN(e.Mean().Item()), "mean of empty is nan");
        Reference.AssertShape(e.Amax([1]), 0);
        Reference.AssertShape(e.Max(1).Indices, 0);
        Assert.AreEqual(0L, Tensor.Zeros([0], DType.Int64).Sum().Item<long>());
        foreach (var (act, op) in new (Action, string)[]
        {
            (() => e.Max(), "aten::max"), (() => e.Min(), "aten::min"), (() => e.Amax([0]), "aten::amax"),
            (() => e.Max(0), "aten::max"), (() => e.Argmin(0), "aten::argmin"),
        })
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(act);
            Assert.Contains(op, ex.Message);
            Assert.Contains("(0, 3)", ex.Message);
        }
        Assert.Contains("aten::argmax", Assert.ThrowsExactly<ArgumentException>(() => e.Argmax()).Message);
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void NaNPropagatesThroughMaxMinAndArgmax(DType dtype)
    {
        var v = Reference.Values(Reference.Random(new Random(3), [4, 1007], dtype));
        v[1 * 1007 + 1000] = double.NaN; // row 1, inside the vector loop's reach
        v[1 * 1007 + 1005] = double.NaN; // a later NaN: the first one's index wins
        v[3 * 1007 + 0] = double.NaN;    // row 3, first element
        var x = FromValues(v, [4, 1007], dtype);
        Assert.IsTrue(double.IsNaN(x.Max().Item()), "max()");
        Assert.IsTrue(double.IsNaN(x.Min().Item()), "min()");
        Assert.AreEqual(1 * 1007 + 1000L, x.Argmax().Item<long>(), "argmax() is the first NaN");
        Assert.AreEqual(1 * 1007 + 1000L, x.Argmin().Item<long>(), "argmin() is the first NaN");
        Check(Ref(x, [1], Max), [4], x.Amax([1]), dtype, 0, "amax(1)");
        Check(Ref(x, [1], Min), [4], x.Amin([1]), dtype, 0, "amin(1)");
        var (mv, mi) = x.Max(1);
        Check(Ref(x, [1], Max), [4], mv, dtype, 0, "max(1) values");
        Check(Ref(x, [1], v => ArgRef(v, true)), [4], mi, DType.Int64, 0, "max(1) indices");
        Assert.AreEqual(1000L, mi.ToArray<long>()[1]);
        Assert.AreEqual(0L, x.Argmin(1).ToArray<long>()[3]);
        Check(Ref(x, [0], v => ArgRef(v, true)), [1007], x.Argmax(0), DType.Int64, 0, "argmax(0)");
    }

    [TestMethod]
    public void ArgmaxAndArgminTiesReturnTheFirstIndex()
    {
        var x = Tensor.From(new long[] { 1, 3, 3, 0, 3, 0 });
        Assert.AreEqual(1L, x.Argmax().Item<long>());
        Assert.AreEqual(3L, x.Argmin().Item<long>());
        var m = Tensor.From(new float[,] { { 2, 2, 1 }, { 0, 5, 5 } });
        CollectionAssert.AreEqual(new long[] { 0, 1 }, m.Argmax(1).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 0, 1, 1 }, m.Max(0).Indices.ToArray<long>());
        var b = Tensor.From(new[] { false, true, true });
        Assert.AreEqual(1L, b.Argmax().Item<long>());
        Assert.IsTrue(b.Max(0).Values.ToArray<bool>().Single());
    }

    [TestMethod]
    public void AnyAndAllUseTruthValues()
    {
        var cases = new (Tensor X, bool Any, bool All)[]
        {
            (Tensor.From(new[] { 0f, 0.5f }), true, false),           // 0.5 is nonzero (not truncated to 0)
            (Tensor.From(new[] { -0.25, 3.0 }), true, true),
            (Tensor.From(new[] { 0.0, double.NaN }), true, false),     // NaN is nonzero
            (Tensor.From(new[] { 0L, 0L }), false, false),
            (Tensor.From(new[] { 1L << 40, -1L }), true, true),
            (Tensor.From(new[] { true, true }, [1, 2]), true, true),
            (Tensor.From(new[] { false, false }, [2, 1]).T, false, false),
            (Tensor.Zeros([0, 2], DType.Float32), false, true),        // empty: any=False, all=True
            (Tensor.Scalar(2L), true, true),
        };
        foreach (var (x, any, all) in cases)
        {
            Assert.AreEqual(DType.Bool, x.Any().DType);
            Reference.AssertShape(x.All());
            Assert.AreEqual(any, x.Any().ToArray<bool>().Single(), $"any of {x}");
            Assert.AreEqual(all, x.All().ToArray<bool>().Single(), $"all of {x}");
        }
    }

    [TestMethod]
    public void VarianceOfOneElementWithCorrectionIsNaN()
    {
        var x = Tensor.From(new[] { 4.0 });
        Assert.IsTrue(double.IsNaN(x.Var().Item()));
        Assert.AreEqual(0.0, x.Var(correction: 0).Item());
    }

    [TestMethod]
    [DataRow(DType.Float32)]
    [DataRow(DType.Float64)]
    public void SoftmaxAndLogSoftmaxMatchReference(DType dtype)
    {
        var x = Input(11, [3, 4, 6], dtype, nonContiguous: true, -5, 5);
        foreach (int d in new[] { 0, 1, 2, -1 })
        {
            var shape = x.Shape.ToArray();
            int nd = d < 0 ? d + 3 : d;
            var xv = Reference.Values(x);
            var lse = Ref(x, [d], LogSumExp);
            var expectLog = new double[xv.Length];
            for (int i = 0; i < xv.Length; i++)
            {
                var idx = Reference.Unravel(i, shape);
                idx[nd] = 0;
                int key = 0;
                for (int k = 0; k < 3; k++) if (k != nd) key = key * shape[k] + idx[k];
                expectLog[i] = xv[i] - lse[key];
            }
            Check(expectLog.Select(Math.Exp).ToArray(), shape, x.Softmax(d), dtype, 10 * Rtol(dtype), $"softmax({d})");
            Check(expectLog, shape, x.LogSoftmax(d), dtype, 10 * Rtol(dtype), $"log_softmax({d})");
            Check(Enumerable.Repeat(1.0, lse.Length).ToArray(), RefShape(x, [d], false), x.Softmax(d).Sum(d), dtype, 10 * Rtol(dtype), "rows sum to 1");
        }
    }

    [TestMethod]
    public void SoftmaxIsStableForLargeAndInfiniteInputs()
    {
        var big = Tensor.From(new float[] { 1000, 1001, 1002 });
        double z = 1 + Math.Exp(1) + Math.Exp(2);
        Reference.AssertClose([1 / z, Math.E / z, Math.Exp(2) / z], big.Softmax(0), 1e-5, 1e-7, "softmax of large inputs");
        Reference.AssertClose([-Math.Log(z) + 0, 1 - Math.Log(z), 2 - Math.Log(z)], big.LogSoftmax(0), 1e-5, 1e-5, "log_softmax of large inputs");
        Reference.AssertClose([1000 + Math.Log(z)], big.LogSumExp(0), 1e-6, 0, "logsumexp of large inputs");
        var withInf = Tensor.From(new[,] { { 0, double.NegativeInfinity, 1 }, { double.NegativeInfinity, double.NegativeInfinity, double.NegativeInfinity } });
        double l = Math.Log(1 + Math.E);
        Reference.AssertClose([-l, double.NegativeInfinity, 1 - l], withInf.Select(0, 0).LogSoftmax(0), 1e-12, 0, "log_softmax with -inf");
        Reference.AssertClose([1 / (1 + Math.E), 0, Math.E / (1 + Math.E)], withInf.Select(0, 0).Softmax(0), 1e-12, 0, "softmax with -inf");
        Reference.AssertClose([l, double.NegativeInfinity], withInf.LogSumExp(1), 1e-12, 0, "logsumexp of an all -inf row is -inf");
    }

    [TestMethod]
    [DataRow(1, false, false)]
    [DataRow(1, true, true)]
    [DataRow(2, true, false)]
    [DataRow(2, false, true)]
    [DataRow(2, true, true)]
    public void LayerNormMatchesReference(int normDims, bool withWeight, bool withBias)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var rng = new Random(normDims * 4 + (withWeight ? 2 : 0) + (withBias ? 1 : 0));
            var x = Reference.NonContiguous(Reference.Random(rng, [2, 3, 5], dtype, -3, 3));
            int[] norm = normDims == 1 ? [5] : [3, 5];
            var w = withWeight ? Reference.Random(rng, norm, dtype) : null;
            var b = withBias ? Reference.Random(rng, norm, dtype) : null;
            var dims = normDims == 1 ? new[] { 2 } : new[] { 1, 2 };
            var mean = Ref(x, dims, Mean);
            var variance = Ref(x, dims, v => Var(v, 0));
            var xv = Reference.Values(x);
            var wv = w is null ? null : Reference.Values(w);
            var bv = b is null ? null : Reference.Values(b);
            int inner = norm.Aggregate(1, (p, q) => p * q);
            var expected = xv.Select((v, i) =>
                (v - mean[i / inner]) / Math.Sqrt(variance[i / inner] + 1e-5) * (wv?[i % inner] ?? 1) + (bv?[i % inner] ?? 0)).ToArray();
            var y = x.LayerNorm(norm, w, b);
            Check(expected, [2, 3, 5], y, dtype, dtype == DType.Float32 ? 1e-4 : 1e-10, $"layer_norm {dtype}");
        }
    }

    [TestMethod]
    public void BadArgumentsNameTheOpAndShape()
    {
        var x = Tensor.Zeros(2, 3);
        var ints = Tensor.Zeros([2, 3], DType.Int64);
        var cases = new (Action Act, Type Type, string[] Parts)[]
        {
            (() => x.Sum(2), typeof(ArgumentOutOfRangeException), ["aten::sum", "rank 2"]),
            (() => x.Amax([-3]), typeof(ArgumentOutOfRangeException), ["aten::amax", "-3"]),
            (() => x.Sum([1, -1]), typeof(ArgumentException), ["aten::sum", "multiple times"]),
            (() => ints.Mean(), typeof(ArgumentException), ["aten::mean", "torch.int64", "(2, 3)"]),
            (() => ints.Var(), typeof(ArgumentException), ["aten::var", "torch.int64", "(2, 3)"]),
            (() => x.LayerNorm([2]), typeof(ArgumentException), ["aten::layer_norm", "(2,)", "(2, 3)"]),
            (() => x.LayerNorm([3], Tensor.Ones(4)), typeof(ArgumentException), ["aten::layer_norm", "weight", "(4,)", "(3,)"]),
            (() => x.Argmax(5), typeof(ArgumentOutOfRangeException), ["aten::argmax", "5"]),
        };
        foreach (var (act, type, parts) in cases)
        {
            var ex = Assert.Throws<Exception>(act);
            Assert.AreEqual(type, ex.GetType(), ex.Message);
            foreach (var p in parts) Assert.Contains(p, ex.Message);
        }
    }
}
