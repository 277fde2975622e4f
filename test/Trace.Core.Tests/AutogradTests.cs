using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

[TestClass]
public class AutogradTests
{
    [TestMethod]
    public void LeavesAccumulateGradients()
    {
        var w = Tensor.From(new double[] { 1, 2, 3 }).RequiresGrad_();
        Assert.IsTrue(w.IsLeaf);
        var y = (w * w).Sum();
        Assert.IsFalse(y.IsLeaf);
        Assert.AreEqual("aten::sum", y.GradFn!.Name);
        y.Backward();
        CollectionAssert.AreEqual(new double[] { 2, 4, 6 }, w.Grad!.ToArray<double>());
        (w * 3.0).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 5, 7, 9 }, w.Grad!.ToArray<double>(), "grads accumulate across backward calls");
        w.Grad = null;
        (w.Sum() * 0.5).Backward();
        CollectionAssert.AreEqual(new double[] { 0.5, 0.5, 0.5 }, w.Grad!.ToArray<double>());
    }

    [TestMethod]
    public void SharedSubexpressionsSumTheirGradients()
    {
        var x = Tensor.Scalar(3.0, DType.Float64).RequiresGrad_();
        var a = x * x;          // 9
        var b = a + a * x;      // x² + x³
        b.Backward();
        Assert.AreEqual(2 * 3 + 3 * 9, x.Grad!.Item(), 1e-12);
    }

    [TestMethod]
    public void BroadcastIsUndoneAndDtypesAreKept()
    {
        var b = Tensor.Zeros(4).RequiresGrad_();                  // float32 leaf
        var x = Tensor.Ones([3, 4], DType.Float64);
        (x + b).Sum().Backward();
        Assert.AreEqual(DType.Float32, b.Grad!.DType);
        CollectionAssert.AreEqual(new float[] { 3, 3, 3, 3 }, b.Grad.ToArray<float>());
    }

    [TestMethod]
    public void NonScalarBackwardNeedsAGradient()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var y = x * 2.0;
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => y.Backward());
        StringAssert.Contains(ex.Message, "scalar outputs");
        StringAssert.Contains(ex.Message, "(3,)");
        y.Backward(Tensor.From(new float[] { 1, 10, 100 }));
        CollectionAssert.AreEqual(new float[] { 2, 20, 200 }, x.Grad!.ToArray<float>());
        Assert.ThrowsExactly<ArgumentException>(() => (x * 2.0).Backward(Tensor.Ones(4)));
        Assert.ThrowsExactly<InvalidOperationException>(() => Tensor.Ones(1).Backward(), "no grad_fn");
    }

    [TestMethod]
    public void SecondBackwardNeedsRetainGraph()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = (x.Exp() * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.AreEqual(2 * 2 * Math.E, x.Grad!.ToArray<float>()[0], 1e-5, "two backward passes accumulate");
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => y.Backward());
        StringAssert.Contains(ex.Message, "second time");
        StringAssert.Contains(ex.Message, "retainGraph");
    }

    [TestMethod]
    public void NoGradAndDetachStopRecording()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        using (Autograd.NoGrad())
        {
            Assert.IsFalse(Autograd.IsEnabled);
            var y = x * 2.0;
            Assert.IsFalse(y.RequiresGrad);
            Assert.IsNull(y.GradFn);
            using (Autograd.EnableGrad()) Assert.IsTrue((x * 2.0).RequiresGrad);
            Assert.IsFalse(Autograd.IsEnabled, "scopes restore the previous mode");
        }
        Assert.IsTrue(Autograd.IsEnabled);
        var d = (x * 2.0).Detach();
        Assert.IsFalse(d.RequiresGrad);
        Assert.IsTrue(d.IsLeaf);
        var z = x * 2.0;
        Assert.AreSame(z.Storage, z.Detach().Storage, "detach shares storage");
        Assert.ThrowsExactly<InvalidOperationException>(() => z.RequiresGrad = false);
        Assert.ThrowsExactly<InvalidOperationException>(() => Tensor.Arange(3).RequiresGrad_());
    }

    [TestMethod]
    public void ManualSgdStepUnderNoGrad()
    {
        var w = Tensor.From(new float[] { 1, -1 }).RequiresGrad_();
        var loss = (w * w).Sum();
        loss.Backward();
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => w.Sub_(w.Grad! * 0.1));
        StringAssert.Contains(ex.Message, "leaf");
        using (Autograd.NoGrad())
        {
            w.Sub_(w.Grad! * 0.1);
            w.Grad!.Zero_();
        }
        CollectionAssert.AreEqual(new float[] { 0.8f, -0.8f }, w.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 0, 0 }, w.Grad!.ToArray<float>());
        Assert.IsTrue(w.IsLeaf && w.RequiresGrad);
    }

    [TestMethod]
    public void InPlaceModificationOfASavedTensorIsReported()
    {
        var x = Tensor.Ones(3).RequiresGrad_();
        var a = Tensor.Ones(3) * 2.0;
        var y = (x * a).Sum();          // mul saves a
        a.Add_(1.0);
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => y.Backward());
        StringAssert.Contains(ex.Message, "modified by an inplace operation");
        StringAssert.Contains(ex.Message, "aten::mul");

        var e = x.Exp();                // exp saves its output
        var s = e.Sum();
        var ex2 = Assert.ThrowsExactly<InvalidOperationException>(() => e.Mul_(2.0));
        StringAssert.Contains(ex2.Message, "aten::mul_");
        s.Backward();
        Assert.AreEqual(Math.E, x.Grad!.ToArray<float>()[0], 1e-6);
    }

    [TestMethod]
    public void InPlaceOpsComputeCorrectlyAndBumpVersions()
    {
        var t = Tensor.From(new float[] { 1, 2, 3, 4 }).View(2, 2);
        int v0 = t.Storage.Version;
        t.Add_(Tensor.From(new float[] { 10, 20 }));
        t.Mul_(2.0).Sub_(1.0).Div_(Tensor.Scalar(2.0));
        CollectionAssert.AreEqual(new float[] { 10.5f, 21.5f, 12.5f, 23.5f }, t.ToArray<float>());
        Assert.IsTrue(t.Storage.Version >= v0 + 4);
        t.T.Select(0, 1).Fill_(0);      // writes through a strided view
        CollectionAssert.AreEqual(new float[] { 10.5f, 0, 12.5f, 0 }, t.ToArray<float>());
        t.Clamp_(11, 12);
        CollectionAssert.AreEqual(new float[] { 11, 11, 12, 11 }, t.ToArray<float>());
        var i = Tensor.Arange(3);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => i.Div_(2.0));
        StringAssert.Contains(ex.Message, "can't be cast");
        Assert.ThrowsExactly<ArgumentException>(() => Tensor.Zeros(3).Add_(Tensor.Zeros(2, 3)));
    }

    [TestMethod]
    public void GradientsNeverAliasEachOtherOrTheCallersTensor()
    {
        var a = Tensor.Zeros(3).RequiresGrad_();
        var b = Tensor.Zeros(3).RequiresGrad_();
        var g = Tensor.Ones(3);
        (a + b).Backward(g);
        Assert.AreNotSame(a.Grad!.Storage, b.Grad!.Storage);
        Assert.AreNotSame(g.Storage, a.Grad.Storage);
        Assert.AreNotSame(g.Storage, b.Grad.Storage);
        using (Autograd.NoGrad()) a.Grad.Zero_();
        CollectionAssert.AreEqual(new float[] { 1, 1, 1 }, b.Grad.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 1, 1, 1 }, g.ToArray<float>());
    }

    [TestMethod]
    public void RetainGradKeepsANonLeafGradient()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var h = x * 3.0;
        h.RetainGrad();
        (h * h).Sum().Backward();
        CollectionAssert.AreEqual(new float[] { 6, 6 }, h.Grad!.ToArray<float>());
        CollectionAssert.AreEqual(new float[] { 18, 18 }, x.Grad!.ToArray<float>());
    }

    [TestMethod]
    public void CreateGraphGivesSecondDerivatives()
    {
        var x = Tensor.Scalar(2.0, DType.Float64).RequiresGrad_();
        var y = x * x * x;                       // x³
        y.Backward(createGraph: true);
        var g = x.Grad!;                         // 3x² = 12, with history
        Assert.AreEqual(12, g.Item(), 1e-12);
        x.Grad = null;
        g.Backward();
        Assert.AreEqual(12, x.Grad!.Item(), 1e-12, "d(3x²)/dx = 6x");
    }

    /// <summary>The lecture's custom ReLU as an autograd Function.</summary>
    private sealed class MyReLU : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0]);
            return x[0].Clamp(min: 0);
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
            [gradOutput.MaskedFill(ctx.SavedTensors[0].Lt(0), 0)];
    }

    [TestMethod]
    public void CustomFunctionMatchesBuiltInRelu()
    {
        var x1 = Reference.Random(new Random(1), [5, 7]).RequiresGrad_();
        var x2 = x1.Detach().Clone().RequiresGrad_();
        var y1 = new MyReLU().Apply(x1);
        Assert.AreEqual("MyReLU", y1.GradFn!.Name);
        (y1 * y1).Sum().Backward();
        (x2.Relu() * x2.Relu()).Sum().Backward();
        Reference.AssertClose(Reference.Values(x2.Grad!), x1.Grad!, 0, 0, "grad");
        Assert.IsTrue(Autograd.GradCheck(t => new MyReLU().Apply(t[0]), [Reference.Random(new Random(2), [6]).RequiresGrad_()]));
    }
}
