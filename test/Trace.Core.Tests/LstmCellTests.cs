using Microsoft.VisualStudio.TestTools.UnitTesting;
using static Trace.Core.Tests.Reference;

namespace Trace.Core.Tests;

/// <summary>
/// <c>trace::lstm_cell</c> and its backward: float64 loops of PyTorch's cell formulas, the composed tensor ops, gradcheck
/// (first order through the fused backward, second order through the recorded formula), strided gates and bad inputs.
/// </summary>
[TestClass]
public class LstmCellTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>h', c' and the activated gates from float64 loops.</summary>
    private static (double[] H, double[] C, double[] W) Reference(Tensor xg, Tensor? hg, Tensor? cx)
    {
        int b = xg.Size(0), h = xg.Size(1) / 4;
        double[] x = Values(xg), y = hg is null ? new double[x.Length] : Values(hg), c = cx is null ? new double[b * h] : Values(cx);
        double[] hy = new double[b * h], cy = new double[b * h], w = new double[b * 4 * h];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < h; j++)
            {
                double Gate(int k) => x[r * 4 * h + k * h + j] + y[r * 4 * h + k * h + j];
                double i = Sigmoid(Gate(0)), f = Sigmoid(Gate(1)), g = Math.Tanh(Gate(2)), o = Sigmoid(Gate(3));
                (w[r * 4 * h + j], w[r * 4 * h + h + j], w[r * 4 * h + 2 * h + j], w[r * 4 * h + 3 * h + j]) = (i, f, g, o);
                cy[r * h + j] = f * c[r * h + j] + i * g;
                hy[r * h + j] = o * Math.Tanh(cy[r * h + j]);
            }
        return (hy, cy, w);
    }

    [TestMethod]
    [DataRow(DType.Float64, 5, true, true)]
    [DataRow(DType.Float64, 37, false, true)]
    [DataRow(DType.Float32, 37, true, false)]
    [DataRow(DType.Float32, 3, false, false)]
    public void Forward_MatchesFloat64Loops_AndTheComposedOpsBitForBit(DType dtype, int hidden, bool withHidden, bool withState)
    {
        var g = new Generator(11);
        var xg = Tensor.Randn([4, 4 * hidden], dtype, g).Mul(2.0);
        var hg = withHidden ? Tensor.Randn([4, 4 * hidden], dtype, g) : null;
        var cx = withState ? Tensor.Randn([4, hidden], dtype, g) : null;
        var (hy, cy, w) = Tensor.LstmCell(xg, hg, cx);
        var (eh, ec, ew) = Reference(xg, hg, cx);
        double tol = dtype == DType.Float32 ? 1e-5 : 1e-12;
        AssertClose(eh, hy, tol, tol, "h'");
        AssertClose(ec, cy, tol, tol, "c'");
        AssertClose(ew, w, tol, tol, "workspace");
        var (ch, cc, cw) = (hy.ZerosLike(), cy.ZerosLike(), w.ZerosLike());
        LstmCellMath.Forward(xg, hg, cx, ch, cc, cw);
        CollectionAssert.AreEqual(Values(ch), Values(hy), "h' equals the composed ops");
        CollectionAssert.AreEqual(Values(cc), Values(cy), "c' equals the composed ops");
        CollectionAssert.AreEqual(Values(cw), Values(w), "workspace equals the composed ops");
    }

    [TestMethod]
    [DataRow(true, true)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    public void Backward_PassesGradCheck_ThroughTheFusedBackward(bool useCy, bool withState)
    {
        var g = new Generator(12);
        var inputs = new[] { Tensor.Randn([3, 12], DType.Float64, g), Tensor.Randn([3, 12], DType.Float64, g), Tensor.Randn([3, 3], DType.Float64, g) };
        var (wh, wc) = (Tensor.Randn([3, 3], DType.Float64, g), Tensor.Randn([3, 3], DType.Float64, g));
        Tensor F(Tensor[] x)
        {
            var (h, c, _) = Tensor.LstmCell(x[0], x[1], withState ? x[2] : null);
            var loss = (h * wh).Sum();
            return useCy ? loss + (c * wc).Sum() : loss;
        }
        foreach (var t in inputs) t.RequiresGrad = true;
        Assert.IsTrue(Autograd.GradCheck(F, inputs));
        var (h, _, _) = Tensor.LstmCell(inputs[0], inputs[1], withState ? inputs[2] : null);
        Assert.AreEqual("trace::lstm_cell", h.GradFn?.Name);
    }

    [TestMethod]
    public void FusedBackward_EqualsTheComposedFormula()
    {
        var g = new Generator(13);
        var (xg, cx) = (Tensor.Randn([5, 36], DType.Float64, g), Tensor.Randn([5, 9], DType.Float64, g));
        var (_, cy, w) = Tensor.LstmCell(xg, null, cx);
        var (dh, dc) = (Tensor.Randn([5, 9], DType.Float64, g), Tensor.Randn([5, 9], DType.Float64, g));
        foreach (var (gh, gc) in new[] { (dh, dc), (dh, null), ((Tensor?)null, dc) })
        {
            var (dGates, dCx) = Tensor.LstmCellBackward(gh, gc, cx, cy, w);
            var (eGates, eCx) = (dGates.ZerosLike(), dCx.ZerosLike());
            LstmCellMath.Backward(gh, gc, cx, cy, w, eGates, eCx);
            AssertClose(Values(eGates), dGates, 1e-12, 1e-12, "d(gates)");
            AssertClose(Values(eCx), dCx, 1e-12, 1e-12, "d(cx)");
        }
    }

    [TestMethod]
    public void LargeBatch_SplitAcrossWorkers_EqualsTheComposedOps()
    {
        // 130 rows of 4·256 gates: more than one worker's 2^16 elements.
        var g = new Generator(16);
        var (xg, hg, cx) = (Tensor.Randn([130, 1024], generator: g), Tensor.Randn([130, 1024], generator: g), Tensor.Randn([130, 256], generator: g));
        var (hy, cy, w) = Tensor.LstmCell(xg, hg, cx);
        var (ch, cc, cw) = (hy.ZerosLike(), cy.ZerosLike(), w.ZerosLike());
        LstmCellMath.Forward(xg, hg, cx, ch, cc, cw);
        CollectionAssert.AreEqual(Values(ch), Values(hy), "h'");
        CollectionAssert.AreEqual(Values(cc), Values(cy), "c'");
        var (dh, dc) = (Tensor.Randn([130, 256], generator: g), Tensor.Randn([130, 256], generator: g));
        var (dGates, dCx) = Tensor.LstmCellBackward(dh, dc, cx, cy, w);
        var (eGates, eCx) = (dGates.ZerosLike(), dCx.ZerosLike());
        LstmCellMath.Backward(dh, dc, cx, cy, w, eGates, eCx);
        AssertClose(Values(eGates), dGates, 1e-5, 1e-6, "d(gates)");
        AssertClose(Values(eCx), dCx, 1e-5, 1e-6, "d(cx)");
    }

    [TestMethod]
    public void SecondOrderGradients_MatchFiniteDifferencesOfTheFirst()
    {
        var g = new Generator(14);
        var inputs = new[] { Tensor.Randn([2, 8], DType.Float64, g).RequiresGrad_(), Tensor.Randn([2, 8], DType.Float64, g).RequiresGrad_(), Tensor.Randn([2, 2], DType.Float64, g).RequiresGrad_() };
        var w = Tensor.Randn([2, 2], DType.Float64, g);
        // The gradient of the loss, itself differentiated: the cell's backward is recorded as the composed formula.
        Tensor GradNorm(Tensor[] x)
        {
            using var _ = Autograd.EnableGrad();   // the finite differences run f without grad
            var (h, c, _) = Tensor.LstmCell(x[0], x[1], x[2]);
            var grads = Autograd.Grad([(h * w).Sum() + c.Square().Sum()], x, createGraph: true);
            return grads.Select(t => t!.Square().Sum()).Aggregate((a, b) => a + b);
        }
        Assert.IsTrue(Autograd.GradCheck(GradNorm, inputs));
    }

    [TestMethod]
    public void StridedInputGates_EqualContiguousOnes()
    {
        var g = new Generator(15);
        var projection = Tensor.Randn([3, 4, 20], DType.Float32, g);   // (batch, steps, 4·hidden), batch first
        var step = projection.Select(1, 2);
        Assert.IsFalse(step.IsContiguous);
        var cx = Tensor.Randn([3, 5], DType.Float32, g);
        var strided = Tensor.LstmCell(step, null, cx);
        var dense = Tensor.LstmCell(step.Contiguous(), null, cx);
        CollectionAssert.AreEqual(Values(dense.Hy), Values(strided.Hy));
        CollectionAssert.AreEqual(Values(dense.Cy), Values(strided.Cy));
    }

    [TestMethod]
    public void BadInputs_ThrowNamingTheOpAndShapes()
    {
        var x = Tensor.Randn([3, 8]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCell(Tensor.Randn([3, 6]), null, null));
        StringAssert.Contains(e.Message, "trace::lstm_cell");
        StringAssert.Contains(e.Message, "(3, 6)");
        e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCell(x, Tensor.Randn([2, 8]), null));
        StringAssert.Contains(e.Message, "hidden_gates");
        e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCell(x, null, Tensor.Randn([3, 3])));
        StringAssert.Contains(e.Message, "cx must have shape (3, 2)");
        e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCell(x, x.To(DType.Float64), null));
        StringAssert.Contains(e.Message, "float64");
        e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCell(Tensor.Ones([3, 8], DType.Int64), null, null));
        StringAssert.Contains(e.Message, "trace::lstm_cell");
        var (_, cy, w) = Tensor.LstmCell(x, null, null);
        e = Assert.ThrowsExactly<ArgumentException>(() => Tensor.LstmCellBackward(Tensor.Randn([3, 3]), null, null, cy, w));
        StringAssert.Contains(e.Message, "trace::lstm_cell_backward: grad_hy must have shape (3, 2)");
    }
}
