using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

[TestClass]
public class ElementwiseTests
{
    /// <summary>Shape pairs covering equal shapes, broadcasting both ways, 0-dim, empty, vector tails and the parallel path.</summary>
    private static readonly (int[] A, int[] B)[] ShapePairs =
    [
        ([17], [17]), ([1], [1]), ([3, 1], [1, 4]), ([2, 3, 33], [33]), ([5, 7], []), ([], [6]), ([0, 3], [3]),
        ([4, 1031], [4, 1]), ([2, 1, 5], [3, 1]), ([300, 1001], [1001]), ([70_001], [70_001]),
    ];

    public static IEnumerable<object[]> BinaryCases() =>
        from op in new[] { "add", "sub", "mul", "div", "pow", "maximum", "minimum" }
        from dt in new[] { DType.Float32, DType.Float64 }
        select new object[] { op, dt };

    private static Tensor Binary(string op, Tensor a, Tensor b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "pow" => a.Pow(b),
        "maximum" => a.Maximum(b),
        _ => a.Minimum(b),
    };

    private static double BinaryRef(string op, double a, double b) => op switch
    {
        "add" => a + b,
        "sub" => a - b,
        "mul" => a * b,
        "div" => a / b,
        "pow" => Math.Pow(a, b),
        "maximum" => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b),
        _ => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Min(a, b),
    };

    [TestMethod]
    [DynamicData(nameof(BinaryCases))]
    public void BinaryOpMatchesFloat64Reference(string op, DType dt)
    {
        var rng = new Random(op.GetHashCode() & 0xFFFF);
        double lo = op is "pow" or "div" ? 0.5 : -2;
        double rtol = dt == DType.Float32 ? 2e-6 : 1e-14;
        foreach (var (sa, sb) in ShapePairs)
        {
            var a = Reference.Random(rng, sa, dt, lo, 2);
            var b = Reference.Random(rng, sb, dt, lo, 2);
            var expected = Reference.Elementwise(v => BinaryRef(op, v[0], v[1]), a, b);
            var r = Binary(op, a, b);
            Assert.AreEqual(dt, r.DType);
            Reference.AssertShape(r, Reference.BroadcastShape(sa, sb));
            Reference.AssertClose(expected, r, rtol, 1e-7, $"{op} {Shapes.Format(sa)} {Shapes.Format(sb)}");
            // Non-contiguous operands give the same result.
            if (a.Dim >= 1 && a.Numel > 1)
                Reference.AssertClose(expected, Binary(op, Reference.NonContiguous(a), b), rtol, 1e-7, $"{op} non-contiguous a {Shapes.Format(sa)}");
            if (b.Dim >= 1 && b.Numel > 1)
                Reference.AssertClose(expected, Binary(op, a, Reference.NonContiguous(b)), rtol, 1e-7, $"{op} non-contiguous b {Shapes.Format(sb)}");
        }
    }

    [TestMethod]
    [DataRow(DType.Int64)]
    [DataRow(DType.Int32)]
    public void IntegerArithmeticStaysInteger(DType dt)
    {
        var rng = new Random(3);
        var a = Reference.Random(rng, [5, 9], dt, -20, 20);
        var b = Reference.Random(rng, [9], dt, -20, 20);
        foreach (var op in new[] { "add", "sub", "mul", "maximum", "minimum" })
        {
            var r = Binary(op, a, b);
            Assert.AreEqual(dt, r.DType, op);
            Reference.AssertClose(Reference.Elementwise(v => BinaryRef(op, v[0], v[1]), a, b), r, 0, 0, op);
        }
        var q = a / b.Clamp(min: 1);
        Assert.AreEqual(DType.Float32, q.DType, "true division of integers gives float32");
        Reference.AssertClose(Reference.Elementwise(v => v[0] / Math.Max(v[1], 1), a, b), q, 1e-6, 0, "div");
        var e = Reference.Random(rng, [9], dt, 0, 4);
        var p = a.Pow(e);
        Assert.AreEqual(dt, p.DType);
        Reference.AssertClose(Reference.Elementwise(v => Math.Pow(v[0], v[1]), a, e), p, 0, 0, "int pow");
        var ex = Assert.ThrowsExactly<ArgumentException>(() => a.Pow(Tensor.From(new long[] { -1 }).To(dt)));
        StringAssert.Contains(ex.Message, "negative integer powers");
    }

    public static IEnumerable<object[]> UnaryCases() =>
        from op in new[] { "neg", "abs", "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "gelu", "gelu_tanh", "erf", "square" }
        from dt in new[] { DType.Float32, DType.Float64 }
        select new object[] { op, dt };

    private static Tensor Unary(string op, Tensor x) => op switch
    {
        "neg" => -x,
        "abs" => x.Abs(),
        "exp" => x.Exp(),
        "log" => x.Log(),
        "sqrt" => x.Sqrt(),
        "rsqrt" => x.Rsqrt(),
        "tanh" => x.Tanh(),
        "sigmoid" => x.Sigmoid(),
        "relu" => x.Relu(),
        "gelu" => x.Gelu(),
        "gelu_tanh" => x.Gelu(GeluApproximation.Tanh),
        "erf" => x.Erf(),
        _ => x.Square(),
    };

    internal static double UnaryRef(string op, double x) => op switch
    {
        "neg" => -x,
        "abs" => Math.Abs(x),
        "exp" => Math.Exp(x),
        "log" => Math.Log(x),
        "sqrt" => Math.Sqrt(x),
        "rsqrt" => 1 / Math.Sqrt(x),
        "tanh" => Math.Tanh(x),
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        "relu" => Math.Max(x, 0),
        "gelu" => x >= 0 ? 0.5 * x * (1 + ErfRef(x / Math.Sqrt(2))) : 0.5 * x * ErfcRef(-x / Math.Sqrt(2)),
        "gelu_tanh" => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
        "erf" => ErfRef(x),
        _ => x * x,
    };

    /// <summary>erf by its Maclaurin series (|x| &lt; 2) or 1 - erfc, in double.</summary>
    internal static double ErfRef(double x)
    {
        double ax = Math.Abs(x);
        if (ax >= 2) return Math.CopySign(1 - ErfcRef(ax), x);
        double sum = 0, term = ax;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -ax * ax / (n + 1);
            if (Math.Abs(term) < 1e-18) break;
        }
        return Math.CopySign(2 / Math.Sqrt(Math.PI) * sum, x);
    }

    /// <summary>erfc(z) for z &gt;= 0: 1 - series below 2, else the continued fraction (no cancellation in the tail).</summary>
    internal static double ErfcRef(double z)
    {
        if (z < 2) return 1 - ErfRef(z);
        // erfc(z) = exp(-z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))) evaluated from the tail.
        double f = z;
        for (int k = 400; k >= 1; k--) f = z + k / 2.0 / f;
        return Math.Exp(-z * z) / Math.Sqrt(Math.PI) / f;
    }

    [TestMethod]
    [DynamicData(nameof(UnaryCases))]
    public void UnaryOpMatchesFloat64Reference(string op, DType dt)
    {
        var rng = new Random(op.Length * 31 + (int)dt);
        bool positive = op is "log" or "sqrt" or "rsqrt";
        double rtol = dt == DType.Float32 ? 4e-6 : 1e-12;
        double atol = dt == DType.Float32 ? 2e-7 : 1e-14;
        foreach (var shape in new[] { new[] { 1 }, [17], [3, 33], [], [0, 4], [2, 3, 1031], [100_003] })
        {
            var x = Reference.Random(rng, shape, dt, positive ? 0.01 : -6, 6);
            var expected = Reference.Values(x).Select(v => UnaryRef(op, v)).ToArray();
            var r = Unary(op, x);
            Assert.AreEqual(dt, r.DType);
            Reference.AssertShape(r, shape);
            Reference.AssertClose(expected, r, rtol, atol, $"{op} {Shapes.Format(shape)}");
            if (x.Numel > 1) Reference.AssertClose(expected, Unary(op, Reference.NonContiguous(x)), rtol, atol, $"{op} non-contiguous");
        }
    }

    [TestMethod]
    public void UnaryEdgeValues()
    {
        var x = Tensor.From(new float[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0, -0f, 100, -100 });
        Reference.AssertClose([double.NaN, 1, -1, 0, 0, 1, -1], x.Tanh(), 0, 0, "tanh");
        Reference.AssertClose([double.NaN, 1, 0, 0.5, 0.5, 1, 0], x.Sigmoid(), 0, 1e-30, "sigmoid");
        Reference.AssertClose([double.NaN, double.PositiveInfinity, 0, 0, 0, 100, 0], x.Relu(), 0, 0, "relu");
        Reference.AssertClose([double.NaN, double.PositiveInfinity, 0, 1, 1, double.PositiveInfinity, Math.Exp(-100)], x.Exp(), 0, 2e-45, "exp (a float denormal)");
        Reference.AssertClose([double.NaN, 1, -1, 0, 0, 1, -1], x.Erf(), 0, 0, "erf");
    }

    [TestMethod]
    public void TranscendentalsOnIntegersPromoteToFloat32()
    {
        var i = Tensor.From(new long[] { 0, 1, 2 });
        var e = i.Exp();
        Assert.AreEqual(DType.Float32, e.DType);
        Reference.AssertClose([1, Math.E, Math.E * Math.E], e, 1e-6);
        Assert.AreEqual(DType.Int64, i.Relu().DType);
        Assert.AreEqual(DType.Int64, (-i).DType);
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { true }).Neg());
    }

    [TestMethod]
    public void TypePromotionFollowsPyTorch()
    {
        var f32 = Tensor.Ones(3);
        var f64 = Tensor.Ones([3], DType.Float64);
        var i64 = Tensor.Ones([3], DType.Int64);
        var i32 = Tensor.Ones([3], DType.Int32);
        Assert.AreEqual(DType.Float32, (f32 + i64).DType);
        Assert.AreEqual(DType.Float64, (f32 + f64).DType);
        Assert.AreEqual(DType.Int64, (i32 + i64).DType);
        Assert.AreEqual(DType.Float32, (f32 + Tensor.Scalar(1.0, DType.Float64)).DType, "0-dim of the same category does not promote");
        Assert.AreEqual(DType.Float64, (i64 + Tensor.Scalar(1.5, DType.Float64)).DType, "0-dim of a higher category wins");
        Assert.AreEqual(DType.Float32, (i64 + 2.5).DType, "float scalar with int tensor gives the default float");
        Assert.AreEqual(DType.Int32, i32.Add(2L).DType, "int scalar keeps int32");
        Assert.AreEqual(DType.Float64, (f64 * 2.0).DType);
        Assert.AreEqual(DType.Float32, (2.0 - i32).DType);
        Assert.AreEqual(DType.Float32, (i64 / i64).DType);
        Assert.AreEqual(DType.Bool, (f32 < i64).DType);
        Assert.AreEqual(DType.Float32, i64.Pow(0.5).DType);
        // bool ⊕ bool stays bool (add is logical or); bool − bool is PyTorch's error.
        Assert.AreEqual(DType.Bool, (Tensor.From(new[] { true }) + Tensor.From(new[] { false })).DType);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { true }) - Tensor.From(new[] { false }));
        StringAssert.Contains(ex.Message, "bool");
    }

    [TestMethod]
    public void ScalarOperatorsMatchReference()
    {
        var rng = new Random(5);
        var x = Reference.Random(rng, [4, 19], DType.Float32, 0.5, 2);
        Reference.AssertClose(Reference.Values(x).Select(v => (float)(2 - v)).Select(v => (double)v).ToArray(), 2.0 - x, 1e-6);
        Reference.AssertClose(Reference.Values(x).Select(v => 3 / v).ToArray(), 3.0 / x, 1e-6);
        Reference.AssertClose(Reference.Values(x).Select(v => v * 0.5 + 1).ToArray(), x * 0.5 + 1, 1e-6);
        Reference.AssertClose(Reference.Values(x).Select(v => Math.Pow(v, 3)).ToArray(), x.Pow(3.0), 2e-6);
        Reference.AssertClose(Reference.Values(x).Select(v => v * v).ToArray(), x.Pow(2.0), 1e-6);
    }

    public static IEnumerable<object[]> CompareCases() =>
        new[] { "eq", "ne", "lt", "le", "gt", "ge" }.Select(op => new object[] { op });

    [TestMethod]
    [DynamicData(nameof(CompareCases))]
    public void ComparisonsBroadcastAndPromote(string op)
    {
        var rng = new Random(11);
        // Small integers so that equality happens often; one side float, one int64.
        var a = Reference.Random(rng, [6, 1, 17], DType.Int64, -3, 3).To(DType.Float32);
        var b = Reference.Random(rng, [5, 1], DType.Int64, -3, 3);
        Func<double, double, bool> f = op switch
        {
            "eq" => (x, y) => x == y, "ne" => (x, y) => x != y, "lt" => (x, y) => x < y,
            "le" => (x, y) => x <= y, "gt" => (x, y) => x > y, _ => (x, y) => x >= y,
        };
        var r = op switch
        {
            "eq" => a.Eq(b), "ne" => a.Ne(b), "lt" => a < b, "le" => a <= b, "gt" => a > b, _ => a >= b,
        };
        Assert.AreEqual(DType.Bool, r.DType);
        Reference.AssertShape(r, 6, 5, 17);
        Reference.AssertClose(Reference.Elementwise(v => f(v[0], v[1]) ? 1 : 0, a, b), r, 0, 0, op);
        Assert.IsFalse(Tensor.From(new[] { float.NaN }).Eq(double.NaN).Item<int>() == 1, "NaN != NaN");
    }

    [TestMethod]
    public void LogicalOpsWhereAndClamp()
    {
        var p = Tensor.From(new[] { true, true, false, false });
        var q = Tensor.From(new[] { true, false, true, false });
        CollectionAssert.AreEqual(new[] { true, false, false, false }, (p & q).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { true, true, true, false }, (p | q).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { false, true, true, false }, (p ^ q).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { false, false, true, true }, (!p).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { false, true, false }, Tensor.From(new[] { 0.0, 2.5, 0.0 }).LogicalAnd(Tensor.Ones(3)).ToArray<bool>());
        CollectionAssert.AreEqual(new[] { true, false }, Tensor.From(new long[] { 0, 7 }).LogicalNot().ToArray<bool>());

        var rng = new Random(2);
        var x = Reference.Random(rng, [3, 1, 4], DType.Float64);
        var y = Reference.Random(rng, [5, 1], DType.Float32);
        var c = x > 0;
        var w = Tensor.Where(c, x, y);
        Assert.AreEqual(DType.Float64, w.DType);
        Reference.AssertClose(Reference.Elementwise(v => v[0] != 0 ? v[1] : v[2], c, x, y), w, 1e-7);
        Reference.AssertClose(Reference.Values(x).Select(v => v > 0 ? v : -1).ToArray(), Tensor.Where(c, x, -1.0), 0);

        var z = Reference.Random(rng, [50], DType.Float32, -3, 3);
        Reference.AssertClose(Reference.Values(z).Select(v => Math.Clamp(v, -1, 0.5)).ToArray(), z.Clamp(-1, 0.5), 0);
        Reference.AssertClose(Reference.Values(z).Select(v => Math.Max(v, 0)).ToArray(), z.Clamp(min: 0), 0);
        Reference.AssertClose(Reference.Values(z).Select(v => Math.Min(v, 1)).ToArray(), z.Clamp(max: 1), 0);
        Reference.AssertClose(Enumerable.Repeat(-1.0, 50).ToArray(), z.Clamp(2, -1), 0, 0, "min > max gives max");
        Assert.ThrowsExactly<ArgumentException>(() => z.Clamp());
    }

    [TestMethod]
    public void BroadcastErrorsNameOpAndShapes()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4));
        StringAssert.Contains(ex.Message, "aten::add");
        StringAssert.Contains(ex.Message, "(2, 3)");
        StringAssert.Contains(ex.Message, "(4,)");
        ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(2, 3).Mul(Tensor.Zeros(3, 2)));
        StringAssert.Contains(ex.Message, "aten::mul");
        ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(2, 3).Lt(Tensor.Zeros(3, 2)));
        StringAssert.Contains(ex.Message, "aten::lt");
        ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Where(Tensor.Zeros(2).Gt(0), Tensor.Zeros(3), Tensor.Zeros(2)));
        StringAssert.Contains(ex.Message, "aten::where");
    }
}
