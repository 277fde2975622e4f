using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Ops with their own fused kernel against the composite of primitives they replace.</summary>
[TestClass]
public class FusedKernelTests
{
    [TestMethod]
    [DataRow(DType.Float32, -1)]
    [DataRow(DType.Float32, 0)]
    [DataRow(DType.Float64, 1)]
    public void SoftmaxAndLogSoftmaxMatchTheirComposites(DType dt, int dim)
    {
        var x = Reference.Random(new Random(dim + 5), [7, 33, 19], dt, -8, 8);
        var shifted = x - x.Amax([dim], keepdim: true);
        var e = shifted.Exp();
        var softmax = e / e.Sum(dim, keepdim: true);
        var logSoftmax = shifted - e.Sum(dim, keepdim: true).Log();
        double tol = dt == DType.Float32 ? 1e-6 : 1e-14;
        Reference.AssertClose(Reference.Values(softmax), x.Softmax(dim), tol, tol, "softmax");
        Reference.AssertClose(Reference.Values(logSoftmax), x.LogSoftmax(dim), tol, tol * 10, "log_softmax");
        Reference.AssertClose(Reference.Values(softmax), Reference.NonContiguous(x).Softmax(dim), tol, tol, "softmax of a strided input");
    }

    [TestMethod]
    public void SoftmaxHandlesInfinitiesLikeTheComposite()
    {
        var x = Tensor.From(new float[] { float.NegativeInfinity, 0, 1, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity }, [2, 3]);
        var s = x.Softmax(1);
        Reference.AssertClose([0, 1 / (1 + Math.E), Math.E / (1 + Math.E), double.NaN, double.NaN, double.NaN], s, 1e-6, 1e-7);
        Reference.AssertClose([double.NegativeInfinity, -Math.Log(1 + Math.E), 1 - Math.Log(1 + Math.E), double.NaN, double.NaN, double.NaN], x.LogSoftmax(1), 1e-6, 1e-6);
    }

    [TestMethod]
    [DataRow(DType.Float32, 1, true)]
    [DataRow(DType.Float64, 2, true)]
    [DataRow(DType.Float64, 3, false)]
    public void LayerNormMatchesItsCompositeForwardAndBackward(DType dt, int k, bool affine)
    {
        var rng = new Random(k);
        var x = Reference.Random(rng, [4, 5, 6], dt, -3, 7);
        int[] shape = new[] { 4, 5, 6 }[(3 - k)..];
        var w = affine ? Reference.Random(rng, shape, dt) : null;
        var b = affine ? Reference.Random(rng, shape, dt) : null;
        var dims = Enumerable.Range(3 - k, k).ToArray();

        Tensor Composite(Tensor xi, Tensor? wi, Tensor? bi)
        {
            var c = xi - xi.Mean(dims, keepdim: true);
            var y = c * (c.Square().Mean(dims, keepdim: true) + 1e-5).Rsqrt();
            if (wi is not null) y = y * wi;
            return bi is null ? y : y + bi;
        }

        double tol = dt == DType.Float32 ? 2e-5 : 1e-12;
        Reference.AssertClose(Reference.Values(Composite(x, w, b)), x.LayerNorm(shape, w, b), tol, tol, "forward");

        // Gradients of a weighted sum, fused vs composite.
        var weights = Reference.Random(rng, [4, 5, 6], dt);
        Tensor[] Grads(Func<Tensor, Tensor?, Tensor?, Tensor> f)
        {
            var xs = x.Detach().Clone().RequiresGrad_();
            var ws = w?.Detach().Clone().RequiresGrad_();
            var bs = b?.Detach().Clone().RequiresGrad_();
            (f(xs, ws, bs) * weights).Sum().Backward();
            return new[] { xs.Grad!, ws?.Grad, bs?.Grad }.Where(t => t is not null).ToArray()!;
        }
        var fused = Grads((xi, wi, bi) => xi.LayerNorm(shape, wi, bi));
        var composite = Grads(Composite);
        for (int i = 0; i < fused.Length; i++)
            Reference.AssertClose(Reference.Values(composite[i]), fused[i], tol * 10, tol * 10, $"gradient {i}");
    }
}
