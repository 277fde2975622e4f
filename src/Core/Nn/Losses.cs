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
