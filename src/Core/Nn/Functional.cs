namespace Trace.Nn;

/// <summary>How a loss combines per-element values.</summary>
public enum Reduction
{
    /// <summary>Per-element losses, unreduced.</summary>
    None,
    /// <summary>The mean (the default).</summary>
    Mean,
    /// <summary>The sum.</summary>
    Sum,
    /// <summary>
    /// The sum divided by the batch size (the input's first dim), PyTorch's <c>reduction='batchmean'</c>: the KL
    /// divergence per sample. Only <see cref="Functional.KlDiv"/> accepts it; other losses reject it.
    /// </summary>
    BatchMean,
}

/// <summary>Stateless layers and losses (like <c>torch.nn.functional</c>; alias it with <c>using F = Trace.Nn.Functional;</c>).</summary>
public static partial class Functional
{
    /// <summary>x·Wᵀ + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Tensor.Linear(input, weight, bias);

    /// <summary>max(x, 0).</summary>
    public static Tensor Relu(Tensor x) => x.Relu();

    /// <summary>GELU.</summary>
    public static Tensor Gelu(Tensor x, GeluApproximation approximate = GeluApproximation.None) => x.Gelu(approximate);

    /// <summary>SiLU (swish), x·σ(x).</summary>
    public static Tensor Silu(Tensor x) => x.Silu();

    /// <summary>Softmax along a dim.</summary>
    public static Tensor Softmax(Tensor x, int dim) => x.Softmax(dim);

    /// <summary>Log-softmax along a dim.</summary>
    public static Tensor LogSoftmax(Tensor x, int dim) => x.LogSoftmax(dim);

    /// <summary>Inverted dropout: in training, zeroes each element with probability p and scales the rest by 1/(1-p).</summary>
    public static Tensor Dropout(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"dropout: probability has to be between 0 and 1, but got {p}.");
        if (!training || p == 0) return x;
        if (p == 1) return x.Mul(0.0);
        var keep = Tensor.Rand(x.Shape.ToArray(), x.IsFloatingPoint ? x.DType : DType.Float32, generator, x.Device).Ge(p);
        return x.Mul(keep.To(x.DType)).Mul(1 / (1 - p));
    }

    /// <summary>
    /// Mean squared error. As in PyTorch, a target of another shape is broadcast against the input, with a warning
    /// (once per pair of shapes), since that is rarely what was meant; shapes that do not broadcast are an error.
    /// </summary>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        WarnIfBroadcast("mse_loss", input, target);
        return Reduce(input.Sub(target).Square(), reduction);
    }

    /// <summary>
    /// Negative log-likelihood of class indices: input holds log-probabilities of shape (N, C), (C) or
    /// (N, C, d1, ...); target holds int64 class indices of shape (N), () or (N, d1, ...). Targets equal to
    /// <paramref name="ignoreIndex"/> contribute nothing (and are excluded from the mean).
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100)
    {
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum)) throw UnsupportedReduction(reduction);
        var (logp, t) = Flatten("nll_loss", input, target, ignoreIndex);
        var valid = t.Ne(ignoreIndex);
        var safe = Tensor.Where(valid, t, Tensor.Scalar(0L));
        var picked = logp.Gather(1, safe.Unsqueeze(1)).Squeeze(1).Neg();
        var loss = Tensor.Where(valid, picked, 0.0);
        if (reduction == Reduction.Mean) return loss.Sum().Div(valid.To(loss.DType).Sum());
        if (reduction == Reduction.Sum) return loss.Sum();
        return input.Dim == 1 ? loss.Reshape() : loss.View(target.Shape.ToArray());
    }

    /// <summary>
    /// Cross entropy of logits against class indices: nll_loss(log_softmax(input, class dim)), with optional
    /// label smoothing ε (the target distribution is (1-ε)·onehot + ε/C, as in PyTorch).
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double labelSmoothing = 0, long ignoreIndex = -100)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentException($"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}.");
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum)) throw UnsupportedReduction(reduction);
        if (!input.IsFloatingPoint)
            throw new ArgumentException($"cross_entropy: input must be floating point logits, got {input.DType.TorchName()}.");
        var logp = input.LogSoftmax(input.Dim == 1 ? 0 : 1);
        var nll = NllLoss(logp, target, labelSmoothing == 0 ? reduction : Reduction.None, ignoreIndex);
        if (labelSmoothing == 0) return nll;
        var (flat, t) = Flatten("cross_entropy", logp, target, ignoreIndex);
        var valid = t.Ne(ignoreIndex).To(logp.DType);
        var smooth = flat.Mean(1).Neg().Mul(valid);
        var loss = nll.Reshape(-1).Mul(1 - labelSmoothing).Add(smooth.Mul(labelSmoothing));
        if (reduction == Reduction.Mean) return loss.Sum().Div(valid.Sum());
        if (reduction == Reduction.Sum) return loss.Sum();
        return input.Dim == 1 ? loss.Reshape() : loss.View(target.Shape.ToArray());
    }

    /// <summary>Brings (N, C, d1..) / (C) inputs to (M, C) rows and checks targets: int64, matching shape, in [0, C) or ignored.</summary>
    private static (Tensor Input, Tensor Target) Flatten(string op, Tensor input, Tensor target, long ignoreIndex)
    {
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected target of dtype torch.int64 (class indices), got {target.DType.TorchName()}.");
        if (input.Dim == 0)
            throw new ArgumentException($"{op}: input must have at least 1 dimension (C) or (N, C), got a 0-dim tensor.");
        Tensor rows;
        int[] expected;
        if (input.Dim == 1) { rows = input.Unsqueeze(0); expected = []; }
        else if (input.Dim == 2) { rows = input; expected = [input.Shape[0]]; }
        else
        {
            var perm = new[] { 0 }.Concat(Enumerable.Range(2, input.Dim - 2)).Append(1).ToArray();
            rows = input.Permute(perm).Reshape(-1, input.Shape[1]);
            expected = [input.Shape[0], .. input.Shape.Skip(2)];
        }
        if (!target.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{op}: expected target of shape {Shapes.Format(expected)} for input of shape {Shapes.Format(input.Shape)}, got {Shapes.Format(target.Shape)}.");
        int c = rows.Shape[1];
        var flat = target.Reshape(-1);
        // Validation, not control flow: hidden from a trace (it would become a value guard, retracing for every batch of
        // labels). A replayed graph is checked where its kernel reads the classes (gather raises on an out-of-range index).
        long[] classes;
        using (Dispatch.Internal()) classes = flat.ToArray<long>();
        foreach (long v in classes)
            if ((v < 0 || v >= c) && v != ignoreIndex)
                throw new ArgumentOutOfRangeException(nameof(target), $"{op}: target {v} is out of bounds for {c} classes (input shape {Shapes.Format(input.Shape)}).");
        return (rows, flat);
    }

    private static Tensor Reduce(Tensor loss, Reduction reduction) => reduction switch
    {
        Reduction.Mean => loss.Mean(),
        Reduction.Sum => loss.Sum(),
        Reduction.None => loss,
        _ => throw UnsupportedReduction(reduction),
    };

    /// <summary>The error for a reduction a loss does not support ('batchmean' outside kl_div, or an undefined value).</summary>
    private static ArgumentException UnsupportedReduction(Reduction reduction) => reduction == Reduction.BatchMean
        ? new ArgumentException("reduction 'batchmean' is only supported by kl_div; use Reduction.Mean, Reduction.Sum or Reduction.None.", nameof(reduction))
        : new ArgumentException($"{reduction} is not a valid value for reduction.", nameof(reduction));
}
