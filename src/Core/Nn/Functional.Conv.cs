namespace Trace.Nn;

public static partial class Functional
{
    /// <summary>
    /// 2-D convolution (<c>F.conv2d</c>) of (N, C, H, W) or (C, H, W) input with weight (Cout, C/groups, KH, KW); stride,
    /// padding and dilation one int or an (h, w) pair; zero padding.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// 2-D convolution with padding <c>"valid"</c> (none) or <c>"same"</c> (the output keeps the input's size; stride 1
    /// only, and an even effective kernel pads one more on the bottom/right, as PyTorch).
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, int[]? stride, string padding, int[]? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Dim != 4) return Tensor.Conv2d(input, weight, bias, stride, [0], dilation, groups);   // the op's own error
        var d = dilation ?? [1];
        var (h, w) = SamePadding("conv2d", padding, stride, d, weight.Size(2), weight.Size(3));
        if (h.Extra == 0 && w.Extra == 0) return Tensor.Conv2d(input, weight, bias, stride, [h.Pad, w.Pad], d, groups);
        // An even effective kernel: pad one more on both sides, then drop the extra first row/column of the output.
        var y = Tensor.Conv2d(input, weight, bias, stride, [h.Pad + h.Extra, w.Pad + w.Extra], d, groups);
        int dims = y.Dim;
        if (h.Extra != 0) y = y.Narrow(dims - 2, 1, y.Size(dims - 2) - 1);
        if (w.Extra != 0) y = y.Narrow(dims - 1, 1, y.Size(dims - 1) - 1);
        return y;
    }

    /// <summary>
    /// 1-D convolution (<c>F.conv1d</c>) of (N, C, L) or (C, L) input with weight (Cout, C/groups, K): a 2-D convolution
    /// over a height of 1.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        Conv1dShapes(input, weight);
        int at = input.Dim - 1;
        return Tensor.Conv2d(input.Unsqueeze(at), weight.Unsqueeze(2), bias, [1, stride], [0, padding], [1, dilation], groups).Squeeze(at);
    }

    /// <summary>1-D convolution with padding <c>"valid"</c> or <c>"same"</c> (as the 2-D convolution's string padding).</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias, int stride, string padding, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        Conv1dShapes(input, weight);
        int at = input.Dim - 1;
        return Conv2d(input.Unsqueeze(at), weight.Unsqueeze(2), bias, [1, stride], padding, [1, dilation], groups).Squeeze(at);
    }

    private static void Conv1dShapes(Tensor input, Tensor weight)
    {
        if (input.Dim is not (2 or 3) || weight.Dim != 3)
            throw new ArgumentException($"conv1d: expected a 2-D (C, L) or 3-D (N, C, L) input and a 3-D weight (Cout, C/groups, K), got shapes {Shapes.Format(input.Shape)} and {Shapes.Format(weight.Shape)}.");
    }

    /// <summary>Per spatial dim: the padding on each side for "same"/"valid", and 1 when the bottom/right needs one more.</summary>
    private static ((int Pad, int Extra) H, (int Pad, int Extra) W) SamePadding(string op, string padding, int[]? stride, int[] dilation, int kh, int kw)
    {
        if (padding == "valid") return ((0, 0), (0, 0));
        if (padding != "same") throw new ArgumentException($"{op}: invalid padding string '{padding}', should be one of 'valid' or 'same'.");
        if (stride is not null && stride.Any(s => s != 1)) throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride [{string.Join(", ", stride)}]).");
        (int, int) Dim(int k, int d)
        {
            int total = d * (k - 1);
            return (total / 2, total % 2);
        }
        return (Dim(kh, dilation[0]), Dim(kw, dilation[^1]));
    }

    /// <summary>
    /// 2-D transposed convolution (<c>F.conv_transpose2d</c>) of (N, Cin, H, W) or (Cin, H, W) input with weight
    /// (Cin, Cout/groups, KH, KW).
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? outputPadding = null,
        int groups = 1, int[]? dilation = null) =>
        Tensor.ConvTranspose2d(input, weight, bias, stride, padding, outputPadding, groups, dilation);

    /// <summary>2-D max pooling (<c>F.max_pool2d</c>); stride defaults to the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        input.MaxPool2d(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>2-D max pooling with the flat index of each maximum within its plane (<c>return_indices=True</c>).</summary>
    public static ValuesIndices MaxPool2dWithIndices(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        input.MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>2-D average pooling (<c>F.avg_pool2d</c>).</summary>
    public static Tensor AvgPool2d(Tensor input, int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true,
        int? divisorOverride = null) => input.AvgPool2d(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);

    /// <summary>Adaptive 2-D average pooling to an output size (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, int[] outputSize) => input.AdaptiveAvgPool2d(outputSize);

    /// <summary>The sliding blocks of a batched image as columns (<c>F.unfold</c>): (N, C, H, W) → (N, C·KH·KW, L).</summary>
    public static Tensor Unfold(Tensor input, int[] kernelSize, int[]? dilation = null, int[]? padding = null, int[]? stride = null) =>
        input.Im2Col(kernelSize, dilation ?? [1], padding ?? [0], stride ?? [1]);

    /// <summary>Sums columns back into an image (<c>F.fold</c>, the adjoint of <see cref="Unfold"/>): (N, C·KH·KW, L) → (N, C, H, W).</summary>
    public static Tensor Fold(Tensor input, int[] outputSize, int[] kernelSize, int[]? dilation = null, int[]? padding = null, int[]? stride = null) =>
        input.Col2Im(outputSize, kernelSize, dilation ?? [1], padding ?? [0], stride ?? [1]);

    /// <summary>
    /// Channel dropout (<c>F.dropout2d</c>): in training, zeroes whole channels of an (N, C, H, W) or (C, H, W) input
    /// with probability p and scales the rest by 1/(1−p).
    /// </summary>
    public static Tensor Dropout2d(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (p < 0 || p > 1) throw new ArgumentException($"dropout2d: probability has to be between 0 and 1, but got {p}.");
        if (x.Dim is not (3 or 4)) throw new ArgumentException($"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {Shapes.Format(x.Shape)}.");
        if (!training || p == 0) return x;
        if (p == 1) return x.Mul(0.0);
        var maskShape = x.Shape.Select((s, i) => i < x.Dim - 2 ? s : 1).ToArray();
        var keep = Tensor.Rand(maskShape, x.IsFloatingPoint ? x.DType : DType.Float32, generator, x.Device).Ge(p);
        return x.Mul(keep.To(x.DType)).Mul(1 / (1 - p));
    }
}
