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
}
