namespace Trace.Nn;

/// <summary>
/// The shared part of the convolution layers: channels, kernel, stride, padding, dilation and groups checked as PyTorch's
/// <c>_ConvNd</c>, and its default initialization — weight Kaiming-uniform with a = √5, bias U(−1/√fan_in, 1/√fan_in).
/// </summary>
public abstract class ConvNd : Module
{
    /// <summary>Checks the hyperparameters and creates weight (of <paramref name="weightShape"/>) and bias (<paramref name="biasSize"/>).</summary>
    private protected ConvNd(string layer, int inChannels, int outChannels, int groups, int[] weightShape, int biasSize, bool bias, DType dtype, Generator? generator,
        string paddingMode = "zeros")
    {
        if (paddingMode is not ("zeros" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"{layer}: padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', but got padding_mode='{paddingMode}'.");
        PaddingMode = paddingMode;
        if (inChannels <= 0 || outChannels <= 0)
            throw new ArgumentException($"{layer}: in_channels and out_channels must be positive, got {inChannels} and {outChannels}.");
        if (groups <= 0) throw new ArgumentException($"{layer}: groups must be a positive integer, got {groups}.");
        if (inChannels % groups != 0) throw new ArgumentException($"{layer}: in_channels={inChannels} must be divisible by groups={groups}.");
        if (outChannels % groups != 0) throw new ArgumentException($"{layer}: out_channels={outChannels} must be divisible by groups={groups}.");
        if (weightShape.Skip(2).Any(k => k <= 0)) throw new ArgumentException($"{layer}: kernel_size must be positive, got [{string.Join(", ", weightShape.Skip(2))}].");
        (InChannels, OutChannels, Groups) = (inChannels, outChannels, groups);
        Weight = RegisterParameter("weight", Tensor.Empty(weightShape, dtype))!;
        Init.KaimingUniform_(Weight, Math.Sqrt(5), generator);
        if (bias)
        {
            double bound = 1 / Math.Sqrt(Init.CalculateFans(Weight).FanIn);
            Bias = RegisterParameter("bias", Init.Uniform_(Tensor.Empty([biasSize], dtype), -bound, bound, generator));
        }
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }
    /// <summary>Output channels.</summary>
    public int OutChannels { get; }
    /// <summary>Blocked connections from input to output channels.</summary>
    public int Groups { get; }
    /// <summary>The filters.</summary>
    public Tensor Weight { get; }
    /// <summary>Bias of shape (out_channels), or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>
    /// How the input is padded (PyTorch's <c>padding_mode</c>): "zeros" by the convolution itself, or "reflect",
    /// "replicate" or "circular" by <see cref="Functional.Pad"/> before a convolution without padding.
    /// </summary>
    public string PaddingMode { get; }

    /// <summary>The input padded as <see cref="PaddingMode"/> says, by (before, after) per spatial dim, first dim first.</summary>
    private protected Tensor PadInput(Tensor input, (int Before, int After)[] pads) =>
        Functional.Pad(input, [.. pads.Reverse().SelectMany(p => new[] { p.Before, p.After })], PaddingMode);

    /// <summary>The (before, after) padding of one dim: "same" splits d·(k−1) with the smaller half first, as PyTorch.</summary>
    private protected static (int, int) PadsOf(string? paddingString, int padding, int kernel, int dilation)
    {
        if (paddingString == "valid") return (0, 0);
        if (paddingString != "same") return (padding, padding);
        int total = dilation * (kernel - 1);
        return (total / 2, total - total / 2);
    }

    /// <summary>The padding_mode part of the layer's repr.</summary>
    private protected string PaddingModeRepr => PaddingMode == "zeros" ? "" : $", padding_mode={PaddingMode}";

    private protected static int[] Pair(int[] v, string layer, string name, int min)
    {
        if (v.Length is not (1 or 2) || v.Any(x => x < min))
            throw new ArgumentException($"{layer}: {name} must be one or two {(min == 0 ? "non-negative" : "positive")} ints, got [{string.Join(", ", v)}].");
        return [v[0], v[^1]];
    }
}

/// <summary>2-D convolution over (N, C, H, W) input (<c>torch.nn.Conv2d</c>), zero padding given as ints or <c>"same"</c>/<c>"valid"</c>.</summary>
public sealed class Conv2d : ConvNd
{
    /// <summary>Creates the layer; <paramref name="kernelSize"/>, <paramref name="stride"/>, <paramref name="padding"/> and <paramref name="dilation"/> are one int or an (h, w) pair.</summary>
    public Conv2d(int inChannels, int outChannels, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1,
        bool bias = true, string paddingMode = "zeros", DType dtype = DType.Float32, Generator? generator = null)
        : base("Conv2d", inChannels, outChannels, groups, [outChannels, inChannels / Math.Max(groups, 1), .. Pair(kernelSize, "Conv2d", "kernel_size", 1)], outChannels, bias, dtype, generator,
            paddingMode)
    {
        KernelSize = [Weight.Size(2), Weight.Size(3)];
        Stride = Pair(stride ?? [1], "Conv2d", "stride", 1);
        Padding = Pair(padding ?? [0], "Conv2d", "padding", 0);
        Dilation = Pair(dilation ?? [1], "Conv2d", "dilation", 1);
    }

    /// <summary>A layer with square kernel, stride, padding and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true,
        string paddingMode = "zeros", DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, [kernelSize], [stride], [padding], [dilation], groups, bias, paddingMode, dtype, generator) { }

    /// <summary>A layer with string padding: <c>"valid"</c> (none) or <c>"same"</c> (output size = input size; stride 1).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, string padding, int dilation = 1, int groups = 1, bool bias = true,
        string paddingMode = "zeros", DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, [kernelSize], [1], [0], [dilation], groups, bias, paddingMode, dtype, generator)
    {
        if (padding is not ("same" or "valid")) throw new ArgumentException($"Conv2d: invalid padding string '{padding}', should be one of 'valid' or 'same'.");
        PaddingString = padding;
    }

    /// <summary>Kernel (h, w).</summary>
    public int[] KernelSize { get; }
    /// <summary>Stride (h, w).</summary>
    public int[] Stride { get; }
    /// <summary>Padding (h, w) on each side (ignored when <see cref="PaddingString"/> is set).</summary>
    public int[] Padding { get; }
    /// <summary>Dilation (h, w).</summary>
    public int[] Dilation { get; }
    /// <summary><c>"same"</c> or <c>"valid"</c> when the padding was given as a string, else null.</summary>
    public string? PaddingString { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => Compute(input));

    private Tensor Compute(Tensor input)
    {
        if (PaddingMode != "zeros")
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Dim is not (3 or 4))
                throw new ArgumentException($"Conv2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape {Shapes.Format(input.Shape)}.");
            var padded = PadInput(input, [PadsOf(PaddingString, Padding[0], KernelSize[0], Dilation[0]), PadsOf(PaddingString, Padding[1], KernelSize[1], Dilation[1])]);
            return Tensor.Conv2d(padded, Weight, Bias, Stride, [0, 0], Dilation, Groups);
        }
        return PaddingString is { } mode
            ? Functional.Conv2d(input, Weight, Bias, Stride, mode, Dilation, Groups)
            : Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize[0]}, {KernelSize[1]}), stride=({Stride[0]}, {Stride[1]})" +
        (PaddingString is { } m ? $", padding={m}" : Padding.Any(p => p != 0) ? $", padding=({Padding[0]}, {Padding[1]})" : "") +
        (Dilation.Any(d => d != 1) ? $", dilation=({Dilation[0]}, {Dilation[1]})" : "") + (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "") + PaddingModeRepr;
}

/// <summary>1-D convolution over (N, C, L) input (<c>torch.nn.Conv1d</c>).</summary>
public sealed class Conv1d : ConvNd
{
    /// <summary>Creates the layer.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true,
        string paddingMode = "zeros", DType dtype = DType.Float32, Generator? generator = null)
        : base("Conv1d", inChannels, outChannels, groups, [outChannels, inChannels / Math.Max(groups, 1), kernelSize], outChannels, bias, dtype, generator, paddingMode)
    {
        if (stride <= 0 || padding < 0 || dilation <= 0)
            throw new ArgumentException($"Conv1d: stride and dilation must be positive and padding non-negative, got stride={stride}, padding={padding}, dilation={dilation}.");
        (KernelSize, Stride, Padding, Dilation) = (kernelSize, stride, padding, dilation);
    }

    /// <summary>A layer with string padding: <c>"valid"</c> or <c>"same"</c>.</summary>
    public Conv1d(int inChannels, int outChannels, int kernelSize, string padding, int dilation = 1, int groups = 1, bool bias = true,
        string paddingMode = "zeros", DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, kernelSize, 1, 0, dilation, groups, bias, paddingMode, dtype, generator)
    {
        if (padding is not ("same" or "valid")) throw new ArgumentException($"Conv1d: invalid padding string '{padding}', should be one of 'valid' or 'same'.");
        PaddingString = padding;
    }

    /// <summary>Kernel size.</summary>
    public int KernelSize { get; }
    /// <summary>Stride.</summary>
    public int Stride { get; }
    /// <summary>Padding on each side (ignored when <see cref="PaddingString"/> is set).</summary>
    public int Padding { get; }
    /// <summary>Dilation.</summary>
    public int Dilation { get; }
    /// <summary><c>"same"</c> or <c>"valid"</c> when the padding was given as a string, else null.</summary>
    public string? PaddingString { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => Compute(input));

    private Tensor Compute(Tensor input)
    {
        if (PaddingMode != "zeros")
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Dim is not (2 or 3))
                throw new ArgumentException($"Conv1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape {Shapes.Format(input.Shape)}.");
            return Functional.Conv1d(PadInput(input, [PadsOf(PaddingString, Padding, KernelSize, Dilation)]), Weight, Bias, Stride, 0, Dilation, Groups);
        }
        return PaddingString is { } mode
            ? Functional.Conv1d(input, Weight, Bias, Stride, mode, Dilation, Groups)
            : Functional.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InChannels}, {OutChannels}, kernel_size=({KernelSize},), stride=({Stride},)" +
        (PaddingString is { } m ? $", padding={m}" : Padding != 0 ? $", padding=({Padding},)" : "") + (Dilation != 1 ? $", dilation=({Dilation},)" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "") + PaddingModeRepr;
}

/// <summary>2-D transposed convolution (<c>torch.nn.ConvTranspose2d</c>); weight (in_channels, out_channels/groups, KH, KW).</summary>
public sealed class ConvTranspose2d : ConvNd
{
    /// <summary>Creates the layer; sizes are one int or an (h, w) pair.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? outputPadding = null, int groups = 1,
        bool bias = true, int[]? dilation = null, DType dtype = DType.Float32, Generator? generator = null)
        : base("ConvTranspose2d", inChannels, outChannels, groups, [inChannels, outChannels / Math.Max(groups, 1), .. Pair(kernelSize, "ConvTranspose2d", "kernel_size", 1)],
            outChannels, bias, dtype, generator)
    {
        KernelSize = [Weight.Size(2), Weight.Size(3)];
        Stride = Pair(stride ?? [1], "ConvTranspose2d", "stride", 1);
        Padding = Pair(padding ?? [0], "ConvTranspose2d", "padding", 0);
        OutputPadding = Pair(outputPadding ?? [0], "ConvTranspose2d", "output_padding", 0);
        Dilation = Pair(dilation ?? [1], "ConvTranspose2d", "dilation", 1);
    }

    /// <summary>A layer with square sizes.</summary>
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, bool bias = true,
        int dilation = 1, DType dtype = DType.Float32, Generator? generator = null)
        : this(inChannels, outChannels, [kernelSize], [stride], [padding], [outputPadding], groups, bias, [dilation], dtype, generator) { }

    /// <summary>Kernel (h, w).</summary>
    public int[] KernelSize { get; }
    /// <summary>Stride (h, w).</summary>
    public int[] Stride { get; }
    /// <summary>Padding (h, w) removed from each side of the output.</summary>
    public int[] Padding { get; }
    /// <summary>Extra size (h, w) added to one side of the output.</summary>
    public int[] OutputPadding { get; }
    /// <summary>Dilation (h, w).</summary>
    public int[] Dilation { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => Tensor.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation));

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize[0]}, {KernelSize[1]}), stride=({Stride[0]}, {Stride[1]})" +
        (Padding.Any(p => p != 0) ? $", padding=({Padding[0]}, {Padding[1]})" : "") + (OutputPadding.Any(p => p != 0) ? $", output_padding=({OutputPadding[0]}, {OutputPadding[1]})" : "") +
        (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "");
}
