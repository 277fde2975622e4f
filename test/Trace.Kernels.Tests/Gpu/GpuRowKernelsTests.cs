using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU row kernels (softmax, log-softmax, layer norm, variance) on ILGPU's CPU accelerator against float64 loops:
/// row lengths 1 to above the group size, strided rows, NaN/inf rows, float32 and float64; their PTX for sm_90.
/// </summary>
[TestClass]
public sealed class GpuRowKernelsTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    /// <summary>A strided layout: rows padded by 3 elements, elements 2 apart in X; Y dense.</summary>
    private static GpuRowArgs Strided(int rows, int len) =>
        new() { Rows = rows, Len = len, XOffset = 5, XRowStride = 2 * len + 3, XStride = 2, YRowStride = len, YStride = 1 };

    private static double X(float[] x, GpuRowArgs p, int r, int j) => x[p.XOffset + r * p.XRowStride + j * p.XStride];

    private static T[] Softmax<T>(T[] x, GpuRowArgs p, bool log) where T : unmanaged
    {
        p.Flag = log ? 1 : 0;
        p.Check("softmax", x.Length, p.Rows * p.Len);
        using var dx = Acc.Allocate1D(x);
        using var dy = Acc.Allocate1D<T>(p.Rows * p.Len);
        GpuTestDevice.Cached(GpuRowKernels.LoadSoftmax<T>)(Acc.DefaultStream, GpuRowKernels.Config(p), dx.View, dy.View, p);
        Acc.Synchronize();
        return dy.GetAsArray1D();
    }

    private static double[] SoftmaxReference(double[] row, bool log)
    {
        double m = row.Max(), s = row.Sum(v => Math.Exp(v - m));
        return row.Select(v => log ? v - m - Math.Log(s) : Math.Exp(v - m) / s).ToArray();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(7)]
    [DataRow(33)]
    [DataRow(256)]
    [DataRow(300)]
    public void SoftmaxAndLogSoftmaxMatchFloat64OnStridedRows(int len)
    {
        const int rows = 3;
        var p = Strided(rows, len);
        var x = GpuTestDevice.Random(p.XOffset + rows * p.XRowStride, len).Select(v => v * 8).ToArray();
        foreach (bool log in new[] { false, true })
        {
            var y = Softmax(x, p, log);
            for (int r = 0; r < rows; r++)
            {
                var expected = SoftmaxReference(Enumerable.Range(0, len).Select(j => X(x, p, r, j)).ToArray(), log);
                for (int j = 0; j < len; j++)
                    Assert.AreEqual(expected[j], y[r * len + j], 2e-6 * (1 + Math.Abs(expected[j])), $"{(log ? "log_" : "")}softmax len={len} [{r},{j}]");
            }
        }
    }

    [TestMethod]
    public void SoftmaxFollowsPyTorchOnInfAndNaN()
    {
        float inf = float.PositiveInfinity;
        var x = new float[] { 1, inf, 2, -inf, -inf, -inf, 0, -inf, 0, 1, float.NaN, 2 };
        var p = GpuRowArgs.Dense(4, 3);
        var y = Softmax(x, p, log: false);
        var l = Softmax(x, p, log: true);
        for (int j = 0; j < 3; j++)
        {
            Assert.IsTrue(float.IsNaN(y[j]) && float.IsNaN(l[j]), "a row holding +inf gives NaN");
            Assert.IsTrue(float.IsNaN(y[3 + j]) && float.IsNaN(l[3 + j]), "a row of all -inf gives NaN");
            Assert.IsTrue(float.IsNaN(y[9 + j]) && float.IsNaN(l[9 + j]), "NaN propagates to the whole row");
        }
        CollectionAssert.AreEqual(new[] { 0.5f, 0f, 0.5f }, y[6..9], "masked -inf entries get probability 0");
        CollectionAssert.AreEqual(new[] { -MathF.Log(2), float.NegativeInfinity, -MathF.Log(2) }, l[6..9]);
    }

    [TestMethod]
    public void SoftmaxFloat64MatchesFloat64Loops()
    {
        const int rows = 2, len = 301;
        var p = GpuRowArgs.Dense(rows, len);
        var x = GpuTestDevice.Random(rows * len, 9).Select(v => v * 20.0).ToArray();
        foreach (bool log in new[] { false, true })
        {
            var y = Softmax(x, p, log);
            for (int r = 0; r < rows; r++)
            {
                var expected = SoftmaxReference(x[(r * len)..((r + 1) * len)], log);
                for (int j = 0; j < len; j++) Assert.AreEqual(expected[j], y[r * len + j], 1e-13 * (1 + Math.Abs(expected[j])));
            }
        }
    }

    private static (T[] Y, T[] Mean, T[] Rstd) LayerNorm<T>(T[] x, T[]? w, T[]? b, GpuRowArgs p) where T : unmanaged
    {
        p.Extra = (w != null ? 1 : 0) | (b != null ? 2 : 0);
        p.Check("layer_norm", x.Length, p.Rows * p.Len);
        GpuRowKernels.CheckLayerNorm(p, w?.Length ?? 0, b?.Length ?? 0, p.Rows, p.Rows);
        using var dx = Acc.Allocate1D(x);
        using var dw = Acc.Allocate1D(w ?? new T[1]);
        using var db = Acc.Allocate1D(b ?? new T[1]);
        using var dy = Acc.Allocate1D<T>(p.Rows * p.Len);
        using var dm = Acc.Allocate1D<T>(p.Rows);
        using var dr = Acc.Allocate1D<T>(p.Rows);
        GpuTestDevice.Cached(GpuRowKernels.LoadLayerNorm<T>)(Acc.DefaultStream, GpuRowKernels.Config(p), dx.View, w != null ? dw.View : ArrayView<T>.Empty, db.View, dy.View, dm.View, dr.View, p);
        Acc.Synchronize();
        return (dy.GetAsArray1D(), dm.GetAsArray1D(), dr.GetAsArray1D());
    }

    [TestMethod]
    [DataRow(1, true, true)]
    [DataRow(31, false, false)]
    [DataRow(300, true, false)]
    [DataRow(300, false, true)]
    public void LayerNormMatchesFloat64Loops(int len, bool weight, bool bias)
    {
        const int rows = 3;
        const double eps = 1e-5;
        var p = Strided(rows, len);
        p.Eps = eps;
        var x = GpuTestDevice.Random(p.XOffset + rows * p.XRowStride, len + 1).Select(v => v * 3 + 1).ToArray();
        var w = weight ? GpuTestDevice.Random(len, 2) : null;
        var b = bias ? GpuTestDevice.Random(len, 3) : null;
        var (y, mean, rstd) = LayerNorm(x, w, b, p);
        for (int r = 0; r < rows; r++)
        {
            var row = Enumerable.Range(0, len).Select(j => X(x, p, r, j)).ToArray();
            double mu = row.Average(), var = row.Sum(v => (v - mu) * (v - mu)) / len, rs = 1 / Math.Sqrt(var + eps);
            Assert.AreEqual(mu, mean[r], 1e-6, $"mean of row {r}");
            Assert.AreEqual(rs, rstd[r], 2e-6 * rs, $"rstd of row {r}");
            for (int j = 0; j < len; j++)
            {
                double e = (row[j] - mu) * rs * (w?[j] ?? 1) + (b?[j] ?? 0);
                Assert.AreEqual(e, y[r * len + j], 1e-5 * (1 + Math.Abs(e)), $"y[{r},{j}] len={len}");
            }
        }
    }

    [TestMethod]
    public void LayerNormFloat64MatchesFloat64Loops()
    {
        const int rows = 2, len = 129;
        var p = GpuRowArgs.Dense(rows, len);
        p.Eps = 1e-6;
        var x = GpuTestDevice.Random(rows * len, 4).Select(v => v * 10.0).ToArray();
        var w = GpuTestDevice.Random(len, 5).Select(v => (double)v).ToArray();
        var (y, mean, rstd) = LayerNorm(x, w, null, p);
        for (int r = 0; r < rows; r++)
        {
            var row = x[(r * len)..((r + 1) * len)];
            double mu = row.Average(), rs = 1 / Math.Sqrt(row.Sum(v => (v - mu) * (v - mu)) / len + 1e-6);
            Assert.AreEqual(mu, mean[r], 1e-14);
            Assert.AreEqual(rs, rstd[r], 1e-13 * rs);
            for (int j = 0; j < len; j++) Assert.AreEqual((row[j] - mu) * rs * w[j], y[r * len + j], 1e-12);
        }
    }

    [TestMethod]
    [DataRow(1, 1, false)]
    [DataRow(1, 0, true)]
    [DataRow(77, 1, false)]
    [DataRow(300, 0, true)]
    public void VarianceAndStdMatchFloat64Loops(int len, int correction, bool std)
    {
        const int rows = 4;
        var p = Strided(rows, len);
        p.Extra = correction;
        p.Flag = std ? 1 : 0;
        p.YRowStride = 1;
        p.YStride = 0;   // one output per row
        var x = GpuTestDevice.Random(p.XOffset + rows * p.XRowStride, 6).Select(v => v * 2 + 5).ToArray();
        p.Check("var", x.Length, rows);
        using var dx = Acc.Allocate1D(x);
        using var dy = Acc.Allocate1D<float>(rows);
        GpuTestDevice.Cached(GpuRowKernels.LoadVariance<float>)(Acc.DefaultStream, GpuRowKernels.Config(p), dx.View, dy.View, p);
        Acc.Synchronize();
        var y = dy.GetAsArray1D();
        for (int r = 0; r < rows; r++)
        {
            var row = Enumerable.Range(0, len).Select(j => X(x, p, r, j)).ToArray();
            double mu = row.Average(), v = row.Sum(q => (q - mu) * (q - mu)) / Math.Max(0, len - correction), e = std ? Math.Sqrt(v) : v;
            if (double.IsNaN(e)) Assert.IsTrue(float.IsNaN(y[r]), "var of one element with correction 1 is NaN");
            else Assert.AreEqual(e, y[r], 2e-5 * (1 + e), $"row {r}");
        }
    }

    [TestMethod]
    public void BadLayoutsAndElementTypesAreErrorsBeforeLaunch()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => GpuRowArgs.Dense(3, 4).Check("softmax", 11, 12));
        StringAssert.Contains(e.Message, "softmax: X (3×4, strides 4, 1, offset 0) exceeds its 11 elements");
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuRowArgs.Dense(3, 0).Check("layer_norm", 11, 12));
        StringAssert.Contains(e.Message, "layer_norm: needs rows ≥ 0 and a row length ≥ 1");
        var ln = GpuRowArgs.Dense(3, 4) with { Extra = 3 };
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuRowKernels.CheckLayerNorm(ln, 4, 5, 3, 3));
        StringAssert.Contains(e.Message, "GPU layer_norm: the bias has 5 elements but rows have 4.");
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuRowKernels.CheckLayerNorm(ln with { Extra = 0 }, 0, 0, 3, 2));
        StringAssert.Contains(e.Message, "mean (3) and rstd (2) need one element per row (3)");
        var n = Assert.ThrowsExactly<NotSupportedException>(() => GpuRowKernels.LoadSoftmax<int>(Acc));
        StringAssert.Contains(n.Message, "GPU softmax: element type Int32 is not supported");
    }

    [TestMethod]
    public void CompileToPtxForSm90WithSharedTreesAndNoCalls()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRowKernels), nameof(GpuRowKernels.SoftmaxKernel), true, typeof(float), typeof(F32)), "softmax f32", shared: true);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRowKernels), nameof(GpuRowKernels.LayerNormKernel), true, typeof(float), typeof(F32)), "layer_norm f32", shared: true);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRowKernels), nameof(GpuRowKernels.VarianceKernel), true, typeof(double), typeof(F64)), "var f64", shared: true);
        // float64 exp/log come from GpuMath: XMath's compile to calls and local memory.
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRowKernels), nameof(GpuRowKernels.SoftmaxKernel), true, typeof(double), typeof(F64)), "softmax f64", shared: true);
    }
}
