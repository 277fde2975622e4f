namespace Trace.Nn;

/// <summary>
/// The batch norm layers' shared part (PyTorch's <c>_BatchNorm</c>): weight (ones) and bias (zeros) when affine; buffers
/// running_mean (zeros), running_var (ones) and num_batches_tracked (int64) when tracking running statistics. Training
/// normalizes with batch statistics and updates the running ones; evaluation uses the running ones (or the batch's, when
/// not tracked).
/// </summary>
public abstract class BatchNormBase : Module
{
    private readonly string _layer;

    /// <summary>Creates the layer over <paramref name="numFeatures"/> channels.</summary>
    private protected BatchNormBase(string layer, int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures <= 0) throw new ArgumentException($"{layer}: num_features must be positive, got {numFeatures}.");
        if (momentum is < 0 or > 1) throw new ArgumentException($"{layer}: momentum must be in [0, 1] or None, got {momentum}.");
        (_layer, NumFeatures, Eps, Momentum) = (layer, numFeatures, eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
    }

    /// <summary>Channels (dim 1 of the input).</summary>
    public int NumFeatures { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Running-statistics update factor; null for a cumulative average.</summary>
    public double? Momentum { get; }
    /// <summary>Learnable scale (ones), or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Learnable shift (zeros), or null.</summary>
    public Tensor? Bias { get; }
    /// <summary>Running mean per channel, or null when not tracked.</summary>
    public Tensor? RunningMean { get; }
    /// <summary>Running (unbiased) variance per channel, or null when not tracked.</summary>
    public Tensor? RunningVar { get; }
    /// <summary>Batches seen in training (0-dim int64), or null when not tracked.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>The input ranks this layer accepts.</summary>
    private protected abstract int[] Ranks { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Ranks.Contains(input.Dim))
            throw new ArgumentException($"{_layer}: expected {string.Join(" or ", Ranks.Select(r => $"{r}D"))} input, got {input.Dim}D input of shape {Shapes.Format(input.Shape)}.");
        // Batch statistics in training, or always when the running ones are not tracked (PyTorch's bn_training).
        bool batchStats = IsTraining || RunningMean is null;
        return NamingErrors(() => Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, batchStats, Momentum, Eps, NumBatchesTracked));
    }

    /// <summary>Resets the running statistics to zeros and ones and the batch count to 0.</summary>
    public void ResetRunningStats()
    {
        using var _ = Autograd.NoGrad();
        RunningMean?.Fill_(0);
        RunningVar?.Fill_(1);
        NumBatchesTracked?.Fill_(0);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={(Momentum is { } m ? m.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}, affine={(Weight is null ? "False" : "True")}, track_running_stats={(RunningMean is null ? "False" : "True")}";
}

/// <summary>Batch normalization over (N, C) or (N, C, L) input (<c>torch.nn.BatchNorm1d</c>).</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase("BatchNorm1d", numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override int[] Ranks => [2, 3];
}

/// <summary>Batch normalization over (N, C, H, W) input (<c>torch.nn.BatchNorm2d</c>).</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
    : BatchNormBase("BatchNorm2d", numFeatures, eps, momentum, affine, trackRunningStats, dtype)
{
    private protected override int[] Ranks => [4];
}

/// <summary>Group normalization (<c>torch.nn.GroupNorm</c>) with per-channel weight (ones) and bias (zeros) when affine.</summary>
public sealed class GroupNorm : Module
{
    /// <summary>Creates the layer: <paramref name="numChannels"/> split into <paramref name="numGroups"/> groups.</summary>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType dtype = DType.Float32)
    {
        if (numGroups <= 0 || numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: num_channels={numChannels} must be divisible by num_groups={numGroups} (both positive).");
        (NumGroups, NumChannels, Eps) = (numGroups, numChannels, eps);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numChannels], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numChannels], dtype));
        }
    }

    /// <summary>Groups the channels are split into.</summary>
    public int NumGroups { get; }
    /// <summary>Channels (dim 1 of the input).</summary>
    public int NumChannels { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Learnable scale (ones), or null.</summary>
    public Tensor? Weight { get; }
    /// <summary>Learnable shift (zeros), or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => NamingErrors(() => Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Eps}, affine={(Weight is null ? "False" : "True")}";
}
