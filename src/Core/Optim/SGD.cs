using Trace.Kernels;

namespace Trace.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay,
/// with <c>torch.optim.SGD</c>'s exact update. For each parameter p with gradient g:
/// <code>
/// g = maximize ? -g : g;  g += weight_decay·p
/// if momentum != 0:  buf = first step ? g : momentum·buf + (1 − dampening)·g
///                    g = nesterov ? g + momentum·buf : buf
/// p −= lr·g
/// </code>
/// The update is one fused pass per element (<see cref="OptimKernels.SgdStep(Span{float}, ReadOnlySpan{float}, Span{float}, in SgdStepArgs{float})"/>),
/// run over all of a param group's parameters at once (on CUDA one launch per chunk of up to 16 parameters).
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>SGD over one group of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="momentum">Momentum factor (0: plain SGD).</param>
    /// <param name="dampening">Dampening for momentum (not applied on the first step).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Nesterov momentum (needs momentum &gt; 0 and zero dampening).</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base("SGD", parameters, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)) { }

    /// <summary>SGD over parameter groups; options a group does not set take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="momentum">Default momentum factor (0: plain SGD).</param>
    /// <param name="dampening">Default dampening for momentum.</param>
    /// <param name="weightDecay">Default L2 penalty added to the gradient.</param>
    /// <param name="nesterov">Default for Nesterov momentum.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public SGD(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base("SGD", groups, Defaults(lr, momentum, dampening, weightDecay, nesterov, maximize)) { }

    private static ParamGroup Defaults(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize) =>
        new([]) { Lr = lr, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov, Maximize = maximize };

    /// <inheritdoc/>
    protected override void ValidateOptions(ParamGroup g, string where)
    {
        base.ValidateOptions(g, where);
        if (g.HasNesterov && g.Nesterov && (!(g.Momentum > 0) || g.Dampening != 0))
            throw new ArgumentException(
                $"{Name}: Nesterov momentum requires a momentum and zero dampening{where} (got momentum={g.Momentum}, dampening={g.Dampening}).", "nesterov");
    }

    private static readonly string[] s_stateNames = ["momentum_buffer"];

    /// <inheritdoc/>
    private protected override IReadOnlyCollection<string> StateNames => s_stateNames;

    /// <inheritdoc/>
    protected override void Update(ParamGroup group, Tensor target, Tensor grad, ParamState state) =>
        UpdateKernels(target).RunStep([PrepareUpdate(group, target, grad, state)]);

    /// <inheritdoc/>
    private protected override FusedUpdate PrepareUpdate(ParamGroup group, Tensor target, Tensor grad, ParamState state)
    {
        bool first = false;
        if (group.Momentum != 0 && state.MomentumBuffer is null)
        {
            state.MomentumBuffer = ZerosLike(target);
            first = true;
        }
        var buf = group.Momentum != 0 ? state.MomentumBuffer : null;
        return target.DType == DType.Float32
            ? new SgdUpdate<float>(target, grad, buf, Args<float>(group, first))
            : new SgdUpdate<double>(target, grad, buf, Args<double>(group, first));
    }

    /// <summary>The step's scalars, computed in double and rounded once to the element type.</summary>
    private static SgdStepArgs<T> Args<T>(ParamGroup g, bool first) where T : unmanaged, System.Numerics.INumberBase<T> =>
        new(T.CreateTruncating(g.Lr), T.CreateTruncating(g.WeightDecay), T.CreateTruncating(g.Momentum),
            T.CreateTruncating(1 - g.Dampening), g.Nesterov, g.Maximize, first);
}
