using Microsoft.VisualStudio.TestTools.UnitTesting;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>pad (four modes), flip, roll, repeat, one_hot, linspace and the vector norm against float64 loops, gradcheck, CUDA, bad inputs.</summary>
[TestClass]
[DoNotParallelize]
public class PadFlipRollTests
{
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(5));

    /// <summary>Reference 1-D pad of the last dim of a (rows, n) tensor by (l, r) with an index rule per mode.</summary>
    private static double[] LoopPad(Tensor x, int l, int r, string mode, double value)
    {
        int rows = x.Shape[0], n = x.Shape[1], m = n + l + r;
        var v = x.ToArray<double>();
        var e = new double[rows * m];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < m; j++)
            {
                int s = j - l;
                int? src = mode switch
                {
                    "reflect" => s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s,
                    "replicate" => Math.Clamp(s, 0, n - 1),
                    "circular" => ((s % n) + n) % n,
                    _ => s >= 0 && s < n ? s : null,
                };
                e[i * m + j] = src is int k ? v[i * n + k] : value;
            }
        return e;
    }

    [TestMethod]
    public void PadMatchesTheIndexRuleOfEachMode()
    {
        var x = R(2, 5);
        foreach (var mode in new[] { "constant", "reflect", "replicate", "circular" })
            foreach (var (l, r) in new[] { (2, 1), (0, 3), (4, 0) })
            {
                var p = F.Pad(x, [l, r], mode, mode == "constant" ? 1.5 : 0);
                CollectionAssert.AreEqual(new[] { 2, 5 + l + r }, p.Shape.ToArray(), $"{mode} {l} {r}");
                TestUtil.AssertClose(LoopPad(x, l, r, mode, 1.5), p.ToArray<double>(), 0, $"{mode} ({l}, {r})");
            }
        TestUtil.AssertClose(x.Narrow(1, 1, 3).ToArray<double>(), F.Pad(x, [-1, -1]).ToArray<double>(), 0, "negative pads crop");
        var two = F.Pad(R(1, 2, 3, 4), [1, 1, 2, 0], "reflect");
        CollectionAssert.AreEqual(new[] { 1, 2, 5, 6 }, two.Shape.ToArray(), "pads from the last dim backwards");
        foreach (var mode in new[] { "constant", "reflect", "replicate", "circular" })
        {
            Assert.IsTrue(Autograd.GradCheck(t => F.Pad(t[0], [2, 1, 1, 1], mode).Square(), [R(3, 4).RequiresGrad_()]), mode);
            var c = R(2, 3, 4);
            TestUtil.AssertClose(F.Pad(c, [1, 2, 2, 1], mode).ToArray<double>(), F.Pad(c.Cuda(), [1, 2, 2, 1], mode).Cpu().ToArray<double>(), 0, $"cuda {mode}");
        }
    }

    [TestMethod]
    public void BadPadsNameTheRule()
    {
        var x = R(2, 3);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Pad(x, [3, 0], "reflect")).Message, "padding size should be less than the corresponding input dimension");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Pad(x, [4, 0], "circular")).Message, "wrapping around more than once");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Pad(x, [1])).Message, "padding length must be even");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Pad(x, [1, 1], "wrap")).Message, "mode must be");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Pad(x, [-2, -2])).Message, "negative size");
    }

    [TestMethod]
    public void FlipRollAndRepeatMatchLoops()
    {
        var x = R(3, 4);
        var v = x.ToArray<double>();
        var flipped = x.Flip(0, 1).ToArray<double>();
        var rolled = x.Roll([1, -1], [0, 1]).ToArray<double>();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
            {
                Assert.AreEqual(v[(2 - i) * 4 + (3 - j)], flipped[i * 4 + j]);
                Assert.AreEqual(v[((i + 2) % 3) * 4 + (j + 1) % 4], rolled[i * 4 + j], "roll moves elements forward by the shift");
            }
        CollectionAssert.AreEqual(new[] { 3.0, 1, 2 }, Tensor.From(new[] { 1.0, 2, 3 }).Roll(7, 0).ToArray<double>(), "7 mod 3 = 1");
        CollectionAssert.AreEqual(new[] { 4.0, 1, 2, 3 }, Tensor.From(new[,] { { 1.0, 2 }, { 3, 4 } }).Roll([1], []).ToArray<double>(), "no dims: flattened");
        var rep = Tensor.From(new[] { 1.0, 2 }).Repeat(2, 3);
        CollectionAssert.AreEqual(new[] { 2, 6 }, rep.Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 1.0, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2 }, rep.ToArray<double>());
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Flip(1).Mul(t[0]).Roll(2, 1).Repeat(2, 1, 2), [R(3, 4).RequiresGrad_()]));
        TestUtil.AssertClose(x.Flip(1).Roll(1, 0).Repeat(2, 2).ToArray<double>(), x.Cuda().Flip(1).Roll(1, 0).Repeat(2, 2).Cpu().ToArray<double>(), 0, "cuda");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.Repeat(2)).Message, "can not be smaller");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.Flip(0, -2)).Message, "multiple times");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.Roll([1, 2], [0])).Message, "must align");
    }

    [TestMethod]
    public void OneHotAndLinspace()
    {
        var idx = Tensor.From(new long[] { 2, 0, 1 });
        var h = F.OneHot(idx);
        Assert.AreEqual(DType.Int64, h.DType);
        CollectionAssert.AreEqual(new long[] { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, h.ToArray<long>());
        CollectionAssert.AreEqual(new[] { 3, 5 }, F.OneHot(idx, 5).Shape.ToArray());
        CollectionAssert.AreEqual(h.ToArray<long>(), F.OneHot(idx.Cuda()).Cpu().ToArray<long>());
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => F.OneHot(idx, 2)).Message, "class values must be in [0, 2)");
        Assert.ThrowsExactly<ArgumentException>(() => F.OneHot(idx.To(DType.Int32)));
        var l = Tensor.Linspace(-1, 1, 5, DType.Float64);
        CollectionAssert.AreEqual(new[] { -1.0, -0.5, 0, 0.5, 1 }, l.ToArray<double>());
        var f = Tensor.Linspace(0, 1, 7).ToArray<float>();
        Assert.AreEqual(0f, f[0]);
        Assert.AreEqual(1f, f[6], "both ends exact");
        Assert.AreEqual(Device.Cuda(), Tensor.Linspace(0, 1, 3, device: Device.Cuda()).Device);
        Assert.AreEqual(0, Tensor.Linspace(0, 1, 0).Numel);
    }

    [TestMethod]
    public void NormMatchesLoopsForEachOrdAndHasPyTorchGradients()
    {
        var x = R(3, 4);
        var v = x.ToArray<double>();
        foreach (double p in new[] { 2, 1, 0, 3, 0.5, double.PositiveInfinity, double.NegativeInfinity })
        {
            var e = new double[3];
            for (int i = 0; i < 3; i++)
            {
                var row = v[(i * 4)..(i * 4 + 4)].Select(Math.Abs).ToArray();
                e[i] = p switch
                {
                    double.PositiveInfinity => row.Max(),
                    double.NegativeInfinity => row.Min(),
                    0 => row.Count(a => a != 0),
                    _ => Math.Pow(row.Sum(a => Math.Pow(a, p)), 1 / p),
                };
            }
            TestUtil.AssertClose(e, x.Norm(p, [1]).ToArray<double>(), 1e-12, $"p={p}");
            TestUtil.AssertClose(e, x.Cuda().Norm(p, [1]).Cpu().ToArray<double>(), 1e-12, $"cuda p={p}");
            if (p != 0) Assert.IsTrue(Autograd.GradCheck(t => t[0].Norm(p, [1], keepdim: true), [R(3, 4).RequiresGrad_()]), $"gradcheck p={p}");
        }
        Assert.AreEqual(Math.Sqrt(v.Sum(a => a * a)), x.Norm().Item(), 1e-12);
        var z = Tensor.Zeros([3], DType.Float64).RequiresGrad_();
        z.Norm().Backward();
        CollectionAssert.AreEqual(new double[3], z.Grad!.ToArray<double>(), "zero gradient at the zero vector, not NaN");
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new long[] { 1, 2 }).Norm());
    }
}
