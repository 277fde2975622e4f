using System.Numerics;
using Trace.Kernels;

namespace Trace.Optim;

/// <summary>
/// Adam (Kingma and Ba, 2015) with <c>torch.optim.Adam</c>'s exact update, optionally AMSGrad. For each
/// parameter p with gradient g at step t:
/// <code>
/// g = maximize ? -g : g;  g += weight_decay·p            (L2 penalty; AdamW decays p instead)
/// m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²;  amsgrad: vmax = max(vmax, v), used in place of v
/// p −= (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
/// </code>
/// The update is one fused pass per element (<see cref="OptimKernels.AdamStep(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, in AdamStepArgs{float})"/>),
/// run over all of a param group's parameters at once (on CUDA one launch per chunk of up to 16 parameters). t is each
/// parameter's own step count: a parameter skipped on a step (its gradient null) has taken fewer steps than the others.
/// </summary>
public class Adam : Optimizer
{
    /// <summary>Adam over one group of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">Coefficients of the running averages of the gradient and its square; (0.9, 0.999) when null.</param>
    /// <param name="eps">Term added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="amsgrad">Use the AMSGrad variant (the running maximum of v in the denominator).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base("Adam", parameters, Defaults(lr, betas, eps, weightDecay, amsgrad, maximize)) { }

    /// <summary>Adam over parameter groups; options a group does not set take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="betas">Default running-average coefficients; (0.9, 0.999) when null.</param>
    /// <param name="eps">Default term added to the denominator.</param>
    /// <param name="weightDecay">Default L2 penalty added to the gradient.</param>
    /// <param name="amsgrad">Default for the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : base("Adam", groups, Defaults(lr, betas, eps, weightDecay, amsgrad, maximize)) { }

    /// <summary>A variant named <paramref name="name"/> over one group, with L2 or decoupled weight decay.</summary>
    /// <param name="name">The optimizer's name, used in error messages.</param>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="defaults">The default options (lr, betas, eps, weight decay, amsgrad, maximize).</param>
    /// <param name="decoupledWeightDecay">Decay the parameter by 1 − lr·wd instead of adding wd·p to the gradient.</param>
    protected Adam(string name, IEnumerable<Tensor> parameters, ParamGroup defaults, bool decoupledWeightDecay)
        : base(name, parameters, defaults) => DecoupledWeightDecay = decoupledWeightDecay;

    /// <summary>A variant named <paramref name="name"/> over parameter groups, with L2 or decoupled weight decay.</summary>
    /// <param name="name">The optimizer's name, used in error messages.</param>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="defaults">The default options (lr, betas, eps, weight decay, amsgrad, maximize).</param>
    /// <param name="decoupledWeightDecay">Decay the parameter by 1 − lr·wd instead of adding wd·p to the gradient.</param>
    protected Adam(string name, IEnumerable<ParamGroup> groups, ParamGroup defaults, bool decoupledWeightDecay)
        : base(name, groups, defaults) => DecoupledWeightDecay = decoupledWeightDecay;

    /// <summary>True when weight decay scales the parameter by 1 − lr·wd (AdamW) instead of adding wd·p to the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>The default options as a group without parameters; betas default to (0.9, 0.999).</summary>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">Running-average coefficients, or null for (0.9, 0.999).</param>
    /// <param name="eps">Term added to the denominator.</param>
    /// <param name="weightDecay">Weight decay.</param>
    /// <param name="amsgrad">AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective.</param>
    protected static ParamGroup Defaults(double lr, (double Beta1, double Beta2)? betas, double eps, double weightDecay, bool amsgrad, bool maximize) =>
        new([]) { Lr = lr, Betas = betas ?? (0.9, 0.999), Eps = eps, WeightDecay = weightDecay, Amsgrad = amsgrad, Maximize = maximize };

    private static readonly string[] s_stateNames = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    /// <inheritdoc/>
    private protected override IReadOnlyCollection<string> StateNames => s_stateNames;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor target, Tensor grad, ParamState state) =>
        UpdateKernels(target).RunStep([PrepareUpdate(group, target, grad, state)]);

    /// <inheritdoc/>
    private protected override FusedUpdate PrepareUpdate(ParamGroup group, Tensor target, Tensor grad, ParamState state)
    {
        var (m, v) = (state.ExpAvg ??= ZerosLike(target), state.ExpAvgSq ??= ZerosLike(target));
        var vmax = group.Amsgrad ? state.MaxExpAvgSq ??= ZerosLike(target) : null;
        return target.DType == DType.Float32
            ? new AdamUpdate<float>(target, grad, m, v, vmax, Args<float>(group, state.Step))
            : new AdamUpdate<double>(target, grad, m, v, vmax, Args<double>(group, state.Step));
    }

    /// <summary>
    /// The step's scalars, computed in double and rounded once to the element type. The kernel divides once:
    /// (lr/bc1)·m / (sqrt(v)/sqrt(bc2) + eps) = (lr·sqrt(bc2)/bc1)·m / (sqrt(v) + eps·sqrt(bc2)).
    /// </summary>
    private AdamStepArgs<T> Args<T>(ParamGroup g, long step) where T : unmanaged, INumberBase<T>
    {
        var (b1, b2) = g.Betas;
        double lr = g.Lr, wd = g.WeightDecay;
        double bc1 = 1 - Math.Pow(b1, step), bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, step));
        return new(T.CreateTruncating(lr * bc2Sqrt / bc1), T.CreateTruncating(b1), T.CreateTruncating(1 - b1),
            T.CreateTruncating(b2), T.CreateTruncating(1 - b2), T.CreateTruncating(g.Eps * bc2Sqrt),
            DecoupledWeightDecay ? T.Zero : T.CreateTruncating(wd),
            DecoupledWeightDecay ? T.CreateTruncating(1 - lr * wd) : T.One, g.Maximize);
    }
}
