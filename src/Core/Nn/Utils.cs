namespace Trace.Nn;

/// <summary>
/// Gradient clipping, as <c>torch.nn.utils</c>: <see cref="ClipGradNorm_(IEnumerable{Tensor}, double, double, bool)"/> scales the gradients of a set of
/// parameters so that their total norm is at most a bound, <see cref="ClipGradValue_"/> clamps each element. Both work
/// in place on <see cref="Tensor.Grad"/> under NoGrad, skip parameters whose gradient is null, and run on any device
/// (they are made of ordinary tensor ops: no value is read back to the host unless <c>errorIfNonfinite</c> asks).
/// </summary>
/// <example>
/// <code>
/// loss.Backward();
/// Utils.ClipGradNorm_(model.Parameters(), maxNorm: 1.0);
/// opt.Step();
/// </code>
/// </example>
public static class Utils
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their total norm is at most
    /// <paramref name="maxNorm"/>, as <c>torch.nn.utils.clip_grad_norm_</c>: the total norm is the
    /// <paramref name="normType"/>-norm of the per-gradient norms (the norm of all gradients concatenated), and every
    /// gradient is multiplied by <c>clamp(maxNorm / (total + 1e-6), max: 1)</c>, so gradients already within the bound
    /// are multiplied by exactly 1.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clipped; those with a null gradient are skipped.</param>
    /// <param name="maxNorm">The bound on the total norm (&gt;= 0).</param>
    /// <param name="normType">The norm's order: a positive number, 0 (the count of nonzeros), +inf (the largest
    /// magnitude) or −inf (the smallest).</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite instead of scaling the gradients by it.</param>
    /// <returns>The total norm before clipping, a 0-dim tensor on the first gradient's device, of the gradients'
    /// (promoted) dtype; a float32 zero on the CPU when no parameter has a gradient.</returns>
    /// <exception cref="ArgumentException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="normType"/> is NaN or negative.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> is set and the total norm is not finite.</exception>
    public static Tensor ClipGradNorm_(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
            throw new ArgumentException($"ClipGradNorm_: maxNorm must be >= 0, got {Format(maxNorm)} (a negative bound would flip the gradients).", nameof(maxNorm));
        CheckNormType(normType, "ClipGradNorm_");
        var grads = Gradients(parameters, "ClipGradNorm_");
        var total = GetTotalNorm(grads, normType, errorIfNonfinite);
        ClipGradsWithNorm_(grads, maxNorm, total);
        return total;
    }

    /// <summary>Scales the gradient of one <paramref name="parameter"/> (see <see cref="ClipGradNorm_(IEnumerable{Tensor}, double, double, bool)"/>).</summary>
    /// <param name="parameter">The parameter whose gradient is clipped (nothing happens when it is null).</param>
    /// <param name="maxNorm">The bound on the norm (&gt;= 0).</param>
    /// <param name="normType">The norm's order.</param>
    /// <param name="errorIfNonfinite">Throw when the norm is NaN or infinite.</param>
    /// <returns>The norm before clipping.</returns>
    public static Tensor ClipGradNorm_(Tensor parameter, double maxNorm, double normType = 2, bool errorIfNonfinite = false) =>
        ClipGradNorm_([parameter ?? throw new ArgumentNullException(nameof(parameter))], maxNorm, normType, errorIfNonfinite);

    /// <summary>
    /// Clamps every element of the gradients of <paramref name="parameters"/> into [−clipValue, clipValue], in place
    /// (<c>torch.nn.utils.clip_grad_value_</c>); parameters with a null gradient are skipped.
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are clamped.</param>
    /// <param name="clipValue">The largest magnitude kept (&gt;= 0).</param>
    /// <exception cref="ArgumentException"><paramref name="clipValue"/> is negative or NaN.</exception>
    public static void ClipGradValue_(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0))
            throw new ArgumentException($"ClipGradValue_: clipValue must be >= 0, got {Format(clipValue)} (the range is [-clipValue, clipValue]).", nameof(clipValue));
        using var _ = Autograd.NoGrad();
        foreach (var g in Gradients(parameters, "ClipGradValue_")) g.Clamp_(-clipValue, clipValue);
    }

    /// <summary>
    /// The total <paramref name="normType"/>-norm of <paramref name="tensors"/> (<c>torch.nn.utils.get_total_norm</c>):
    /// the norm of their per-tensor norms, computed on each tensor's device and combined on the first one's.
    /// </summary>
    /// <param name="tensors">The tensors (usually gradients).</param>
    /// <param name="normType">The norm's order: a positive number, 0, +inf or −inf.</param>
    /// <param name="errorIfNonfinite">Throw when the total norm is NaN or infinite.</param>
    /// <returns>A 0-dim tensor on the first tensor's device (a float32 CPU zero for no tensors).</returns>
    /// <exception cref="ArgumentException"><paramref name="normType"/> is NaN or negative.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="errorIfNonfinite"/> is set and the total norm is not finite.</exception>
    public static Tensor GetTotalNorm(IEnumerable<Tensor> tensors, double normType = 2, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        CheckNormType(normType, "GetTotalNorm");
        var list = tensors.ToList();
        if (list.Count == 0) return Tensor.Scalar(0.0);
        using var _ = Autograd.NoGrad();
        var first = list[0].Device;
        var dtype = list.Select(t => t.DType).Aggregate(DTypes.Promote);
        // Empty tensors add nothing to a norm (and have no largest element): they are left out.
        var norms = list.Where(t => t.Numel > 0).Select(t => VectorNorm(t, normType).To(first).To(dtype)).ToList();
        var total = norms.Count == 0 ? Tensor.Zeros([], dtype, first) : VectorNorm(Tensor.Stack(norms), normType);
        if (errorIfNonfinite && !double.IsFinite(total.Item()))
            throw new InvalidOperationException(
                $"The total norm of order {Format(normType)} for gradients from parameters is non-finite ({Format(total.Item())}), so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false.");
        return total;
    }

    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> by <c>clamp(maxNorm / (totalNorm + 1e-6), max: 1)</c>, in
    /// place (<c>torch.nn.utils.clip_grads_with_norm_</c>): the second half of <see cref="ClipGradNorm_(IEnumerable{Tensor}, double, double, bool)"/>,
    /// for a total norm computed elsewhere (e.g. over several models).
    /// </summary>
    /// <param name="parameters">The parameters whose gradients are scaled; those with a null gradient are skipped.</param>
    /// <param name="maxNorm">The bound on the total norm (&gt;= 0).</param>
    /// <param name="totalNorm">The total norm, a 0-dim tensor on any device.</param>
    /// <exception cref="ArgumentException"><paramref name="maxNorm"/> is negative or NaN, or <paramref name="totalNorm"/> is not 0-dim.</exception>
    public static void ClipGradsWithNorm_(IEnumerable<Tensor> parameters, double maxNorm, Tensor totalNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(totalNorm);
        if (!(maxNorm >= 0))
            throw new ArgumentException($"ClipGradsWithNorm_: maxNorm must be >= 0, got {Format(maxNorm)}.", nameof(maxNorm));
        if (totalNorm.Dim != 0) throw new ArgumentException($"ClipGradsWithNorm_: totalNorm must be a 0-dim tensor, got shape {Trace.Shapes.Format(totalNorm.Shape)}.", nameof(totalNorm));
        ClipGradsWithNorm_(Gradients(parameters, "ClipGradsWithNorm_"), maxNorm, totalNorm);
    }

    private static void ClipGradsWithNorm_(List<Tensor> grads, double maxNorm, Tensor totalNorm)
    {
        if (grads.Count == 0) return;
        using var _ = Autograd.NoGrad();
        var coef = (maxNorm / totalNorm.Add(1e-6)).Clamp(max: 1.0);
        foreach (var g in grads) g.Mul_(coef.To(g.Device).To(g.DType));
    }

    /// <summary>PyTorch's <c>linalg.vector_norm</c> of a non-empty tensor, from elementwise ops and reductions.</summary>
    private static Tensor VectorNorm(Tensor x, double p) => p switch
    {
        double.PositiveInfinity => x.Abs().Max(),
        double.NegativeInfinity => x.Abs().Min(),
        0 => x.Ne(0.0).To(x.DType).Sum(),
        1 => x.Abs().Sum(),
        2 => x.Square().Sum().Sqrt(),
        _ => x.Abs().Pow(p).Sum().Pow(1 / p),
    };

    private static void CheckNormType(double normType, string op)
    {
        if (!(normType >= 0 || double.IsNegativeInfinity(normType)))
            throw new ArgumentException($"{op}: normType must be a positive number, 0, inf or -inf, got {Format(normType)}.", nameof(normType));
    }

    private static List<Tensor> Gradients(IEnumerable<Tensor> parameters, string op)
    {
        var grads = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p is null) throw new ArgumentException($"{op}: a parameter is null.", nameof(parameters));
            if (p.Grad is { } g) grads.Add(g);
        }
        return grads;
    }

    private static string Format(double v) => Trace.Optim.PyFloat.Repr(v);
}
