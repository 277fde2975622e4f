using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>scatter, scatter_add, index_add (out of place and in place) against float64 loops, gradcheck, CUDA vs CPU, bad indices.</summary>
[TestClass]
[DoNotParallelize]
public class ScatterTests
{
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(9));

    private static readonly Tensor Index2 = Tensor.From(new long[] { 2, 0, 1, 1, 3, 3 }, [3, 2]);

    /// <summary>Reference scatter along dim 1 of a (3, 4) tensor: the loop in torch.scatter's documentation.</summary>
    private static double[] LoopScatter(Tensor self, Tensor index, Tensor src, bool add)
    {
        var r = self.ToArray<double>();
        var ix = index.ToArray<long>();
        var s = src.ToArray<double>();
        int cols = self.Shape[1], ic = index.Shape[1], sc = src.Shape[1];
        for (int i = 0; i < index.Shape[0]; i++)
            for (int j = 0; j < ic; j++)
            {
                int at = i * cols + (int)ix[i * ic + j];
                r[at] = add ? r[at] + s[i * sc + j] : s[i * sc + j];
            }
        return r;
    }

    [TestMethod]
    public void ScatterAndScatterAddMatchTheDocumentedLoop()
    {
        var (x, src) = (R(3, 4), R(3, 3));
        TestUtil.AssertClose(LoopScatter(x, Index2, src, add: false), x.Scatter(1, Index2, src).ToArray<double>(), 0, "scatter");
        TestUtil.AssertClose(LoopScatter(x, Index2, src, add: true), x.ScatterAdd(1, Index2, src).ToArray<double>(), 1e-15, "scatter_add accumulates repeats");
        var filled = x.Scatter(1, Index2, -7.0).ToArray<double>();
        Assert.AreEqual(-7.0, filled[2]);
        Assert.AreEqual(x.ToArray<double>()[1], filled[1], "positions no index names keep their value");
        var y = x.Clone();
        Assert.AreSame(y, y.ScatterAdd_(1, Index2, src));
        CollectionAssert.AreEqual(x.ScatterAdd(1, Index2, src).ToArray<double>(), y.ToArray<double>());
        var ints = Tensor.Zeros([2, 3], DType.Int64).Scatter(1, Tensor.From(new long[] { 2, 0 }, [2, 1]), 5.0);
        CollectionAssert.AreEqual(new long[] { 0, 0, 5, 5, 0, 0 }, ints.ToArray<long>());
    }

    [TestMethod]
    public void ScatterGradientsAreMaskedSelfAndGatheredSrc()
    {
        // Unique indices per row: with repeats only the last write reaches the output, and PyTorch's gradient (gather) is then undefined.
        var unique = Tensor.From(new long[] { 2, 0, 1, 3, 3, 0 }, [3, 2]);
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Scatter(1, unique, t[1]).Square(), [R(3, 4).RequiresGrad_(), R(3, 3).RequiresGrad_()]));
        Assert.IsTrue(Autograd.GradCheck(t => t[0].ScatterAdd(0, Tensor.From(new long[] { 2, 2, 0, 1 }, [1, 4]), t[1]).Square(), [R(3, 4).RequiresGrad_(), R(2, 4).RequiresGrad_()]));
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Scatter(1, Index2, 0.5).Square(), [R(3, 4).RequiresGrad_()]));
        var x = R(3, 4).RequiresGrad_();
        x.Scatter(1, Index2, 1.0).Sum().Backward();
        var g = x.Grad!.ToArray<double>();
        Assert.AreEqual(0.0, g[2]);
        Assert.AreEqual(1.0, g[1], "grad self is the output's gradient with written positions zeroed");
    }

    [TestMethod]
    public void IndexAddAddsScaledSlices()
    {
        var (x, s) = (R(4, 3), R(3, 3));
        var index = Tensor.From(new long[] { 3, 0, 3 });
        var r = x.IndexAdd(0, index, s, alpha: 2).ToArray<double>();
        var e = x.ToArray<double>();
        var sv = s.ToArray<double>();
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < 3; c++) e[(int)index.ToArray<long>()[i] * 3 + c] += 2 * sv[i * 3 + c];
        TestUtil.AssertClose(e, r, 1e-15, "index_add");
        Assert.IsTrue(Autograd.GradCheck(t => t[0].IndexAdd(1, Tensor.From(new long[] { 1, 1 }), t[1], alpha: -0.5).Square(), [R(2, 3).RequiresGrad_(), R(2, 2).RequiresGrad_()]));
        var y = x.Clone();
        y.IndexAdd_(0, index, s);
        TestUtil.AssertClose(x.IndexAdd(0, index, s).ToArray<double>(), y.ToArray<double>(), 0, "in place");
        var bad = Assert.ThrowsExactly<ArgumentException>(() => x.IndexAdd(0, index, R(2, 3)));
        StringAssert.Contains(bad.Message, "aten::index_add: source of shape (2, 3)");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.IndexAdd(0, Tensor.From(new long[] { 4, 0, 1 }), s));
    }

    [TestMethod]
    public void BadScatterInputsNameTheOpAndShapes()
    {
        var x = R(3, 4);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Scatter(1, Tensor.From(new long[] { 4 }, [1, 1]), 1.0));
        StringAssert.Contains(e.Message, "aten::scatter: index 4 is out of bounds for dimension 1 with size 4");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.Scatter(1, Index2.To(DType.Int32), R(3, 3))).Message, "int64");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.Scatter(1, Index2, R(3, 1))).Message, "exceeds src (3, 1)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.ScatterAdd(1, Index2, R(3, 3).To(DType.Float32))).Message, "same dtype");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Cuda().Scatter(0, Tensor.From(new long[] { -1 }, [1, 1]).Cuda(), 1.0));
    }

    [TestMethod]
    public void ScattersOnCudaMatchTheCpuForwardAndBackward()
    {
        var (x, src) = (R(3, 4), R(3, 3));
        var index = Index2;
        Tensor[] Run(Device d)
        {
            var (xd, sd) = (x.Clone().To(d).RequiresGrad_(), src.Clone().To(d).RequiresGrad_());
            var ix = index.To(d);
            var y = xd.Scatter(1, ix, sd).Mul(2.0) + xd.ScatterAdd(1, ix, sd) + xd.IndexAdd(1, Tensor.From(new long[] { 0, 0, 2 }).To(d), sd, 3.0)
                + xd.Scatter(0, ix.Narrow(0, 0, 1), -1.0);
            y.Square().Sum().Backward();
            return [y, xd.Grad!, sd.Grad!];
        }
        var (c, g) = (Run(Device.Cpu), Run(Device.Cuda()));
        for (int i = 0; i < 3; i++) TestUtil.AssertClose(c[i].ToArray<double>(), g[i].Cpu().ToArray<double>(), 1e-12, $"output {i}");
        Assert.AreEqual(Device.Cuda(), g[0].Device);
        var bools = Tensor.Zeros([2, 2], DType.Bool).Scatter(1, Tensor.From(new long[] { 1, 0 }, [2, 1]), 1.0);
        CollectionAssert.AreEqual(bools.ToArray<bool>(), Tensor.Zeros([2, 2], DType.Bool).Cuda().Scatter(1, Tensor.From(new long[] { 1, 0 }, [2, 1]).Cuda(), 1.0).Cpu().ToArray<bool>());
    }
}
