namespace Trace.Optim;

/// <summary>
/// Adagrad (Duchi et al., 2011) with <c>torch.optim.Adagrad</c>'s exact update. For each parameter p with gradient g
/// at its step t (1, 2, …):
/// <code>
/// g = maximize ? -g : g;  g += weight_decay·p
/// clr = lr / (1 + (t − 1)·lr_decay)
/// sum += g²                                 (sum starts at initial_accumulator_value)
/// p −= clr · g / (sqrt(sum) + eps)
/// </code>
/// </summary>
/// <remarks>
/// Written with in-place tensor ops under NoGrad, which run on every device and dtype, rather than a fused
/// <c>IOptimizerKernels</c> kernel (see <see cref="RMSprop"/> for why). PyTorch fills <c>state["sum"]</c> for every
/// parameter in the constructor from the constructor's <c>initial_accumulator_value</c>, ignoring a group's own value;
/// here the sum is created on a parameter's first step from its group's <see cref="ParamGroup.InitialAccumulatorValue"/>
/// (the same number unless a group sets its own), so <see cref="Optimizer.State"/> lists a parameter after its first step, as for the other optimizers.
/// Sparse gradients do not exist in Trace.
/// </remarks>
public sealed class Adagrad : Optimizer
{
    /// <summary>Adagrad over one group of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="lrDecay">Learning rate decay: step t uses lr / (1 + (t − 1)·lrDecay).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="initialAccumulatorValue">Starting value of the sum of squared gradients.</param>
    /// <param name="eps">Term added to the denominator for numerical stability.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base("Adagrad", parameters, Defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)) { }

    /// <summary>Adagrad over parameter groups; options a group does not set take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="lrDecay">Default learning rate decay.</param>
    /// <param name="weightDecay">Default L2 penalty added to the gradient.</param>
    /// <param name="initialAccumulatorValue">Default starting value of the sum of squared gradients.</param>
    /// <param name="eps">Default term added to the denominator.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public Adagrad(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base("Adagrad", groups, Defaults(lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)) { }

    private static ParamGroup Defaults(double lr, double lrDecay, double weightDecay, double initialAccumulatorValue, double eps, bool maximize) =>
        new([]) { Lr = lr, LrDecay = lrDecay, WeightDecay = weightDecay, InitialAccumulatorValue = initialAccumulatorValue, Eps = eps, Maximize = maximize };

    /// <inheritdoc/>
    protected override void ValidateOptions(ParamGroup g, string where)
    {
        base.ValidateOptions(g, where);
        if (g.HasLrDecay && !(g.LrDecay >= 0 && double.IsFinite(g.LrDecay))) throw Invalid("lr_decay value", g.LrDecay, where, "must be finite and >= 0", "lrDecay");
        if (g.HasInitialAccumulatorValue && !(g.InitialAccumulatorValue >= 0 && double.IsFinite(g.InitialAccumulatorValue)))
            throw Invalid("initial_accumulator_value value", g.InitialAccumulatorValue, where, "must be finite and >= 0", "initialAccumulatorValue");
    }

    private static readonly string[] s_stateNames = ["sum"];

    /// <inheritdoc/>
    private protected override IReadOnlyCollection<string> StateNames => s_stateNames;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor target, Tensor grad, ParamState state)
    {
        // grad may be the parameter's .Grad itself: it is read, never written.
        if (state.Sum is null)
        {
            state.Sum = ZerosLike(target);
            if (group.InitialAccumulatorValue != 0) state.Sum.Fill_(group.InitialAccumulatorValue);
        }
        if (group.Maximize) grad = grad.Neg();
        if (group.WeightDecay != 0) grad = grad.Add(target.Mul(group.WeightDecay));
        double clr = group.Lr / (1 + (state.Step - 1) * group.LrDecay);
        state.Sum.Add_(grad.Square());
        var std = state.Sum.Sqrt();
        std.Add_(group.Eps);
        target.Add_(grad.Div(std), -clr);
    }
}
