using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Nn;
using F = Trace.Nn.Functional;

namespace Trace.Core.Tests;

/// <summary>Convolutions against float64 loops of their definitions, gradchecked (twice for the linear backward ops), with their bad arguments.</summary>
[TestClass]
public class ConvTests
{
    private static readonly Generator G = new(77);

    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, G);

    /// <summary>Leaves that require grad, for gradcheck.</summary>
    private static Tensor[] Leaves(params Tensor[] ts) => [.. ts.Select(t => t.Detach().Clone().RequiresGrad_())];

    /// <summary>conv2d by its definition: y[n, o, i, j] = b[o] + Σ x[n, g·Cig + c, i·s − p + kh·d, j·s − p + kw·d] · w[o, c, kh, kw].</summary>
    private static double[] Conv2dRef(Tensor x, Tensor w, Tensor? b, (int, int) s, (int, int) p, (int, int) d, int groups, out int[] shape)
    {
        var (xs, ws) = (x.ToArray<double>(), w.ToArray<double>());
        var bs = b?.ToArray<double>();
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), wd = x.Size(3), co = w.Size(0), cig = w.Size(1), kh = w.Size(2), kw = w.Size(3);
        int oh = (h + 2 * p.Item1 - d.Item1 * (kh - 1) - 1) / s.Item1 + 1, ow = (wd + 2 * p.Item2 - d.Item2 * (kw - 1) - 1) / s.Item2 + 1;
        int cog = co / groups;
        shape = [n, co, oh, ow];
        var y = new double[n * co * oh * ow];
        for (int i = 0; i < n; i++)
        for (int o = 0; o < co; o++)
        for (int a = 0; a < oh; a++)
        for (int e = 0; e < ow; e++)
        {
            double acc = bs?[o] ?? 0;
            int grp = o / cog;
            for (int ci = 0; ci < cig; ci++)
            for (int u = 0; u < kh; u++)
            for (int v = 0; v < kw; v++)
            {
                int hh = a * s.Item1 - p.Item1 + u * d.Item1, ww = e * s.Item2 - p.Item2 + v * d.Item2;
                if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                acc += xs[((i * c + grp * cig + ci) * h + hh) * wd + ww] * ws[((o * cig + ci) * kh + u) * kw + v];
            }
            y[((i * co + o) * oh + a) * ow + e] = acc;
        }
        return y;
    }

    private static void Close(double[] expected, Tensor actual, double tol, string what)
    {
        var a = actual.ToArray<double>();
        Assert.AreEqual(expected.Length, a.Length, what);
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(expected[i], a[i], tol, $"{what} element {i}");
    }

    public static IEnumerable<object[]> Geometries() =>
    [
        [1, 1, 0, 1, true],   // plain 3×3
        [2, 1, 1, 1, true],   // stride 2, padding 1
        [1, 2, 2, 1, false],  // dilation 2, padding 2, no bias
        [1, 1, 1, 2, true],   // groups 2
        [3, 1, 0, 1, true],   // stride 3
    ];

    [TestMethod]
    [DynamicData(nameof(Geometries))]
    public void Conv2dMatchesItsDefinitionAndGradchecks(int stride, int dilation, int padding, int groups, bool bias)
    {
        var x = R(2, 4, 7, 6);
        var w = R(6, 4 / groups, 3, 3);
        var b = bias ? R(6) : null;
        var y = F.Conv2d(x, w, b, [stride], [padding], [dilation], groups);
        var expected = Conv2dRef(x, w, b, (stride, stride), (padding, padding), (dilation, dilation), groups, out var shape);
        CollectionAssert.AreEqual(shape, y.Shape.ToArray());
        Close(expected, y, 1e-12, "conv2d");
        // float32 runs the same kernel path at float precision.
        Close(expected, F.Conv2d(x.To(DType.Float32), w.To(DType.Float32), b?.To(DType.Float32), [stride], [padding], [dilation], groups).To(DType.Float64), 1e-4, "conv2d float32");
        Tensor[] inputs = b is null ? [x.Narrow(0, 0, 1), w] : [x.Narrow(0, 0, 1), w, b];
        Assert.IsTrue(Autograd.GradCheck(t => F.Conv2d(t[0], t[1], t.Length > 2 ? t[2] : null, [stride], [padding], [dilation], groups), Leaves(inputs)));
    }

    [TestMethod]
    [DataRow(1, 1, 0, 1)]
    [DataRow(2, 1, 1, 2)]
    [DataRow(1, 2, 2, 3)]
    public void TheWeightGradientIsTheSumOverImagesOfGradientTimesInputWindows(int stride, int dilation, int padding, int groups)
    {
        // Batch and sizes large enough for the per-core partial sums; float64 reference: dW[o,c,i,j] = Σ g[n,o,p,q]·x[n,c',ph,pw].
        int n = 5, cin = 6, cout = 6, h = 14, w = 13, kh = 3, kw = 2;
        var x = R(n, cin, h, w);
        var wt = R(cout, cin / groups, kh, kw).RequiresGrad_();
        var y = F.Conv2d(x, wt, null, [stride], [padding], [dilation], groups);
        var g = R(y.Shape.ToArray());
        var dw = Autograd.Grad([y.Mul(g).Sum()], [wt])[0]!;
        var (xs, gs) = (x.ToArray<double>(), g.ToArray<double>());
        int oh = y.Size(2), ow = y.Size(3), cig = cin / groups, cog = cout / groups;
        var expected = new double[cout * cig * kh * kw];
        for (int o = 0; o < cout; o++)
        for (int c = 0; c < cig; c++)
        for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
        {
            double sum = 0;
            int ci = o / cog * cig + c;
            for (int b = 0; b < n; b++)
            for (int p = 0; p < oh; p++)
            for (int q = 0; q < ow; q++)
            {
                int hh = p * stride - padding + i * dilation, ww = q * stride - padding + j * dilation;
                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                sum += gs[((b * cout + o) * oh + p) * ow + q] * xs[((b * cin + ci) * h + hh) * w + ww];
            }
            expected[((o * cig + c) * kh + i) * kw + j] = sum;
        }
        Close(expected, dw, 1e-10, "weight gradient");
        var w32 = wt.Detach().To(DType.Float32).RequiresGrad_();
        var y32 = F.Conv2d(x.To(DType.Float32), w32, null, [stride], [padding], [dilation], groups);
        Close(expected, Autograd.Grad([y32.Mul(g.To(DType.Float32)).Sum()], [w32])[0]!.To(DType.Float64), 2e-3, "weight gradient float32");
    }

    [TestMethod]
    public void TheWeightGradientIsDifferentiableInTheInputAndTheOutputGradient()
    {
        // Second order through trace::conv2d_weight_backward: d/dx and d/dg of <dW(x, g), v>.
        var (x, w, g0, v) = (R(2, 4, 5, 5), R(4, 2, 3, 2), R(2, 4, 3, 3), R(4, 2, 3, 2));
        Assert.IsTrue(Autograd.GradCheck(t =>
        {
            using var _ = Autograd.EnableGrad();
            var wi = w.Detach().Clone().RequiresGrad_();
            var y = F.Conv2d(t[0], wi, null, [1, 2], [0, 1], [1], 2);
            var dw = Autograd.Grad([y.Mul(t[1]).Sum()], [wi], createGraph: true)[0]!;
            return dw.Mul(v).Sum();
        }, Leaves(x, g0)));
        var bad = Assert.ThrowsExactly<ArgumentException>(() => Ops.OpTable.Get("trace::conv2d_weight_backward").Eval(new Ops.OpArgs("trace::conv2d_weight_backward",
            [R(2, 4, 3, 4), x, w, new long[] { 1, 2 }, new long[] { 0, 1 }, new long[] { 1 }, 2L])));
        StringAssert.Contains(bad.Message, "trace::conv2d_weight_backward: grad_output of shape (2, 4, 3, 4) does not match the convolution's output (2, 4, 3, 3)");
    }

    [TestMethod]
    [DataRow(1, 1, 0, 1)]
    [DataRow(2, 1, 1, 2)]
    [DataRow(1, 2, 2, 3)]
    [DataRow(3, 1, 1, 1)]
    public void TheInputGradientIsEachOutputGradientSpreadBackOverItsWindow(int stride, int dilation, int padding, int groups)
    {
        // Batch larger than the cores (per-image workers); float64 reference: dx[n,c,h,w] = Σ g[n,o,p,q]·W[o,c',i,j] over the windows covering (h, w).
        int n = 5, cin = 6, cout = 6, h = 14, w = 13, kh = 3, kw = 2;
        var x = R(n, cin, h, w).RequiresGrad_();
        var wt = R(cout, cin / groups, kh, kw);
        var y = F.Conv2d(x, wt, null, [stride], [padding], [dilation], groups);
        var g = R(y.Shape.ToArray());
        var dx = Autograd.Grad([y.Mul(g).Sum()], [x])[0]!;
        var (ws, gs) = (wt.ToArray<double>(), g.ToArray<double>());
        int oh = y.Size(2), ow = y.Size(3), cig = cin / groups, cog = cout / groups;
        var expected = new double[n * cin * h * w];
        for (int b = 0; b < n; b++)
        for (int o = 0; o < cout; o++)
        for (int c = 0; c < cig; c++)
        for (int i = 0; i < kh; i++)
        for (int j = 0; j < kw; j++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            int hh = p * stride - padding + i * dilation, ww = q * stride - padding + j * dilation;
            if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
            int ci = o / cog * cig + c;
            expected[((b * cin + ci) * h + hh) * w + ww] += gs[((b * cout + o) * oh + p) * ow + q] * ws[((o * cig + c) * kh + i) * kw + j];
        }
        Close(expected, dx, 1e-10, "input gradient");
        var x32 = x.Detach().To(DType.Float32).RequiresGrad_();
        var y32 = F.Conv2d(x32, wt.To(DType.Float32), null, [stride], [padding], [dilation], groups);
        Close(expected, Autograd.Grad([y32.Mul(g.To(DType.Float32)).Sum()], [x32])[0]!.To(DType.Float64), 2e-3, "input gradient float32");
    }

    [TestMethod]
    public void TheInputGradientIsDifferentiableInTheWeightAndTheOutputGradient()
    {
        // Second order through trace::conv2d_input_backward: d/dW and d/dg of <dx(W, g), v>.
        var (x, w0, g0, v) = (R(2, 4, 5, 5), R(4, 2, 3, 2), R(2, 4, 3, 3), R(2, 4, 5, 5));
        Assert.IsTrue(Autograd.GradCheck(t =>
        {
            using var _ = Autograd.EnableGrad();
            var xi = x.Detach().Clone().RequiresGrad_();
            var y = F.Conv2d(xi, t[0], null, [1, 2], [0, 1], [1], 2);
            var dx = Autograd.Grad([y.Mul(t[1]).Sum()], [xi], createGraph: true)[0]!;
            return dx.Mul(v).Sum();
        }, Leaves(w0, g0)));
        var bad = Assert.ThrowsExactly<ArgumentException>(() => Ops.OpTable.Get("trace::conv2d_input_backward").Eval(new Ops.OpArgs("trace::conv2d_input_backward",
            [R(2, 4, 3, 4), x, w0, new long[] { 1, 2 }, new long[] { 0, 1 }, new long[] { 1 }, 2L])));
        StringAssert.Contains(bad.Message, "trace::conv2d_input_backward: grad_output of shape (2, 4, 3, 4) does not match the convolution's output (2, 4, 3, 3)");
    }

    [TestMethod]
    public void RectangularKernelsStridesAndBatchesLargerThanTheCoresMatch()
    {
        var x = R(9, 3, 11, 8);
        var w = R(5, 3, 2, 4);
        var b = R(5);
        var y = F.Conv2d(x, w, b, [2, 1], [1, 2], [1, 2]);
        var expected = Conv2dRef(x, w, b, (2, 1), (1, 2), (1, 2), 1, out var shape);
        CollectionAssert.AreEqual(shape, y.Shape.ToArray());
        Close(expected, y, 1e-12, "rectangular conv2d");
        // Unbatched input is the batch of one.
        Close(Conv2dRef(x.Narrow(0, 0, 1), w, b, (1, 1), (0, 0), (1, 1), 1, out _), F.Conv2d(x[0], w, b), 1e-12, "unbatched conv2d");
        Assert.AreEqual(3, F.Conv2d(x[0], w, b).Dim);
    }

    [TestMethod]
    public void SamePaddingKeepsTheSizeAndPadsEvenKernelsBottomRight()
    {
        var x = R(1, 2, 6, 5);
        foreach (var (kh, kw, dil) in new[] { (3, 3, 1), (4, 2, 1), (2, 2, 3), (5, 4, 2) })
        {
            var w = R(3, 2, kh, kw);
            var y = F.Conv2d(x, w, null, null, "same", [dil]);
            CollectionAssert.AreEqual(new[] { 1, 3, 6, 5 }, y.Shape.ToArray(), $"same {kh}x{kw} d={dil}");
            // PyTorch pads total = d·(k−1): ⌊total/2⌋ on the top/left, the rest on the bottom/right. Reference: pad explicitly.
            int th = dil * (kh - 1), tw = dil * (kw - 1);
            var padded = Tensor.Zeros([1, 2, 6 + th, 5 + tw], DType.Float64);
            padded.Narrow(2, th / 2, 6).Narrow(3, tw / 2, 5).Copy_(x);
            Close(Conv2dRef(padded, w, null, (1, 1), (0, 0), (dil, dil), 1, out _), y, 1e-12, $"same {kh}x{kw} d={dil}");
        }
        CollectionAssert.AreEqual(new[] { 1, 3, 4, 3 }, F.Conv2d(x, R(3, 2, 3, 3), null, null, "valid").Shape.ToArray());
        var strided = Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(x, R(3, 2, 3, 3), null, [2], "same"));
        StringAssert.Contains(strided.Message, "strided");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(x, R(3, 2, 3, 3), null, null, "full")).Message, "'full'");
    }

    /// <summary>x padded by index arithmetic: the source index of each padded position for PyTorch's padding modes.</summary>
    private static Tensor PadRef(Tensor x, int ph0, int ph1, int pw0, int pw1, string mode)
    {
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        int Src(int i, int size) => mode switch
        {
            "reflect" => i < 0 ? -i : i >= size ? 2 * size - 2 - i : i,
            "replicate" => Math.Clamp(i, 0, size - 1),
            _ => ((i % size) + size) % size,
        };
        var xs = x.ToArray<double>();
        int oh = h + ph0 + ph1, ow = w + pw0 + pw1;
        var ys = new double[n * c * oh * ow];
        for (int q = 0; q < n * c; q++)
        for (int i = 0; i < oh; i++)
        for (int j = 0; j < ow; j++)
            ys[(q * oh + i) * ow + j] = xs[(q * h + Src(i - ph0, h)) * w + Src(j - pw0, w)];
        return Tensor.From(ys).Reshape(n, c, oh, ow);
    }

    [TestMethod]
    [DataRow("reflect")]
    [DataRow("replicate")]
    [DataRow("circular")]
    public void PaddingModesPadTheInputBeforeTheConvolution(string mode)
    {
        var g = new Generator(12);
        var x = R(2, 2, 6, 5);
        var conv = new Conv2d(2, 3, [3, 2], [2, 1], [2, 1], dilation: null, groups: 1, bias: true, paddingMode: mode, dtype: DType.Float64, generator: g);
        Close(Conv2dRef(PadRef(x, 2, 2, 1, 1, mode), conv.Weight, conv.Bias, (2, 1), (0, 0), (1, 1), 1, out var shape), conv.Forward(x), 1e-12, $"{mode} conv2d");
        CollectionAssert.AreEqual(shape, conv.Forward(x).Shape.ToArray());
        StringAssert.Contains(conv.ToString(), $"padding_mode={mode}");
        Assert.IsTrue(Autograd.GradCheck(t => new Conv2d(2, 2, 3, padding: 1, paddingMode: mode, dtype: DType.Float64, generator: new Generator(1)).Forward(t[0]), Leaves(R(1, 2, 4, 4))), $"{mode} gradcheck");

        // "same" with an even kernel: total d·(k−1) = 3, one before and two after, the same split as zero padding.
        var same = new Conv2d(2, 3, 4, "same", paddingMode: mode, dtype: DType.Float64, generator: g);
        Close(Conv2dRef(PadRef(x, 1, 2, 1, 2, mode), same.Weight, same.Bias, (1, 1), (0, 0), (1, 1), 1, out _), same.Forward(x), 1e-12, $"{mode} same");

        var conv1 = new Conv1d(2, 3, 3, padding: 2, paddingMode: mode, dtype: DType.Float64, generator: g);
        var x1 = R(2, 2, 7);
        var ref1 = Conv2dRef(PadRef(x1.Unsqueeze(2), 0, 0, 2, 2, mode), conv1.Weight.Unsqueeze(2), conv1.Bias, (1, 1), (0, 0), (1, 1), 1, out _);
        Close(ref1, conv1.Forward(x1), 1e-12, $"{mode} conv1d");
    }

    [TestMethod]
    public void ALayersBadInputErrorNamesTheLayerTheShapesAndTheRule()
    {
        string Message(Module m, params int[] shape) => Assert.ThrowsExactly<ArgumentException>(() => m.Forward(Tensor.Randn(shape))).Message;
        var channels = Message(new Conv2d(3, 8, 5), 2, 4, 10, 10);
        StringAssert.StartsWith(channels, "Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1)): aten::conv2d:");
        StringAssert.Contains(channels, "expected input (2, 4, 10, 10) to have 3 channels, but got 4 channels instead");
        StringAssert.Contains(Message(new Conv2d(3, 8, 5), 2, 3, 4, 4), "Kernel size can't be greater than actual input size");
        StringAssert.StartsWith(Message(new Conv1d(2, 4, 3), 1, 3, 9), "Conv1d(");
        StringAssert.StartsWith(Message(new ConvTranspose2d(2, 4, 3), 1, 3, 5, 5), "ConvTranspose2d(");
        var pool = Message(new MaxPool2d(3), 1, 1, 2, 2);
        StringAssert.StartsWith(pool, "MaxPool2d(kernel_size=3");
        StringAssert.Contains(pool, "Output size is too small");
        StringAssert.StartsWith(Message(new AvgPool2d(5), 1, 1, 2, 2), "AvgPool2d(");
        var bn = Message(new BatchNorm2d(4), 2, 3, 4, 4);
        StringAssert.StartsWith(bn, "BatchNorm2d(4, ");
        StringAssert.Contains(bn, "running_mean should contain 3 elements");
        StringAssert.StartsWith(Message(new GroupNorm(2, 4), 2, 6, 3), "GroupNorm(");
    }

    [TestMethod]
    public void BadPaddingModesAndPadsTooLargeToReflectAreRejected()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new Conv2d(2, 3, 3, paddingMode: "mirror"));
        StringAssert.Contains(e.Message, "padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='mirror'");
        var reflect = new Conv2d(2, 3, 3, padding: 3, paddingMode: "reflect");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => reflect.Forward(Tensor.Randn([1, 2, 3, 3]))).Message, "pad");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => reflect.Forward(Tensor.Randn([2, 3]))).Message, "Conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape (2, 3)");
    }

    [TestMethod]
    public void Conv1dIsTheConvolutionOverOneDim()
    {
        var x = R(2, 3, 10);
        var w = R(4, 3, 3);
        var b = R(4);
        var y = F.Conv1d(x, w, b, stride: 2, padding: 1, dilation: 2);
        var expected = Conv2dRef(x.Unsqueeze(2), w.Unsqueeze(2), b, (1, 2), (0, 1), (1, 2), 1, out var shape);
        CollectionAssert.AreEqual(new[] { 2, 4, shape[3] }, y.Shape.ToArray());
        Close(expected, y, 1e-12, "conv1d");
        Assert.IsTrue(Autograd.GradCheck(t => F.Conv1d(t[0], t[1], t[2], 2, 1, 2), Leaves(x, w, b)));
        var layer = new Conv1d(3, 4, 3, padding: "same", dtype: DType.Float64);
        CollectionAssert.AreEqual(new[] { 2, 4, 10 }, layer.Forward(x).Shape.ToArray());
        var bad = Assert.ThrowsExactly<ArgumentException>(() => F.Conv1d(R(2, 3, 4, 4), w));
        StringAssert.Contains(bad.Message, "conv1d");
    }

    [TestMethod]
    public void ConvTranspose2dIsTheAdjointOfConv2d()
    {
        // <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> for matching geometry: the definition of the transposed convolution.
        foreach (var (s, p, d, groups) in new[] { (1, 0, 1, 1), (2, 1, 1, 1), (2, 0, 2, 2), (3, 1, 1, 1) })
        {
            var x = R(2, 4, 9, 8);
            var w = R(6, 4 / groups, 3, 3);
            var cx = F.Conv2d(x, w, null, [s], [p], [d], groups);
            var y = R(cx.Shape.ToArray());
            int oph = x.Size(2) - ((cx.Size(2) - 1) * s - 2 * p + d * 2 + 1), opw = x.Size(3) - ((cx.Size(3) - 1) * s - 2 * p + d * 2 + 1);
            var ty = F.ConvTranspose2d(y, w, null, [s], [p], [oph, opw], groups, [d]);
            CollectionAssert.AreEqual(x.Shape.ToArray(), ty.Shape.ToArray(), $"s={s} p={p} d={d} g={groups}");
            Assert.AreEqual(cx.Mul(y).Sum().Item(), x.Mul(ty).Sum().Item(), 1e-9, $"adjoint s={s} p={p} d={d} g={groups}");
        }
        var (xi, wi, bi) = (R(1, 4, 3, 3), R(4, 3, 2, 2), R(3));
        Assert.IsTrue(Autograd.GradCheck(t => F.ConvTranspose2d(t[0], t[1], t[2], [2], [1], [1]), Leaves(xi, wi, bi)));
        var layer = new ConvTranspose2d(4, 3, 3, stride: 2, padding: 1, outputPadding: 1, dtype: DType.Float64);
        CollectionAssert.AreEqual(new[] { 1, 3, 6, 6 }, layer.Forward(xi).Shape.ToArray(), "(3 − 1)·2 − 2 + 2 + 1 + 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.ConvTranspose2d(xi, wi, null, [1], [0], [1])).Message, "output padding");
    }

    [TestMethod]
    public void UnfoldAndFoldAreAdjoints()
    {
        var x = R(2, 3, 7, 6);
        var cols = F.Unfold(x, [3, 2], [2, 1], [1, 1], [2, 1]);
        CollectionAssert.AreEqual(new[] { 2, 18, 3 * 7 }, cols.Shape.ToArray());
        var y = R(cols.Shape.ToArray());
        var folded = F.Fold(y, [7, 6], [3, 2], [2, 1], [1, 1], [2, 1]);
        Assert.AreEqual(cols.Mul(y).Sum().Item(), x.Mul(folded).Sum().Item(), 1e-10, "<unfold(x), y> = <x, fold(y)>");
        Assert.IsTrue(Autograd.GradCheck(t => F.Fold(F.Unfold(t[0], [2], null, [1], [1]).Mul(t[0].Sum()), [7, 6], [2], null, [1], [1]), Leaves(x.Narrow(0, 0, 1))));
        var bad = Assert.ThrowsExactly<ArgumentException>(() => F.Fold(y, [9, 6], [3, 2], [2, 1], [1, 1], [2, 1]));
        StringAssert.Contains(bad.Message, "sliding blocks");
    }

    [TestMethod]
    public void Conv2dLayerInitializesAndRejectsBadShapesNamingThem()
    {
        var conv = new Conv2d(3, 8, 5, stride: 2, generator: new Generator(3));
        CollectionAssert.AreEqual(new[] { 8, 3, 5, 5 }, conv.Weight.Shape.ToArray());
        double bound = 1 / Math.Sqrt(3 * 25);
        Assert.IsTrue(conv.Weight.Abs().Max().Item() <= bound && conv.Weight.Abs().Max().Item() > bound * 0.8, "kaiming-uniform(a=√5): U(±1/√fan_in)");
        Assert.IsTrue(conv.Bias!.Abs().Max().Item() <= bound);
        Assert.AreEqual("Conv2d(3, 8, kernel_size=(5, 5), stride=(2, 2))", conv.ToString());
        var x = Tensor.Randn([2, 4, 16, 16]);
        var channels = Assert.ThrowsExactly<ArgumentException>(() => conv.Forward(x));
        StringAssert.Contains(channels.Message, "expected input (2, 4, 16, 16) to have 3 channels, but got 4 channels");
        var small = Assert.ThrowsExactly<ArgumentException>(() => conv.Forward(Tensor.Randn([1, 3, 4, 4])));
        StringAssert.Contains(small.Message, "Kernel size can't be greater than actual input size");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new Conv2d(3, 8, 3, groups: 2)).Message, "in_channels=3 must be divisible by groups=2");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(Tensor.Randn([1, 3, 8, 8]), conv.Weight, Tensor.Randn([5]))).Message, "bias");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(Tensor.Randn([1, 3, 8, 8]).To(DType.Int64), conv.Weight.To(DType.Int64))).Message, "float32 or float64");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(Tensor.Randn([1, 3, 8, 8]), conv.Weight.To(DType.Float64))).Message, "dtype");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => F.Conv2d(Tensor.Randn([3, 8]), conv.Weight)).Message, "4-D input");
    }
}
