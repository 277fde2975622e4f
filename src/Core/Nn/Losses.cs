namespace Trace.Nn;

/// <summary>A loss module: <c>Forward(input, target)</c>.</summary>
public abstract class Loss(Reduction reduction) : Module
{
    /// <summary>How per-element losses are combined.</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <inheritdoc/>
    protected override string ExtraRepr() => Reduction == Reduction.Mean ? "" : $"reduction='{Reduction.ToString().ToLowerInvariant()}'";
}

/// <summary>Mean squared error loss.</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, Reduction);
}

/// <summary>Cross-entropy loss of logits against class indices.</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, double labelSmoothing = 0, long ignoreIndex = -100) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.CrossEntropy(input, target, Reduction, labelSmoothing, ignoreIndex);
}

/// <summary>Negative log-likelihood loss of log-probabilities against class indices.</summary>
public sealed class NllLoss(Reduction reduction = Reduction.Mean, long ignoreIndex = -100) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.NllLoss(input, target, Reduction, ignoreIndex);
}

/// <summary>Mean absolute error loss.</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, Reduction);
}

/// <summary>Smooth L1 loss (quadratic below β, linear above).</summary>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Beta { get; } = beta >= 0 ? beta : throw new ArgumentException($"SmoothL1Loss: does not support negative values for beta (got {beta}).");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, Reduction, Beta);
}

/// <summary>Huber loss (quadratic below δ, δ-scaled linear above).</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss turns from quadratic to linear.</summary>
    public double Delta { get; } = delta > 0 ? delta : throw new ArgumentException($"HuberLoss: does not support non-positive values for delta (got {delta}).");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, Reduction, Delta);
}

/// <summary>Binary cross entropy of probabilities, optionally weighted per element.</summary>
public sealed class BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>The rescaling weight (a buffer, not a parameter), or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, Reduction);
}

/// <summary>Binary cross entropy of logits (sigmoid and BCE in one stable expression), with optional weight and positive-class weight.</summary>
public sealed class BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null) : Loss(reduction)
{
    /// <summary>The rescaling weight, or null.</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The weight of positive examples per class, or null.</summary>
    public Tensor? PosWeight { get; } = posWeight;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}

/// <summary>
/// Kullback–Leibler divergence loss of log-probabilities against a target distribution (probabilities, or
/// log-probabilities with <c>logTarget</c>), as <c>torch.nn.KLDivLoss</c>; see <see cref="Functional.KlDiv"/>. Use
/// <see cref="Reduction.BatchMean"/> for the divergence per sample; <see cref="Reduction.Mean"/> (the default, as in
/// PyTorch) averages over all elements and warns.
/// </summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    /// <summary>True when the target holds log-probabilities.</summary>
    public bool LogTarget { get; } = logTarget;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KlDiv(input, target, Reduction, LogTarget);

    /// <inheritdoc/>
    protected override string ExtraRepr() => LogTarget ? (base.ExtraRepr().Length == 0 ? "log_target=True" : base.ExtraRepr() + ", log_target=True") : base.ExtraRepr();
}
