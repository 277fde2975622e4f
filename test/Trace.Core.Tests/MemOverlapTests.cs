using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// In-place writes whose elements alias: PyTorch's errors for a written-to tensor with repeated elements and for
/// an input that partially overlaps it; exact aliases and disjoint views work; the rest computes as if unaliased.
/// </summary>
[TestClass]
public class MemOverlapTests
{
    private const string Internal = "unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.";
    private const string Partial = "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single memory location. Please clone() the tensor before performing the operation.";

    private static Tensor A(params double[] v) => Tensor.From(v);

    /// <summary>Every in-place op that reads its destination, as (name, op on destination).</summary>
    private static readonly (string Op, Action<Tensor> Write)[] Writers =
    [
        ("aten::add_", t => t.Add_(Tensor.Ones([4], DType.Float64))),
        ("aten::add_", t => t.Add_(Tensor.Ones([4], DType.Float64), 2.0)),
        ("aten::add_", t => t.Add_(1.0)),
        ("aten::sub_", t => t.Sub_(Tensor.Ones([4], DType.Float64))),
        ("aten::sub_", t => t.Sub_(1.0)),
        ("aten::mul_", t => t.Mul_(Tensor.Ones([4], DType.Float64))),
        ("aten::mul_", t => t.Mul_(3.0)),
        ("aten::div_", t => t.Div_(Tensor.Ones([4], DType.Float64))),
        ("aten::div_", t => t.Div_(2.0)),
        ("aten::clamp_", t => t.Clamp_(min: 0.5)),
        ("aten::copy_", t => t.Copy_(A(1, 2, 3, 4))),
    ];

    [TestMethod]
    public void WritingIntoAnExpandedTensorIsRefused()
    {
        foreach (var (op, write) in Writers)
        {
            var baseTensor = Tensor.Zeros([1], DType.Float64);
            var expanded = baseTensor.Expand(4);
            int version = baseTensor.Storage.Version;
            var ex = Assert.ThrowsExactly<ArgumentException>(() => write(expanded), op);
            StringAssert.StartsWith(ex.Message, op + ": " + Internal);
            StringAssert.Contains(ex.Message, "(4,)");
            StringAssert.Contains(ex.Message, "strides (0,)");
            Assert.AreEqual(0.0, baseTensor.Item(), $"{op}: nothing was written");
            Assert.AreEqual(version, baseTensor.Storage.Version, $"{op}: the version is unchanged");
        }
        // A row broadcast down a matrix: stride 0 in one dim only.
        var row = A(1, 2, 3);
        var ex2 = Assert.ThrowsExactly<ArgumentException>(() => row.Unsqueeze(0).Expand(2, 3).Mul_(2.0));
        StringAssert.Contains(ex2.Message, "(2, 3)");
    }

    [TestMethod]
    public void FillIsIdempotentSoAnExpandedTensorMayBeFilled()
    {
        // PyTorch's fill_ skips the overlap check: every alias gets the same value.
        var b = Tensor.Zeros([2], DType.Float64);
        b.Unsqueeze(0).Expand(3, 2).Fill_(7);
        CollectionAssert.AreEqual(new double[] { 7, 7 }, b.ToArray<double>());
        b.Expand(5, 2).Zero_();
        CollectionAssert.AreEqual(new double[] { 0, 0 }, b.ToArray<double>());
        // Size-1 dims with stride 0 repeat nothing.
        var one = Tensor.Zeros([1], DType.Float64).Expand(1);
        one.Add_(3.0);
        Assert.AreEqual(3.0, one.Item());
    }

    [TestMethod]
    public void AnInputPartiallyOverlappingTheDestinationIsRefused()
    {
        var a = A(0, 1, 2, 3, 4);
        var before = a.ToArray<double>();
        Action[] cases =
        [
            () => a[1..].Add_(a[..^1]),
            () => a[..^1].Sub_(a[1..]),
            () => a[1..].Mul_(a[..^1]),
            () => a[1..].Div_(a[..^1]),
            () => a[1..].Copy_(a[..^1]),
            () => a[1..].Add_(a[..^1], 2.0),
            () => a.View(5, 1)[..4].Add_(a[1..].View(4, 1)),
        ];
        foreach (var c in cases)
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(c);
            StringAssert.Contains(ex.Message, Partial);
            StringAssert.Contains(ex.Message, "input of shape (4");
        }
        CollectionAssert.AreEqual(before, a.ToArray<double>(), "nothing was written");

        // Broadcasting a row of a matrix into the matrix is a partial overlap too (as in PyTorch).
        var m = A(1, 2, 3, 4, 5, 6).View(2, 3);
        var ex2 = Assert.ThrowsExactly<ArgumentException>(() => m.Add_(m[0]));
        StringAssert.Contains(ex2.Message, Partial);
        StringAssert.Contains(ex2.Message, "aten::add_");
        // The same memory read in another order (a transpose of a square matrix) is a partial overlap.
        var sq = A(1, 2, 3, 4).View(2, 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => sq.Copy_(sq.T)).Message, Partial);
        CollectionAssert.AreEqual(new double[] { 1, 2, 3, 4 }, sq.ToArray<double>());
    }

    [TestMethod]
    public void ExactAliasesAndDisjointViewsWork()
    {
        var a = A(1, 2, 3, 4);
        a.Add_(a);
        CollectionAssert.AreEqual(new double[] { 2, 4, 6, 8 }, a.ToArray<double>());
        a.Mul_(a.View(2, 2).View(4));
        CollectionAssert.AreEqual(new double[] { 4, 16, 36, 64 }, a.ToArray<double>());
        a.Copy_(a);
        a.Copy_(a.View(4));
        CollectionAssert.AreEqual(new double[] { 4, 16, 36, 64 }, a.ToArray<double>());

        var b = A(1, 2, 3, 4, 5, 6);
        b[..3].Add_(b[3..]);
        CollectionAssert.AreEqual(new double[] { 5, 7, 9, 4, 5, 6 }, b.ToArray<double>());
        b[3..].Copy_(b[..3]);
        CollectionAssert.AreEqual(new double[] { 5, 7, 9, 5, 7, 9 }, b.ToArray<double>());
    }

    [TestMethod]
    public void InterleavedAndStridedAliasesComputeAsIfTheInputWereACopy()
    {
        // Columns of one matrix: disjoint elements inside overlapping memory ranges.
        var m = A(1, 2, 3, 4, 5, 6).View(3, 2);
        m.Select(1, 0).Add_(m.Select(1, 1));
        CollectionAssert.AreEqual(new double[] { 3, 2, 7, 4, 11, 6 }, m.ToArray<double>());

        // Every other element, shifted by one step: a non-aliased computation reads the old values.
        foreach (int n in new[] { 8, 40_000 })
        {
            var x = Tensor.Arange(n).To(DType.Float64);
            var expected = x.Clone();
            expected.Slice(0, 2, n, 2).Add_(x.Slice(0, 0, n - 2, 2).Clone());
            x.Slice(0, 2, n, 2).Add_(x.Slice(0, 0, n - 2, 2));
            CollectionAssert.AreEqual(expected.ToArray<double>(), x.ToArray<double>(), $"n={n}");
        }

        // A broadcast element of the destination itself.
        var a = A(1, 2, 3, 4);
        a.Add_(a[..1].Expand(4));
        CollectionAssert.AreEqual(new double[] { 2, 3, 4, 5 }, a.ToArray<double>());
        var c = A(1, 2, 3, 4);
        c.Copy_(c[^1..].Expand(4));
        CollectionAssert.AreEqual(new double[] { 4, 4, 4, 4 }, c.ToArray<double>());

    }
}
