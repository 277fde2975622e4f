namespace Trace.Optim;

/// <summary>
/// RMSprop (Hinton's lecture 6e; the centered form from Graves, 2013) with <c>torch.optim.RMSprop</c>'s exact update.
/// For each parameter p with gradient g:
/// <code>
/// g = maximize ? -g : g;  g += weight_decay·p
/// v = α·v + (1 − α)·g²                                   (square_avg)
/// centered:  ḡ = lerp(ḡ, g, 1 − α);  avg = sqrt(v − ḡ²) + eps   (grad_avg)
/// otherwise: avg = sqrt(v) + eps
/// momentum &gt; 0:  buf = momentum·buf + g / avg;  p −= lr·buf
/// otherwise:     p −= lr·g / avg
/// </code>
/// </summary>
/// <remarks>
/// The rule is written with in-place tensor ops under NoGrad (<see cref="Tensor.Mul_(double)"/>, <see cref="Tensor.Add_(Tensor, double)"/>),
/// one parameter at a time, rather than as a fused kernel behind <c>IOptimizerKernels</c> as SGD and Adam are: those
/// ops already run on every device (CPU, CUDA) and dtype, so RMSprop needs no new kernel on any backend and cannot drift
/// from the elementwise ops it is made of (composites from primitives). The cost is a few passes and
/// temporaries per parameter instead of one fused pass — the place to add a kernel if RMSprop becomes a hot path.
/// </remarks>
public sealed class RMSprop : Optimizer
{
    /// <summary>RMSprop over one group of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant of the running average of g².</param>
    /// <param name="eps">Term added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="momentum">Momentum factor (0: none).</param>
    /// <param name="centered">Normalize by an estimate of the gradient's variance instead of its second moment.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base("RMSprop", parameters, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)) { }

    /// <summary>RMSprop over parameter groups; options a group does not set take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="alpha">Default smoothing constant.</param>
    /// <param name="eps">Default term added to the denominator.</param>
    /// <param name="weightDecay">Default L2 penalty added to the gradient.</param>
    /// <param name="momentum">Default momentum factor.</param>
    /// <param name="centered">Default for the centered variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base("RMSprop", groups, Defaults(lr, alpha, eps, weightDecay, momentum, centered, maximize)) { }

    private static ParamGroup Defaults(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered, bool maximize) =>
        new([]) { Lr = lr, Alpha = alpha, Eps = eps, WeightDecay = weightDecay, Momentum = momentum, Centered = centered, Maximize = maximize };

    /// <inheritdoc/>
    protected override void ValidateOptions(ParamGroup g, string where)
    {
        base.ValidateOptions(g, where);
        if (g.HasAlpha && !(g.Alpha >= 0 && double.IsFinite(g.Alpha))) throw Invalid("alpha value", g.Alpha, where, "must be finite and >= 0", "alpha");
    }

    private static readonly string[] s_stateNames = ["square_avg", "grad_avg", "momentum_buffer"];

    /// <inheritdoc/>
    private protected override IReadOnlyCollection<string> StateNames => s_stateNames;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor target, Tensor grad, ParamState state)
    {
        // grad may be the parameter's .Grad itself: it is read, never written.
        double alpha = group.Alpha;
        if (group.Maximize) grad = grad.Neg();
        if (group.WeightDecay != 0) grad = grad.Add(target.Mul(group.WeightDecay));
        var squareAvg = state.SquareAvg ??= ZerosLike(target);
        squareAvg.Mul_(alpha).Add_(grad.Square(), 1 - alpha);
        Tensor avg;
        if (group.Centered)
        {
            var gradAvg = state.GradAvg ??= ZerosLike(target);
            gradAvg.Add_(grad.Sub(gradAvg), 1 - alpha);                 // lerp_(grad, 1 − α)
            avg = squareAvg.Sub(gradAvg.Square()).Sqrt();
        }
        else avg = squareAvg.Sqrt();
        avg.Add_(group.Eps);
        if (group.Momentum > 0)
        {
            var buf = state.MomentumBuffer ??= ZerosLike(target);
            buf.Mul_(group.Momentum).Add_(grad.Div(avg));
            target.Add_(buf, -group.Lr);
        }
        else target.Add_(grad.Div(avg), -group.Lr);
    }
}
