using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// The device table's fill kernels (full, arange, eye, rand, randn, randint) and host transfers (Tensor.From, Item,
/// ToArray, printing, GradCheck's perturbation), against plain loops and the generator's own stream.
/// </summary>
[TestClass]
public class FactoryAndTransferKernelTests
{
    [TestMethod]
    public void RandomFillsConsumeTheGeneratorStreamInElementOrder()
    {
        // The generator is the reference: a fill draws exactly what the generator's own span fill draws.
        var f32 = new float[2 * 3 * 4];
        new Generator(42).FillUniform(f32);
        CollectionAssert.AreEqual(f32, Tensor.Rand([2, 3, 4], DType.Float32, new Generator(42)).ToArray<float>());
        var f64 = new double[7];
        new Generator(43).FillNormal(f64);
        CollectionAssert.AreEqual(f64, Tensor.Randn([7], DType.Float64, new Generator(43)).ToArray<double>());
        var ints = new long[9];
        new Generator(44).FillInt(ints, -3, 5);
        CollectionAssert.AreEqual(ints, Tensor.Randint(-3, 5, [3, 3], new Generator(44)).ToArray<long>());
        // Consecutive draws continue one stream.
        var g = new Generator(45);
        var (a, b) = (Tensor.Rand([5], DType.Float64, g).ToArray<double>(), Tensor.Rand([5], DType.Float64, g).ToArray<double>());
        var both = new double[10];
        new Generator(45).FillUniform(both);
        CollectionAssert.AreEqual(both, a.Concat(b).ToArray());
    }

    [TestMethod]
    public void ArangeAndFullMatchPlainLoops()
    {
        CollectionAssert.AreEqual(new long[] { 7, 4, 1, -2 }, Tensor.Arange(7, -3, -3).ToArray<long>());
        long big = long.MaxValue - 10;
        CollectionAssert.AreEqual(new[] { big, big + 4, big + 8 }, Tensor.Arange(big, long.MaxValue, 4).ToArray<long>());
        var r = Tensor.Arange(0.1, 1.0, 0.3, DType.Float32).ToArray<float>();
        CollectionAssert.AreEqual(Enumerable.Range(0, 3).Select(i => (float)(0.1 + i * 0.3)).ToArray(), r);
        CollectionAssert.AreEqual(new[] { -2.5, -2.5 }, Tensor.Full([2], -2.5, DType.Float64).ToArray<double>());
        CollectionAssert.AreEqual(new[] { -2, -2 }, Tensor.Full([2], -2.5, DType.Int32).ToArray<int>());
        CollectionAssert.AreEqual(new[] { true, true }, Tensor.Full([2], 0.5, DType.Bool).ToArray<bool>());
        Assert.AreEqual(0, Tensor.Full([0, 3], 1).Numel);
    }

    [TestMethod]
    [DataRow(3, 3)]
    [DataRow(2, 5)]
    [DataRow(4, 1)]
    [DataRow(0, 2)]
    [DataRow(3, 0)]
    public void EyeHasOnesExactlyOnTheDiagonal(int n, int m)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Int64, DType.Bool })
        {
            var e = Tensor.Eye(n, m, dtype);
            Reference.AssertShape(e, n, m);
            var expected = new double[n * m];
            for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) expected[i * m + j] = i == j ? 1 : 0;
            Reference.AssertClose(expected, e, 0, 0, $"eye({n}, {m}) {dtype}");
        }
    }

    [TestMethod]
    public void FromCopiesTheArrayAndToArrayCopiesOut()
    {
        var src = new long[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.From(src, [2, 3]);
        src[0] = 100;
        Assert.AreEqual(1L, t[0, 0].Item<long>(), "From copies the array");
        var out1 = t.ToArray<long>();
        out1[1] = 100;
        Assert.AreEqual(2L, t[0, 1].Item<long>(), "ToArray returns a copy");
        var nd = Tensor.From(new bool[,] { { true, false }, { false, true } });
        CollectionAssert.AreEqual(new[] { 1.0, 0, 0, 1 }, Reference.Values(nd));
        // Converting reads of a strided view: row-major values, converted like a cast.
        var x = Tensor.From(new double[] { 1.5, -2.5, 3.5, -4.5, 5.5, -6.5 }, [2, 3]).T;
        CollectionAssert.AreEqual(new[] { 1.5, -4.5, -2.5, 5.5, 3.5, -6.5 }, x.ToArray<double>());
        CollectionAssert.AreEqual(new[] { 1, -4, -2, 5, 3, -6 }, x.ToArray<int>());
        CollectionAssert.AreEqual(new[] { 1.5f, -4.5f }, x[0].ToArray<float>());
        Assert.AreEqual(5L, x[1, 1].Item<long>());
        Assert.AreEqual(-6.5, x[2, 1].Item());
        Assert.IsTrue(Tensor.Scalar(true).Item<int>() == 1);
    }

    [TestMethod]
    public void PrintingAViewReadsItsOwnElements()
    {
        var x = Tensor.From(new long[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        Assert.AreEqual("tensor([[1, 4],\n        [2, 5],\n        [3, 6]])", x.T.ToString());
        Assert.AreEqual("tensor([2, 5])", x.T[1].ToString());
        Assert.AreEqual("tensor([ True, False])", Tensor.From(new[] { false, true, false }).Narrow(0, 1, 2).ToString());
        Assert.AreEqual("tensor([0.5000, 2.2500], dtype=torch.float64)", Tensor.From(new double[] { 9, 0.5, 2.25 })[1..].ToString());
    }

    [TestMethod]
    public void GradCheckPerturbsAStridedInputInPlaceAndRestoresIt()
    {
        var x = Reference.NonContiguous(Reference.Random(new Random(3), [3, 2])).RequiresGrad_();
        var before = Reference.Values(x);
        int version = x.Storage.Version;
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Mul(t[0]).Sum(1), [x]));
        CollectionAssert.AreEqual(before, Reference.Values(x), "values restored exactly");
        Assert.AreEqual(version, x.Storage.Version, "no in-place version bump");
    }
}
