using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

[TestClass]
public class CreationTests
{
    [TestMethod]
    public void ZerosOnesFullHaveShapeDtypeAndValues()
    {
        var z = Tensor.Zeros(2, 3);
        Reference.AssertShape(z, 2, 3);
        Assert.AreEqual(DType.Float32, z.DType);
        Assert.IsTrue(Reference.Values(z).All(v => v == 0));
        var o = Tensor.Ones([4], DType.Int64);
        Assert.AreEqual(DType.Int64, o.DType);
        Assert.IsTrue(Reference.Values(o).All(v => v == 1));
        var f = Tensor.Full([2, 2], 2.5, DType.Float64);
        Assert.IsTrue(Reference.Values(f).All(v => v == 2.5));
        Assert.AreEqual(DType.Float64, f.OnesLike().DType);
        Assert.IsTrue(Reference.Values(f.FullLike(-1)).All(v => v == -1));
        Assert.IsTrue(Reference.Values(f.ZerosLike()).All(v => v == 0));
    }

    [TestMethod]
    public void ArangeMatchesPyTorch()
    {
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3, 4 }, Tensor.Arange(5).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 2, 5, 8 }, Tensor.Arange(2, 10, 3).ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 5, 3, 1 }, Tensor.Arange(5, 0, -2).ToArray<long>());
        Assert.AreEqual(0, Tensor.Arange(3, 3).Numel);
        var f = Tensor.Arange(0.0, 1.0, 0.25);
        Assert.AreEqual(DType.Float32, f.DType);
        CollectionAssert.AreEqual(new float[] { 0, 0.25f, 0.5f, 0.75f }, f.ToArray<float>());
        Assert.AreEqual(10, Tensor.Arange(0.0, 1.0, 0.1).Numel); // ceil((1-0)/0.1)
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Arange(0, 5, 0));
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Arange(0.0, 5.0, -1.0));
    }

    [TestMethod]
    public void EyeIsIdentity()
    {
        var e = Tensor.Eye(3, 4);
        Reference.AssertShape(e, 3, 4);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                Assert.AreEqual(i == j ? 1.0 : 0.0, Reference.Get(e, [i, j]));
    }

    [TestMethod]
    public void RandomGeneratorsAreSeededAndDistributedCorrectly()
    {
        var g = new Generator(42);
        var u = Tensor.Rand([100_000], generator: g);
        var uv = Reference.Values(u);
        Assert.IsTrue(uv.All(v => v >= 0 && v < 1));
        Assert.AreEqual(0.5, uv.Average(), 0.01);
        Assert.AreEqual(1.0 / 12, uv.Select(v => (v - 0.5) * (v - 0.5)).Average(), 0.002);

        var n = Reference.Values(Tensor.Randn([100_000], DType.Float64, new Generator(7)));
        double mean = n.Average(), var = n.Select(v => (v - mean) * (v - mean)).Average();
        Assert.AreEqual(0, mean, 0.02);
        Assert.AreEqual(1, var, 0.02);
        Assert.AreEqual(0.6827, n.Count(v => Math.Abs(v) < 1) / (double)n.Length, 0.01);

        var a = Tensor.Randn([50], generator: new Generator(123)).ToArray<float>();
        var b = Tensor.Randn([50], generator: new Generator(123)).ToArray<float>();
        var c = Tensor.Randn([50], generator: new Generator(124)).ToArray<float>();
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);

        var ri = Tensor.Randint(-3, 4, [10_000], new Generator(1)).ToArray<long>();
        Assert.IsTrue(ri.All(v => v >= -3 && v < 4));
        Assert.AreEqual(7, ri.Distinct().Count());
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Randint(5, 5, [3]));
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Rand([3], DType.Int64));
    }

    [TestMethod]
    [DoNotParallelize]
    public void ManualSeedMakesDefaultGeneratorReproducible()
    {
        Tensor.ManualSeed(2024);
        var a = Tensor.Randn(10).ToArray<float>();
        Tensor.ManualSeed(2024);
        var b = Tensor.Randn(10).ToArray<float>();
        CollectionAssert.AreEqual(a, b);
    }

    [TestMethod]
    public void FromArraysOfEveryRankAndDtype()
    {
        var m = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Reference.AssertShape(m, 2, 3);
        Assert.AreEqual(6.0, Reference.Get(m, [1, 2]));
        var c = Tensor.From(new double[,,] { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } } });
        Assert.AreEqual(DType.Float64, c.DType);
        Assert.AreEqual(7.0, Reference.Get(c, [1, 1, 0]));
        Assert.AreEqual(DType.Int64, Tensor.From(new long[] { 1, 2 }).DType);
        Assert.AreEqual(DType.Int32, Tensor.From(new int[] { 1, 2 }).DType);
        var b = Tensor.From(new bool[] { true, false });
        Assert.AreEqual(DType.Bool, b.DType);
        CollectionAssert.AreEqual(new[] { true, false }, b.ToArray<bool>());
        var flat = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        Reference.AssertShape(flat, 3, 2);
        Assert.AreEqual(4.0, Reference.Get(flat, [1, 1]));
        var src = new float[] { 1, 2 };
        var t = Tensor.From(src);
        src[0] = 99;
        Assert.AreEqual(1.0, Reference.Get(t, [0]), "From copies the array");
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new float[] { 1, 2, 3 }, [2, 2]));
        StringAssert.Contains(ex.Message, "(2, 2)");
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new string[] { "a" }));
    }

    [TestMethod]
    public void ItemToArrayAndNdArray()
    {
        Assert.AreEqual(3.5, Tensor.Scalar(3.5).Item());
        Assert.AreEqual(DType.Float32, Tensor.Scalar(3.5).DType);
        Assert.AreEqual(0, Tensor.Scalar(3.5).Dim);
        Assert.AreEqual(7L, Tensor.Scalar(7L).Item<long>());
        Assert.IsTrue(Tensor.Scalar(true).Item<int>() == 1);
        var m = Tensor.Arange(6).View(2, 3);
        Assert.AreEqual(4L, m[1, 1].Item<long>());
        CollectionAssert.AreEqual(new long[] { 0, 3, 1, 4, 2, 5 }, m.T.ToArray<long>());
        CollectionAssert.AreEqual(new double[] { 0, 1, 2, 3, 4, 5 }, m.ToArray<double>());
        var nd = (long[,])m.T.ToNdArray<long>();
        Assert.AreEqual(5L, nd[2, 1]);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => m.Item());
        StringAssert.Contains(ex.Message, "aten::item");
        StringAssert.Contains(ex.Message, "(2, 3)");
    }

    [TestMethod]
    public void DeviceParsesAndPrints()
    {
        Assert.AreEqual("cpu", Device.Cpu.ToString());
        Assert.AreEqual(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.AreEqual("cuda:0", Device.Parse("cuda").ToString());
        Assert.ThrowsExactly<FormatException>(() => Device.Parse("tpu"));
        var ex = Assert.ThrowsExactly<NotSupportedException>(() => Tensor.Zeros([2], DType.Float32, Device.Cuda(3)));
        StringAssert.Contains(ex.Message, "cuda:3");
    }

    [TestMethod]
    public void NegativeOrHugeShapesAreRejected()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(2, -1));
        StringAssert.Contains(ex.Message, "negative dimension");
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(1 << 16, 1 << 16));
    }
}
