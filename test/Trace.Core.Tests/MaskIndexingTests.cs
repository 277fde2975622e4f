using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Indexer assignment, boolean-mask selection and assignment (masked_select / masked_fill / masked_scatter).</summary>
[TestClass]
[DoNotParallelize]
public class MaskIndexingTests
{
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(13));

    [TestMethod]
    public void IndexerAssignmentCopiesIntoTheViewWithBroadcasting()
    {
        var x = Tensor.Zeros([3, 4], DType.Float64);
        x[1, TensorIndex.Slice(1, 3)] = Tensor.From(new[] { 5.0, 6.0 });
        x[.., 0] = Tensor.Scalar(2.0);
        x[2] = Tensor.From(new[] { 1.0, 2, 3, 4 });
        CollectionAssert.AreEqual(new[] { 2.0, 0, 0, 0, 2, 5, 6, 0, 1, 2, 3, 4 }, x.ToArray<double>());
        var g = Tensor.Zeros([2, 3], DType.Float32).Cuda();
        g[.., 1..] = Tensor.From(new[] { 7f, 8f });
        CollectionAssert.AreEqual(new[] { 0f, 7, 8, 0, 7, 8 }, g.Cpu().ToArray<float>());
        Assert.ThrowsExactly<ArgumentException>(() => x[0] = Tensor.From(new[] { 1.0, 2.0 }));
    }

    [TestMethod]
    public void MaskSelectionReturnsTheTrueElementsInOrder()
    {
        var x = R(3, 4);
        var mask = x.Gt(0.0);
        var e = x.ToArray<double>().Where(v => v > 0).ToArray();
        CollectionAssert.AreEqual(e, x[mask].ToArray<double>());
        CollectionAssert.AreEqual(e, x.Cuda()[mask.Cuda()].Cpu().ToArray<double>());
        var rows = Tensor.From(new[] { true, false, true });
        CollectionAssert.AreEqual(new[] { 8 }, x.MaskedSelect(rows.Unsqueeze(1)).Shape.ToArray(), "the mask broadcasts");
        Assert.AreEqual(0, x[x.Gt(100.0)].Numel);
        Assert.IsTrue(Autograd.GradCheck(t => t[0].MaskedSelect(t[0].Gt(0.0)).Square(), [R(3, 4).RequiresGrad_()]));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => x.MaskedSelect(x)).Message, "aten::masked_select: expected mask of dtype torch.bool");
    }

    [TestMethod]
    public void MaskAssignmentFillsOrScattersInPlace()
    {
        var x = R(3, 4);
        var mask = x.Lt(0.0);
        var y = x.Clone();
        y[mask] = Tensor.Scalar(0.0);
        CollectionAssert.AreEqual(x.ToArray<double>().Select(v => v < 0 ? 0 : v).ToArray(), y.ToArray<double>());
        var z = x.Clone();
        int count = (int)mask.Sum().Item();
        z[mask] = Tensor.Arange(100.0, 100.0 + count, 1.0, DType.Float64);
        var xs = x.ToArray<double>();
        var zs = z.ToArray<double>();
        int k = 0;
        for (int i = 0; i < xs.Length; i++) Assert.AreEqual(xs[i] < 0 ? 100 + k++ : xs[i], zs[i], $"element {i}");
        var c = x.Cuda();
        c[mask.Cuda()] = Tensor.Arange(100.0, 100.0 + count, 1.0, DType.Float64).Cuda();
        CollectionAssert.AreEqual(zs, c.Cpu().ToArray<double>());
        var e = Assert.ThrowsExactly<ArgumentException>(() => x.MaskedScatter(mask, Tensor.Zeros([count - 1], DType.Float64)));
        StringAssert.Contains(e.Message, $"number of elements in source ({count - 1}");
        Assert.IsTrue(Autograd.GradCheck(t => t[0].MaskedScatter(mask, t[1]).Square(), [R(3, 4).RequiresGrad_(), R(13).RequiresGrad_()]));
    }
}
