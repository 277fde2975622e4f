namespace Trace.Nn;

/// <summary>2-D max pooling (<c>torch.nn.MaxPool2d</c>); stride defaults to the kernel size.</summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer; sizes are one int or an (h, w) pair.</summary>
    public MaxPool2d(int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false)
    {
        (KernelSize, Stride, Padding, Dilation, CeilMode) = (kernelSize, stride ?? kernelSize, padding ?? [0], dilation ?? [1], ceilMode);
    }

    /// <summary>A layer with square sizes (stride 0: the kernel size).</summary>
    public MaxPool2d(int kernelSize, int stride = 0, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this([kernelSize], [stride == 0 ? kernelSize : stride], [padding], [dilation], ceilMode) { }

    /// <summary>Window size.</summary>
    public int[] KernelSize { get; }
    /// <summary>Window step.</summary>
    public int[] Stride { get; }
    /// <summary>Implicit −∞ padding on each side.</summary>
    public int[] Padding { get; }
    /// <summary>Spacing of window elements.</summary>
    public int[] Dilation { get; }
    /// <summary>Ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => input.MaxPool2d(KernelSize, Stride, Padding, Dilation, CeilMode));

    /// <summary>The pooled values and the flat index of each maximum within its plane.</summary>
    public ValuesIndices ForwardWithIndices(Tensor input) => input.MaxPool2dWithIndices(KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={Format(KernelSize)}, stride={Format(Stride)}, padding={Format(Padding)}, dilation={Format(Dilation)}, ceil_mode={(CeilMode ? "True" : "False")}";

    internal static string Format(int[] v) => v.Length == 1 ? $"{v[0]}" : $"({string.Join(", ", v)})";
}

/// <summary>2-D average pooling (<c>torch.nn.AvgPool2d</c>).</summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer; sizes are one int or an (h, w) pair.</summary>
    public AvgPool2d(int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        (KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride) = (kernelSize, stride ?? kernelSize, padding ?? [0], ceilMode, countIncludePad, divisorOverride);
    }

    /// <summary>A layer with square sizes (stride 0: the kernel size).</summary>
    public AvgPool2d(int kernelSize, int stride = 0, int padding = 0, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
        : this([kernelSize], [stride == 0 ? kernelSize : stride], [padding], ceilMode, countIncludePad, divisorOverride) { }

    /// <summary>Window size.</summary>
    public int[] KernelSize { get; }
    /// <summary>Window step.</summary>
    public int[] Stride { get; }
    /// <summary>Zero padding on each side.</summary>
    public int[] Padding { get; }
    /// <summary>Ceil instead of floor for the output size.</summary>
    public bool CeilMode { get; }
    /// <summary>Divide by the padded window's size.</summary>
    public bool CountIncludePad { get; }
    /// <summary>A fixed divisor, or null.</summary>
    public int? DivisorOverride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => input.AvgPool2d(KernelSize, Stride, Padding, CeilMode, CountIncludePad, DivisorOverride));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={MaxPool2d.Format(KernelSize)}, stride={MaxPool2d.Format(Stride)}, padding={MaxPool2d.Format(Padding)}";
}

/// <summary>Adaptive 2-D average pooling to a fixed output size (<c>torch.nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d(int[] outputSize) : Module
{
    /// <summary>A square output size.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this([outputSize]) { }

    /// <summary>Output (h, w), or one int for both.</summary>
    public int[] OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => input.AdaptiveAvgPool2d(OutputSize));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={MaxPool2d.Format(OutputSize)}";
}

/// <summary>Channel dropout (<c>torch.nn.Dropout2d</c>): zeroes whole channels in training.</summary>
public sealed class Dropout2d : Module
{
    /// <summary>Creates the layer; <paramref name="generator"/> draws the masks (default generator otherwise).</summary>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout2d: probability has to be between 0 and 1, but got {p}.");
        (P, Generator) = (p, generator);
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }
    /// <summary>Generator for the masks (null: the default generator).</summary>
    public Generator? Generator { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, IsTraining, Generator);
    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}
