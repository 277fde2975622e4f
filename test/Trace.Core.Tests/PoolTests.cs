using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>Pooling against float64 loops of PyTorch's window rules, gradchecked (twice: the backward ops are differentiable), with their bad arguments.</summary>
[TestClass]
public class PoolTests
{
    private static readonly Generator G = new(78);

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, G);

    /// <summary>Leaves that require grad, for gradcheck.</summary>
    private static Tensor[] Leaves(params Tensor[] ts) => [.. ts.Select(t => t.Detach().Clone().RequiresGrad_())];

    private static Tensor Leaf(Tensor t) => t.RequiresGrad ? t : t.Detach().RequiresGrad_();

    /// <summary>Max pooling by its definition: the largest (NaN first) of the in-plane window elements and its flat index.</summary>
    private static (double[] Values, long[] Indices) MaxRef(Tensor x, int k, int s, int p, int d, int oh, int ow)
    {
        var xs = x.ToArray<double>();
        int planes = x.Size(0) * x.Size(1), h = x.Size(2), w = x.Size(3);
        var (v, ix) = (new double[planes * oh * ow], new long[planes * oh * ow]);
        for (int q = 0; q < planes; q++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            double best = double.NegativeInfinity;
            long at = -1;
            for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                int hh = a * s - p + i * d, ww = b * s - p + j * d;
                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                double e = xs[(q * h + hh) * w + ww];
                if (at < 0 || e > best || double.IsNaN(e)) { best = e; at = hh * w + ww; }
            }
            v[(q * oh + a) * ow + b] = best;
            ix[(q * oh + a) * ow + b] = at;
        }
        return (v, ix);
    }

    private static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, a.Length, what);
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(expected[i], a[i], tol, $"{what} element {i}");
    }

    [TestMethod]
    public void MaxPoolMatchesItsDefinitionWithIndices()
    {
        var x = R(2, 3, 9, 8);
        foreach (var (k, s, p, d, ceil) in new[] { (2, 2, 0, 1, false), (3, 2, 1, 1, false), (3, 2, 1, 1, true), (2, 1, 1, 2, false), (3, 3, 0, 1, true) })
        {
            var r = F.MaxPool2dWithIndices(x, [k], [s], [p], [d], ceil);
            int oh = r.Values.Size(2), ow = r.Values.Size(3);
            Assert.AreEqual(Kernels.Pool2dArgs.OutputSize(9, k, s, p, d, ceil), oh);
            var (v, ix) = MaxRef(x, k, s, p, d, oh, ow);
            Close(v, r.Values, 0, $"max k={k} s={s} p={p} d={d} ceil={ceil}");
            CollectionAssert.AreEqual(ix, r.Indices.ToArray<long>(), $"indices k={k} s={s} p={p} d={d} ceil={ceil}");
            Assert.IsTrue(Autograd.GradCheck(t => F.MaxPool2d(t[0], [k], [s], [p], [d], ceil), Leaves(x.Narrow(0, 0, 1))), $"gradcheck k={k}");
        }
        // ceil_mode: 9 with k=3, s=2: ⌈6/2⌉+1 = 4 windows — the last one starts at row 6, inside the input.
        CollectionAssert.AreEqual(new[] { 2, 3, 4, 4 }, F.MaxPool2d(x, [3], [2], null, null, true).Shape.ToArray());
    }

    [TestMethod]
    public void MaxPoolPropagatesNaNAndItsGradientGoesToTheIndex()
    {
        var x = Tensor.From(new double[,] { { 1, 5, 2, 0 }, { 3, double.NaN, 4, 9 } }).Reshape(1, 1, 2, 4).RequiresGrad_();
        var (v, ix) = F.MaxPool2dWithIndices(x, [2]);
        Assert.IsTrue(double.IsNaN(v.ToArray<double>()[0]));
        Assert.AreEqual(9.0, v.ToArray<double>()[1]);
        CollectionAssert.AreEqual(new long[] { 5, 7 }, ix.ToArray<long>());
        v.Mul(Tensor.From(new double[] { 2, 3 }).Reshape(1, 1, 1, 2)).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 0, 0, 0, 0, 0, 2, 0, 3 }, x.Grad!.ToArray<double>());
        // Overlapping windows that pick the same element add their gradients.
        var y = Tensor.From(new double[] { 0, 9, 0, 0 }).Reshape(1, 1, 1, 4).RequiresGrad_();
        F.MaxPool2d(y, [1, 2], [1, 1]).Sum().Backward();
        CollectionAssert.AreEqual(new double[] { 0, 2, 1, 0 }, y.Grad!.ToArray<double>());
    }

    [TestMethod]
    public void TwoByTwoPoolingKeepsTheScanOrderForTiesNaNsAndInfinitiesInFloat32()
    {
        // Small integers make ties common; NaN and −∞ are sprinkled in. The first of equal maxima wins, a later NaN wins.
        var values = Tensor.Randint(-2, 3, [3, 2, 7, 9], generator: G).ToArray<long>().Select(v => (double)v).ToArray();
        for (int i = 0; i < values.Length; i += 11) values[i] = double.NaN;
        for (int i = 5; i < values.Length; i += 13) values[i] = double.NegativeInfinity;
        for (int i = 0; i < 4; i++) values[(i / 2) * 9 + i % 2] = double.NegativeInfinity;   // a window of −∞ only
        var x64 = Tensor.From(values).Reshape(3, 2, 7, 9);
        var r = F.MaxPool2dWithIndices(x64.To(DType.Float32), [2]);
        var (v, ix) = MaxRef(x64, 2, 2, 0, 1, 3, 4);
        var got = r.Values.To(DType.Float64).ToArray<double>();
        for (int i = 0; i < v.Length; i++)
            Assert.IsTrue(v[i].Equals(got[i]), $"value {i}: expected {v[i]}, got {got[i]}");
        CollectionAssert.AreEqual(ix, r.Indices.ToArray<long>());
    }

    [TestMethod]
    public void MaxPoolBackwardRejectsAnIndexOutsideItsPlane()
    {
        var a = new Kernels.Pool2dArgs { Planes = 2, H = 4, W = 4, OH = 2, OW = 2, KH = 2, KW = 2, SH = 2, SW = 2, DH = 1, DW = 1 };
        var indices = new long[] { 0, 2, 8, 10, 0, 2, 16, 10 };
        var gx = new float[32];
        var e = Assert.ThrowsExactly<ArgumentException>(() => Kernels.Pool2dCpu.MaxBackward<float>(new float[8], indices, gx, a));
        StringAssert.Contains(e.Message, "index 16 at 6 is outside its plane of 4×4");
    }

    /// <summary>Average pooling by PyTorch's rule: sum of the clamped window over the padded size, the clamped size, or the override.</summary>
    private static double[] AvgRef(Tensor x, int k, int s, int p, bool ceil, bool includePad, int? divisor)
    {
        var xs = x.ToArray<double>();
        int planes = x.Size(0) * x.Size(1), h = x.Size(2), w = x.Size(3);
        int oh = Kernels.Pool2dArgs.OutputSize(h, k, s, p, 1, ceil), ow = Kernels.Pool2dArgs.OutputSize(w, k, s, p, 1, ceil);
        var y = new double[planes * oh * ow];
        for (int q = 0; q < planes; q++)
        for (int a = 0; a < oh; a++)
        for (int b = 0; b < ow; b++)
        {
            int h0 = a * s - p, w0 = b * s - p, h1 = Math.Min(h0 + k, h + p), w1 = Math.Min(w0 + k, w + p);
            int padded = (h1 - h0) * (w1 - w0);
            (h0, w0, h1, w1) = (Math.Max(h0, 0), Math.Max(w0, 0), Math.Min(h1, h), Math.Min(w1, w));
            double sum = 0;
            for (int i = h0; i < h1; i++)
            for (int j = w0; j < w1; j++) sum += xs[(q * h + i) * w + j];
            y[(q * oh + a) * ow + b] = sum / (divisor ?? (includePad ? padded : (h1 - h0) * (w1 - w0)));
        }
        return y;
    }

    [TestMethod]
    public void AvgPoolMatchesItsDefinitionForEveryDivisorRule()
    {
        var x = R(2, 2, 7, 6);
        foreach (var (k, s, p, ceil) in new[] { (2, 2, 0, false), (3, 2, 1, false), (3, 2, 1, true), (2, 3, 1, true) })
        foreach (var (include, divisor) in new[] { (true, (int?)null), (false, null), (true, 5) })
        {
            var y = F.AvgPool2d(x, [k], [s], [p], ceil, include, divisor);
            Close(AvgRef(x, k, s, p, ceil, include, divisor), y, 1e-12, $"avg k={k} s={s} p={p} ceil={ceil} include={include} divisor={divisor}");
        }
        var x1 = x.Narrow(0, 0, 1);
        Assert.IsTrue(Autograd.GradCheck(t => F.AvgPool2d(t[0], [3], [2], [1], true, false), Leaves(x1)));
        // The backward op is linear in its gradient and differentiable: second derivatives through it gradcheck too.
        // GradCheck evaluates f under NoGrad for its finite differences: f turns grad mode back on for its inner backward.
        Assert.IsTrue(Autograd.GradCheck(t =>
        {
            using var _ = Autograd.EnableGrad();
            var xi = Leaf(t[0]);
            var g = Autograd.Grad([F.AvgPool2d(xi, [3], [2], [1]).Square().Sum()], [xi], createGraph: true)[0]!;
            return g.Square().Sum();
        }, Leaves(x1)));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.AvgPool2d(x, [2], null, null, false, true, 0)).Message, "divisor");
    }

    [TestMethod]
    public void AdaptiveAvgPoolAveragesPyTorchsWindows()
    {
        var x = R(1, 3, 7, 5);
        var xs = x.ToArray<double>();
        foreach (var (oh, ow) in new[] { (1, 1), (3, 2), (7, 5), (4, 3), (9, 6) })
        {
            var y = F.AdaptiveAvgPool2d(x, [oh, ow]);
            var expected = new double[3 * oh * ow];
            for (int q = 0; q < 3; q++)
            for (int a = 0; a < oh; a++)
            for (int b = 0; b < ow; b++)
            {
                int h0 = a * 7 / oh, h1 = ((a + 1) * 7 + oh - 1) / oh, w0 = b * 5 / ow, w1 = ((b + 1) * 5 + ow - 1) / ow;
                double sum = 0;
                for (int i = h0; i < h1; i++)
                for (int j = w0; j < w1; j++) sum += xs[(q * 7 + i) * 5 + j];
                expected[(q * oh + a) * ow + b] = sum / ((h1 - h0) * (w1 - w0));
            }
            Close(expected, y, 1e-12, $"adaptive {oh}x{ow}");
            Assert.IsTrue(Autograd.GradCheck(t => F.AdaptiveAvgPool2d(t[0], [oh, ow]), Leaves(x)), $"gradcheck adaptive {oh}x{ow}");
        }
        Assert.AreEqual(F.AdaptiveAvgPool2d(x, [1]).Sum().Item(), x.Mean([2, 3]).Sum().Item(), 1e-12, "global average pooling");
    }

    [TestMethod]
    public void MaxPoolSecondDerivativeGathersAtTheIndices()
    {
        var x = R(1, 2, 6, 6);
        Assert.IsTrue(Autograd.GradCheck(t =>
        {
            using var _ = Autograd.EnableGrad();
            var xi = Leaf(t[0]);
            var y = F.MaxPool2d(xi, [3], [2], [1]);
            var g = Autograd.Grad([y.Mul(y).Sum()], [xi], createGraph: true)[0]!;
            return g.Mul(xi).Sum();
        }, Leaves(x)));
    }

    [TestMethod]
    public void PoolingLayersAndTheirErrors()
    {
        var x = R(2, 3, 8, 8);
        Assert.AreEqual("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Close(F.MaxPool2d(x, [2]).ToArray<double>(), new MaxPool2d(2).Forward(x), 0, "MaxPool2d module");
        Close(F.AvgPool2d(x, [3], [1], [1]).ToArray<double>(), new AvgPool2d(3, 1, 1).Forward(x), 0, "AvgPool2d module");
        Close(F.AdaptiveAvgPool2d(x, [1]).ToArray<double>(), new AdaptiveAvgPool2d(1).Forward(x), 0, "AdaptiveAvgPool2d module");
        Assert.AreEqual(3, F.MaxPool2d(x[0], [2]).Dim, "unbatched input");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.MaxPool2d(x, [3], [1], [2])).Message, "pad should be at most half");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.MaxPool2d(R(1, 1, 2, 2), [3])).Message, "Output size is too small");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.MaxPool2d(R(2, 8), [2])).Message, "4-D input");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.MaxPool2d(x, [0])).Message, "kernel_size must be positive");
    }

    [TestMethod]
    public void Dropout2dZeroesWholeChannels()
    {
        var x = Tensor.Ones([4, 16, 3, 3], DType.Float64);
        var y = F.Dropout2d(x, 0.5, true, new Generator(5)).ToArray<double>();
        int dropped = 0;
        for (int c = 0; c < 64; c++)
        {
            var plane = y.Skip(c * 9).Take(9).Distinct().ToArray();
            Assert.AreEqual(1, plane.Length, "a channel is dropped or kept whole");
            Assert.IsTrue(plane[0] is 0.0 or 2.0);
            if (plane[0] == 0) dropped++;
        }
        Assert.IsTrue(dropped is > 16 and < 48, $"about half the channels dropped, got {dropped}");
        Assert.AreSame(x, new Dropout2d().Eval().Forward(x));
    }
}
