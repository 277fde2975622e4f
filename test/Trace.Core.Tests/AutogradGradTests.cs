using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary><see cref="Autograd.Grad"/> (torch.autograd.grad) against Backward and hand-derived gradients.</summary>
[TestClass]
public class AutogradGradTests
{
    [TestMethod]
    public void ReturnsWhatBackwardWouldAccumulateAndLeavesGradUntouched()
    {
        var g = new Generator(1);
        var (a, b) = (Tensor.Randn([3, 4], DType.Float64, g).RequiresGrad_(), Tensor.Randn([4], DType.Float64, g).RequiresGrad_());
        Tensor F() => ((a * b).Tanh() + a.Exp() * b).Sum();
        var grads = Autograd.Grad([F()], [a, b]);
        Assert.IsNull(a.Grad);
        Assert.IsNull(b.Grad);
        F().Backward();
        Reference.AssertClose(Reference.Values(a.Grad!), grads[0]!, rtol: 1e-15, atol: 1e-15);
        Reference.AssertClose(Reference.Values(b.Grad!), grads[1]!, rtol: 1e-15, atol: 1e-15);
    }

    [TestMethod]
    public void IntermediateInputsAndSeveralOutputsWithGivenGradients()
    {
        var x = Tensor.From(new double[] { 1, 2, 3 }).RequiresGrad_();
        var h = x * x;                       // dh: intermediate
        var y1 = h * 2.0;
        var y2 = h.Sum() + x.Sum();
        var gy1 = Tensor.From(new double[] { 1, 10, 100 });
        var grads = Autograd.Grad([y1, y2], [h, x], [gy1, null]);
        // dL/dh = 2·gy1 + 1; dL/dx = dL/dh · 2x + 1.
        Reference.AssertClose([3, 21, 201], grads[0]!, rtol: 0, atol: 0);
        Reference.AssertClose([7, 85, 1207], grads[1]!, rtol: 0, atol: 0);
        Assert.IsNull(x.Grad);
    }

    [TestMethod]
    public void OnlyTheNeededPartOfTheGraphRuns()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var w = Tensor.Ones(2).RequiresGrad_();
        int calls = 0;
        var counted = new Counting(() => calls++).Apply(w);
        var y = (x * 3.0 + counted).Sum();
        var gx = Autograd.Grad([y], [x])[0]!;
        Reference.AssertClose([3, 3], gx, rtol: 0, atol: 0);
        Assert.AreEqual(0, calls, "the branch leading only to w must not run");
    }

    private sealed class Counting(Action onBackward) : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x) => x[0] * 1.0;

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g)
        {
            onBackward();
            return [g];
        }
    }

    [TestMethod]
    public void UnusedInputsThrowUnlessAllowed()
    {
        var (x, unused) = (Tensor.Ones(2).RequiresGrad_(), Tensor.Ones(3).RequiresGrad_());
        var y = (x * 2.0).Sum();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Autograd.Grad([y], [x, unused], retainGraph: true));
        StringAssert.Contains(e.Message, "input 1 (shape (3,)) was not used");
        var grads = Autograd.Grad([y], [x, unused], allowUnused: true);
        Assert.IsNull(grads[1]);
        Reference.AssertClose([2, 2], grads[0]!, rtol: 0, atol: 0);
    }

    [TestMethod]
    public void BadArgumentsNameTheProblem()
    {
        var x = Tensor.Ones(2).RequiresGrad_();
        var y = x * 2.0;
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Autograd.Grad([y], [Tensor.Ones(2)])).Message, "input 0 (shape (2,)) does not require grad");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => Autograd.Grad([y], [x])).Message, "implicitly created only for scalar outputs");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Autograd.Grad([y], [x], [Tensor.Ones(3)])).Message, "gradient of shape (3,) does not match");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Autograd.Grad([y], [x], [null, null])).Message, "2 gradients for 1 outputs");
    }

    [TestMethod]
    public void CreateGraphGivesDifferentiableGradients()
    {
        var x = Tensor.From(new double[] { 0.5, 2 }).RequiresGrad_();
        var dy = Autograd.Grad([x.Pow(3.0).Sum()], [x], createGraph: true)[0]!;
        Assert.IsTrue(dy.RequiresGrad);
        var d2 = Autograd.Grad([dy.Sum()], [x])[0]!;
        Reference.AssertClose([3, 12], d2, rtol: 1e-15, atol: 1e-15);
    }
}
