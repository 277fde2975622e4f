using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;

namespace Trace.Core.Tests;

/// <summary>
/// <see cref="Utils.ClipGradNorm_(IEnumerable{Tensor}, double, double, bool)"/> and <see cref="Utils.ClipGradValue_"/>
/// against float64 computations of torch.nn.utils' definitions: the total norm of every order, the clip coefficient
/// clamp(max_norm / (total + 1e-6), max=1), null gradients skipped, non-finite norms, dtypes, and bad arguments.
/// </summary>
[TestClass]
public class ClipGradTests
{
    private static readonly int[][] GradShapes = [[3], [4, 5], [], [17]];

    /// <summary>Parameters with gradients of <paramref name="dtype"/> drawn from <paramref name="rng"/>, plus one without a gradient.</summary>
    private static (Tensor[] Params, double[][] Grads) Make(Random rng, DType dtype, double scale)
    {
        var ps = new List<Tensor>();
        var gs = new List<double[]>();
        foreach (var shape in GradShapes)
        {
            int n = shape.Aggregate(1, (a, b) => a * b);
            var g = Enumerable.Range(0, n).Select(_ => scale * (rng.NextDouble() * 2 - 1)).Select(v => dtype == DType.Float32 ? (float)v : v).ToArray();
            var p = Tensor.Zeros(shape, dtype).RequiresGrad_();
            p.Grad = Tensor.From(g, shape).To(dtype);
            ps.Add(p);
            gs.Add(g);
        }
        ps.Insert(2, Tensor.Zeros([2], dtype).RequiresGrad_());   // no gradient: skipped
        return ([.. ps], [.. gs]);
    }

    /// <summary>The p-norm of all elements of <paramref name="grads"/> together, in float64.</summary>
    private static double RefNorm(double[][] grads, double p)
    {
        var all = grads.SelectMany(g => g).Select(Math.Abs).ToArray();
        if (double.IsPositiveInfinity(p)) return all.Max();
        if (double.IsNegativeInfinity(p)) return all.Min();
        if (p == 0) return grads.Count(g => g.Any(v => v != 0));   // vector_norm(stack(per-tensor counts), 0): tensors with a nonzero
        return Math.Pow(all.Sum(v => Math.Pow(v, p)), 1 / p);
    }

    [TestMethod]
    [DataRow(2.0), DataRow(1.0), DataRow(3.0), DataRow(0.5), DataRow(double.PositiveInfinity), DataRow(double.NegativeInfinity)]
    public void TotalNormAndScalingMatchTheFloat64Definition(double normType)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            foreach (double maxNorm in new[] { 0.05, 0.7, 1e6 })   // clipped hard, clipped a little (for most orders), not clipped
            {
                var (ps, grads) = Make(new Random(42 + (int)dtype), dtype, scale: 0.5);
                double total = RefNorm(grads, normType);
                var got = Utils.ClipGradNorm_(ps, maxNorm, normType);
                string what = $"norm {normType} {dtype.TorchName()} maxNorm {maxNorm}";
                double tol = dtype == DType.Float32 ? 1e-6 : 1e-13;
                Assert.AreEqual(0, got.Dim, what);
                Assert.AreEqual(dtype, got.DType, what);
                Assert.AreEqual(total, got.Item(), tol * total, $"{what}: total norm");
                double coef = Math.Min(maxNorm / (total + 1e-6), 1.0);
                int k = 0;
                foreach (var p in ps)
                {
                    if (p.Grad is null) continue;
                    var expected = grads[k++].Select(v => v * coef).ToArray();
                    if (coef == 1) CollectionAssert.AreEqual(expected, Reference.Values(p.Grad), $"{what}: within the bound the gradients are multiplied by exactly 1");
                    else Reference.AssertClose(expected, p.Grad, tol, 0, what);
                }
                Assert.IsNull(ps[2].Grad, $"{what}: a parameter without gradient keeps none");
            }
    }

    [TestMethod]
    public void NormZeroCountsTensorsWithANonzeroAsTorchDoes()
    {
        var a = Tensor.Zeros([3]).RequiresGrad_();
        var b = Tensor.Zeros([2]).RequiresGrad_();
        var c = Tensor.Zeros([4]).RequiresGrad_();
        a.Grad = Tensor.From(new float[] { 0, 2, 3 });
        b.Grad = Tensor.Zeros([2]);
        c.Grad = Tensor.From(new float[] { 1, 0, 0, 0 });
        // vector_norm(stack([2, 0, 1]), ord=0) = 2 nonzero per-tensor norms.
        Assert.AreEqual(2.0, Utils.ClipGradNorm_([a, b, c], maxNorm: 100, normType: 0).Item());
    }

    [TestMethod]
    public void MixedDtypesGiveATotalOfThePromotedDtype()
    {
        var a = Tensor.Zeros([2]).RequiresGrad_();
        var b = Tensor.Zeros([2], DType.Float64).RequiresGrad_();
        a.Grad = Tensor.From(new float[] { 3, 0 });
        b.Grad = Tensor.From(new double[] { 0, 4 });
        var total = Utils.ClipGradNorm_([a, b], maxNorm: 1);
        Assert.AreEqual(DType.Float64, total.DType);
        Assert.AreEqual(5.0, total.Item(), 1e-15);
        double coef = 1 / (5 + 1e-6);
        Assert.AreEqual((float)(3 * (float)coef), a.Grad!.ToArray<float>()[0], "a float32 gradient is scaled in float32");
        Assert.AreEqual(4 * coef, b.Grad!.ToArray<double>()[1], 1e-16);
        Assert.AreEqual(DType.Float32, a.Grad.DType);
    }

    [TestMethod]
    public void NonFiniteNormsThrowOnRequestOrPropagate()
    {
        var p = Tensor.Zeros([3], DType.Float64).RequiresGrad_();
        p.Grad = Tensor.From(new[] { 1, double.PositiveInfinity, 2 });
        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => Utils.ClipGradNorm_([p], 1, errorIfNonfinite: true));
        StringAssert.Contains(ex.Message, "total norm of order 2.0");
        StringAssert.Contains(ex.Message, "non-finite (inf)");
        StringAssert.Contains(ex.Message, "errorIfNonfinite");
        CollectionAssert.AreEqual(new[] { 1, double.PositiveInfinity, 2 }, p.Grad.ToArray<double>(), "nothing is scaled when it throws");

        // Without the check, as in PyTorch: the coefficient max_norm / inf is 0, so finite elements become 0 and inf·0 NaN.
        var total = Utils.ClipGradNorm_([p], 1);
        Assert.AreEqual(double.PositiveInfinity, total.Item());
        var g = p.Grad.ToArray<double>();
        Assert.IsTrue(g[0] == 0 && double.IsNaN(g[1]) && g[2] == 0, string.Join(", ", g));

        var q = Tensor.Zeros([2], DType.Float64).RequiresGrad_();
        q.Grad = Tensor.From(new[] { double.NaN, 1 });
        ex = Assert.ThrowsExactly<InvalidOperationException>(() => Utils.ClipGradNorm_([q], 1, normType: double.PositiveInfinity, errorIfNonfinite: true));
        StringAssert.Contains(ex.Message, "order inf");
        StringAssert.Contains(ex.Message, "(nan)");
    }

    [TestMethod]
    public void NoGradientsGiveAZeroNormAndChangeNothing()
    {
        var p = Tensor.Zeros([3]).RequiresGrad_();
        var total = Utils.ClipGradNorm_([p], 1);
        Assert.AreEqual((0, DType.Float32, Device.Cpu, 0.0), (total.Dim, total.DType, total.Device, total.Item()));
        Assert.IsNull(p.Grad);
        Utils.ClipGradValue_([p], 1);
        Assert.IsNull(p.Grad);
    }

    [TestMethod]
    public void ClipGradValueClampsEveryElement()
    {
        var (ps, grads) = Make(new Random(5), DType.Float64, scale: 2);
        Utils.ClipGradValue_(ps, 0.75);
        int k = 0;
        foreach (var p in ps.Where(p => p.Grad is not null))
            CollectionAssert.AreEqual(grads[k++].Select(v => Math.Clamp(v, -0.75, 0.75)).ToArray(), Reference.Values(p.Grad!));
        Assert.IsTrue(grads.SelectMany(g => g).Any(v => Math.Abs(v) > 0.75), "some elements were out of range");
    }

    [TestMethod]
    public void ClipGradsWithNormUsesAGivenTotal()
    {
        var a = Tensor.Zeros([2], DType.Float64).RequiresGrad_();
        a.Grad = Tensor.From(new double[] { 3, -4 });
        var b = Tensor.Zeros([1], DType.Float64).RequiresGrad_();
        b.Grad = Tensor.From(new double[] { 12 });
        // One total over two "models": sqrt(3² + 4² + 12²) = 13.
        var total = Utils.GetTotalNorm([a.Grad, b.Grad]);
        Assert.AreEqual(13.0, total.Item(), 1e-14);
        Utils.ClipGradsWithNorm_([a], 6.5, total);
        Utils.ClipGradsWithNorm_([b], 6.5, total);
        double coef = 6.5 / (13 + 1e-6);
        Reference.AssertClose([3 * coef, -4 * coef], a.Grad, 1e-15, 0);
        Reference.AssertClose([12 * coef], b.Grad, 1e-15, 0);
        // The single-tensor overload.
        var c = Tensor.Zeros([2], DType.Float64).RequiresGrad_();
        c.Grad = Tensor.From(new double[] { 0, 10 });
        Assert.AreEqual(10.0, Utils.ClipGradNorm_(c, 1).Item());
        Reference.AssertClose([0, 10 / (10 + 1e-6)], c.Grad, 1e-15, 0);
    }

    [TestMethod]
    public void BadArgumentsNameTheFunctionAndTheValue()
    {
        var p = Tensor.Zeros([2]).RequiresGrad_();
        p.Grad = Tensor.Ones(2);
        void Bad(Action a, params string[] fragments)
        {
            var ex = Assert.ThrowsExactly<ArgumentException>(a);
            foreach (var f in fragments) StringAssert.Contains(ex.Message, f);
        }
        Bad(() => Utils.ClipGradNorm_([p], -1), "ClipGradNorm_: maxNorm must be >= 0, got -1.0");
        Bad(() => Utils.ClipGradNorm_([p], double.NaN), "ClipGradNorm_", "nan");
        Bad(() => Utils.ClipGradNorm_([p], 1, normType: -2), "normType", "-2.0");
        Bad(() => Utils.ClipGradNorm_([p], 1, normType: double.NaN), "normType", "nan");
        Bad(() => Utils.ClipGradValue_([p], -0.5), "ClipGradValue_: clipValue must be >= 0, got -0.5");
        Bad(() => Utils.ClipGradsWithNorm_([p], 1, Tensor.Ones(2)), "ClipGradsWithNorm_", "0-dim", "(2,)");
        CollectionAssert.AreEqual(new float[] { 1, 1 }, p.Grad.ToArray<float>(), "refused calls change nothing");
    }
}
