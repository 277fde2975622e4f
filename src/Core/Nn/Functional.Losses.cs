namespace Trace.Nn;

public static partial class Functional
{
    /// <summary>Mean absolute error: |input − target|, reduced. Shapes must broadcast (a different target size warns, as <see cref="MseLoss"/>).</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        WarnIfBroadcast("l1_loss", input, target);
        return Reduce(input.Sub(target).Abs(), reduction);
    }

    /// <summary>
    /// Smooth L1: 0.5·d²/β where |d| &lt; β, else |d| − 0.5·β (d = input − target), as PyTorch; β = 0 is the L1 loss.
    /// </summary>
    /// <exception cref="ArgumentException">A negative β.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
    {
        if (!(beta >= 0)) throw new ArgumentException($"smooth_l1_loss: does not support negative values for beta (got {beta}).");
        WarnIfBroadcast("smooth_l1_loss", input, target);
        var d = input.Sub(target).Abs();
        if (beta == 0) return Reduce(d, reduction);
        return Reduce(Tensor.Where(d.Lt(beta), d.Square().Mul(0.5 / beta), d.Sub(0.5 * beta)), reduction);
    }

    /// <summary>Huber: 0.5·d² where |d| &lt; δ, else δ·(|d| − 0.5·δ) (d = input − target), as PyTorch.</summary>
    /// <exception cref="ArgumentException">δ ≤ 0.</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
    {
        if (!(delta > 0)) throw new ArgumentException($"huber_loss: does not support non-positive values for delta (got {delta}).");
        WarnIfBroadcast("huber_loss", input, target);
        var d = input.Sub(target).Abs();
        return Reduce(Tensor.Where(d.Lt(delta), d.Square().Mul(0.5), d.Sub(0.5 * delta).Mul(delta)), reduction);
    }

    /// <summary>
    /// Binary cross entropy of probabilities: −w·(y·log x + (1 − y)·log(1 − x)), each log clamped at −100 as in PyTorch
    /// (so x = 0 or 1 gives a finite loss). Input and target must have the same shape; <paramref name="weight"/> broadcasts
    /// against them. Inputs outside [0, 1] give NaN (PyTorch raises; checking would read the device).
    /// </summary>
    /// <exception cref="ArgumentException">The target's shape differs from the input's.</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        SameShape("binary_cross_entropy", input, target);
        var logX = input.Log().Clamp(min: -100);
        var log1mX = input.Neg().Add(1.0).Log().Clamp(min: -100);
        var loss = target.Mul(logX).Add(target.Neg().Add(1.0).Mul(log1mX)).Neg();
        return Reduce(weight is null ? loss : loss.Mul(weight), reduction);
    }

    /// <summary>
    /// Binary cross entropy of logits, in the stable form PyTorch uses: (1 − y)·x + l·(log(1 + e^(−|x|)) + max(−x, 0)),
    /// with l = 1 + (pos_weight − 1)·y (pos_weight broadcasts over the last dim: one weight per class), times
    /// <paramref name="weight"/>. Input and target must have the same shape.
    /// </summary>
    /// <exception cref="ArgumentException">The target's shape differs from the input's.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        SameShape("binary_cross_entropy_with_logits", input, target);
        var softplusNeg = input.Abs().Neg().Exp().Log1p().Add(input.Neg().Relu());   // log(1 + e^(−x)), stable
        var scale = posWeight is null ? null : posWeight.Sub(1.0).Mul(target).Add(1.0);
        var loss = target.Neg().Add(1.0).Mul(input).Add(scale is null ? softplusNeg : scale.Mul(softplusNeg));
        return Reduce(weight is null ? loss : loss.Mul(weight), reduction);
    }

    /// <summary>
    /// Kullback–Leibler divergence of <paramref name="target"/> from the model, as <c>torch.nn.functional.kl_div</c>:
    /// <paramref name="input"/> holds log-probabilities and the pointwise loss is target·(log target − input), taken as
    /// 0 where target = 0 (xlogy), or exp(target)·(target − input) with <paramref name="logTarget"/> (target given as
    /// log-probabilities). Input and target broadcast. <see cref="Reduction.BatchMean"/> divides the sum by the
    /// batch size (the input's first dim), the KL divergence per sample; <see cref="Reduction.Mean"/> divides by the
    /// number of elements and warns, as PyTorch does, since that is rarely the divergence meant. Negative targets
    /// without <paramref name="logTarget"/> give NaN. Gradients flow to both arguments; the target's is 0 where the
    /// target is 0, as in PyTorch.
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.IsFloatingPoint || target.DType != input.DType)
            throw new ArgumentException($"kl_div: input and target must have the same floating dtype, got {input.DType.TorchName()} and {target.DType.TorchName()}.");
        Shapes.Broadcast(input.Shape, target.Shape, "kl_div");
        Tensor loss;
        if (logTarget) loss = target.Exp().Mul(target.Sub(input));
        else
        {
            // xlogy(t, t): t·log t, 0 at t = 0 (the log reads 1 there, so that neither value nor gradient is NaN). As in
            // PyTorch, the target's gradient is 0 where it is 0: there the t·input term takes t through a detached branch.
            var zero = target.Eq(0.0);
            var safe = Tensor.Where(zero, 1.0, target);
            loss = safe.Mul(safe.Log()).Sub(Tensor.Where(zero, target.Detach(), target).Mul(input));
        }
        switch (reduction)
        {
            case Reduction.BatchMean:
                var sum = loss.Sum();
                return input.Dim == 0 ? sum : sum.Div(input.Size(0));
            case Reduction.Mean:
                Warnings.Warn("kl_div: reduction 'mean' divides the total loss by both the batch size and the support size; 'batchmean' divides " +
                    "only by the batch size, which is the KL divergence's definition. PyTorch plans to make 'mean' behave as 'batchmean' in a future major release.");
                return loss.Mean();
            default:
                return Reduce(loss, reduction);
        }
    }

    private static void WarnIfBroadcast(string op, Tensor input, Tensor target)
    {
        if (input.Shape.SequenceEqual(target.Shape)) return;
        Shapes.Broadcast(input.Shape, target.Shape, op);
        Warnings.Warn($"{op}: using a target size {Shapes.Format(target.Shape)} that is different to the input size {Shapes.Format(input.Shape)}. " +
            "This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.");
    }

    private static void SameShape(string op, Tensor input, Tensor target)
    {
        if (!input.Shape.SequenceEqual(target.Shape))
            throw new ArgumentException($"{op}: the target size {Shapes.Format(target.Shape)} differs from the input size {Shapes.Format(input.Shape)}; they must be the same.");
    }
}
