using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Core.Tests.Reference;

namespace Trace.Core.Tests;

/// <summary>
/// <see cref="Tensor.Unbind"/> and the autograd nodes with several differentiable outputs it records: values and views,
/// gradients against the same computation through separate selects (slices used twice or not at all), second order,
/// retained and captured gradients of one slice, and a graph freed after backward.
/// </summary>
[TestClass]
public class UnbindTests
{
    [TestMethod]
    public void Slices_AreViewsEqualToSelect()
    {
        var x = Tensor.Randn([2, 3, 4], generator: new Generator(1));
        var pieces = x.Unbind(1);
        Assert.HasCount(3, pieces);
        for (int t = 0; t < 3; t++)
        {
            CollectionAssert.AreEqual(Values(x.Select(1, t)), Values(pieces[t]));
            Assert.AreSame(x.Storage, pieces[t].Storage);
        }
        Assert.IsEmpty(Tensor.Zeros(0, 2).Unbind(0));
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Scalar(1.0).Unbind());
    }

    [TestMethod]
    public void Gradients_EqualThoseThroughSelects_WithSlicesUsedTwiceOrNotAtAll()
    {
        var g = new Generator(2);
        var w = Tensor.Randn([3, 4], DType.Float64, g);
        // Slice 0 read twice, slice 2 never: its gradient is zero.
        Tensor Loss(Tensor[] s) => (s[0] * w).Sum() + s[0].Square().Sum() + (s[1] * s[3]).Sum();
        var a = Tensor.Randn([3, 5, 4], DType.Float64, g).RequiresGrad_();
        var b = a.Detach().Clone().RequiresGrad_();
        Loss(a.Unbind(1)).Backward();
        Loss([.. Enumerable.Range(0, 5).Select(t => b.Select(1, t))]).Backward();
        AssertClose(Values(b.Grad!), a.Grad!, 1e-14, 1e-14, "unbind vs select gradients");
        Assert.AreEqual(0.0, a.Grad!.Select(1, 2).Abs().Sum().Item());
        Assert.IsTrue(Autograd.GradCheck(x => Loss(x[0].Unbind(1)), [a]));
    }

    [TestMethod]
    public void SecondOrder_AndAGradientOfOneSlice()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([4, 3], DType.Float64, g).RequiresGrad_();
        Assert.IsTrue(Autograd.GradCheck(v =>
        {
            using var _ = Autograd.EnableGrad();   // the finite differences run f without grad
            var s = v[0].Unbind(0);
            var first = Autograd.Grad([(s[0] * s[1]).Exp().Sum() + s[3].Square().Sum()], [v[0]], createGraph: true)[0]!;
            return first.Square().Sum();
        }, [x]));
        var pieces = x.Unbind(0);
        var y = pieces[1] * 3.0 + pieces[2].Square();
        // autograd.grad with respect to one slice (its grad_fn is an output slot of the unbind node).
        var d = Autograd.Grad([y.Sum()], [pieces[2]])[0]!;
        AssertClose(Values(pieces[2] * 2.0), d, 1e-14, 1e-14, "d/d(slice 2)");
    }

    [TestMethod]
    public void RetainedSliceGradient_AndAFreedGraph()
    {
        var x = Tensor.Randn([2, 3], DType.Float64, new Generator(4)).RequiresGrad_();
        var pieces = x.Unbind(0);
        pieces[1].RetainGrad();
        var loss = (pieces[0] * pieces[1]).Sum();
        loss.Backward();
        CollectionAssert.AreEqual(Values(pieces[0]), Values(pieces[1].Grad!));
        CollectionAssert.AreEqual(Values(Tensor.Stack([pieces[1], pieces[0]])), Values(x.Grad!));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => loss.Backward());
        StringAssert.Contains(e.Message, "a second time");
    }

    [TestMethod]
    public void LstmCellOutputs_BothCarryGradients_AndAnUnreachedOneCountsAsZero()
    {
        var g = new Generator(5);
        var xg = Tensor.Randn([2, 8], DType.Float64, g).RequiresGrad_();
        var (h, c, w) = Tensor.LstmCell(xg, null, null);
        Assert.IsFalse(w.RequiresGrad, "the workspace carries no gradient");
        Assert.AreEqual("trace::lstm_cell", c.GradFn?.Name);
        var onlyH = Autograd.Grad([h.Sum()], [xg], retainGraph: true)[0]!;
        var both = Autograd.Grad([h.Sum() + c.Sum()], [xg], retainGraph: true)[0]!;
        var onlyC = Autograd.Grad([c.Sum()], [xg])[0]!;
        AssertClose(Values(onlyH + onlyC), both, 1e-14, 1e-14, "gradients of h' and c' add");
    }
}
