namespace Trace.Optim;

/// <summary>
/// A list of parameters optimized with their own options (PyTorch's param group dict). Options left
/// unset take the optimizer's defaults when the group is added to an optimizer; after that every option
/// the optimizer uses is set and can be changed between steps (an LR scheduler changes <see cref="Lr"/>).
/// Once the group belongs to an optimizer, every change is validated by it as at construction (a refused
/// value throws <see cref="ArgumentException"/> and is not kept).
/// </summary>
/// <example>
/// <code>
/// var opt = new SGD([new ParamGroup(body.Parameters()), new ParamGroup(head.Parameters()) { Lr = 1e-2 }],
///                   lr: 1e-3, momentum: 0.9);
/// </code>
/// </example>
public sealed partial class ParamGroup
{
    private readonly List<Tensor> _params;
    private double? _lr, _momentum, _dampening, _weightDecay, _eps, _alpha, _lrDecay, _initialAccumulatorValue;
    private bool? _nesterov, _maximize, _amsgrad, _centered;
    private (double, double)? _betas;
    private readonly List<Optimizer> _owners = [];

    /// <summary>A group of <paramref name="parameters"/> (the sequence is copied); its options are unset.</summary>
    public ParamGroup(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _params = [.. parameters];
    }

    /// <summary>The group's parameters.</summary>
    public IReadOnlyList<Tensor> Params => _params;

    /// <summary>Learning rate.</summary>
    public double Lr { get => Get(_lr, "Lr"); set => Set(ref _lr, value); }

    /// <summary>Momentum factor (SGD).</summary>
    public double Momentum { get => Get(_momentum, "Momentum"); set => Set(ref _momentum, value); }

    /// <summary>Dampening for momentum (SGD).</summary>
    public double Dampening { get => Get(_dampening, "Dampening"); set => Set(ref _dampening, value); }

    /// <summary>Weight decay: an L2 penalty added to the gradient (SGD, Adam), or decoupled decay (AdamW).</summary>
    public double WeightDecay { get => Get(_weightDecay, "WeightDecay"); set => Set(ref _weightDecay, value); }

    /// <summary>Nesterov momentum (SGD).</summary>
    public bool Nesterov { get => Get(_nesterov, "Nesterov"); set => Set(ref _nesterov, value); }

    /// <summary>Maximize the objective instead of minimizing it.</summary>
    public bool Maximize { get => Get(_maximize, "Maximize"); set => Set(ref _maximize, value); }

    /// <summary>Coefficients of the running averages of the gradient and its square (Adam, AdamW).</summary>
    public (double Beta1, double Beta2) Betas { get => Get(_betas, "Betas"); set => Set(ref _betas, value); }

    /// <summary>Term added to the denominator for numerical stability (Adam, AdamW).</summary>
    public double Eps { get => Get(_eps, "Eps"); set => Set(ref _eps, value); }

    /// <summary>Use the AMSGrad variant (Adam, AdamW).</summary>
    public bool Amsgrad { get => Get(_amsgrad, "Amsgrad"); set => Set(ref _amsgrad, value); }

    /// <summary>Smoothing constant of the running average of the squared gradient (RMSprop).</summary>
    public double Alpha { get => Get(_alpha, "Alpha"); set => Set(ref _alpha, value); }

    /// <summary>Centered RMSprop: normalize by an estimate of the gradient's variance (RMSprop).</summary>
    public bool Centered { get => Get(_centered, "Centered"); set => Set(ref _centered, value); }

    /// <summary>Learning rate decay: step t uses lr / (1 + (t − 1)·lr_decay) (Adagrad).</summary>
    public double LrDecay { get => Get(_lrDecay, "LrDecay"); set => Set(ref _lrDecay, value); }

    /// <summary>Starting value of the sum of squared gradients (Adagrad).</summary>
    public double InitialAccumulatorValue { get => Get(_initialAccumulatorValue, "InitialAccumulatorValue"); set => Set(ref _initialAccumulatorValue, value); }

    /// <summary>
    /// The lr the first LR scheduler created on this group's optimizer found here (PyTorch's <c>initial_lr</c>): later
    /// schedulers on the same optimizer take it as their base lr, so that one created after another has scaled the lr
    /// (a warm-up in a <see cref="SequentialLR"/>) still starts from the original value. Null until a scheduler is created.
    /// </summary>
    public double? InitialLr { get; internal set; }

    internal bool HasLr => _lr.HasValue;
    internal bool HasMomentum => _momentum.HasValue;
    internal bool HasDampening => _dampening.HasValue;
    internal bool HasWeightDecay => _weightDecay.HasValue;
    internal bool HasNesterov => _nesterov.HasValue;
    internal bool HasBetas => _betas.HasValue;
    internal bool HasEps => _eps.HasValue;
    internal bool HasAlpha => _alpha.HasValue;
    internal bool HasLrDecay => _lrDecay.HasValue;
    internal bool HasInitialAccumulatorValue => _initialAccumulatorValue.HasValue;

    /// <summary>Sets every option that is unset here but set in <paramref name="defaults"/>.</summary>
    internal void FillFrom(ParamGroup defaults)
    {
        _lr ??= defaults._lr;
        _momentum ??= defaults._momentum;
        _dampening ??= defaults._dampening;
        _weightDecay ??= defaults._weightDecay;
        _nesterov ??= defaults._nesterov;
        _maximize ??= defaults._maximize;
        _betas ??= defaults._betas;
        _eps ??= defaults._eps;
        _amsgrad ??= defaults._amsgrad;
        _alpha ??= defaults._alpha;
        _centered ??= defaults._centered;
        _lrDecay ??= defaults._lrDecay;
        _initialAccumulatorValue ??= defaults._initialAccumulatorValue;
    }

    /// <summary>The optimizers this group was added to; they validate every change.</summary>
    internal void AddOwner(Optimizer optimizer)
    {
        lock (_owners) _owners.Add(optimizer);
    }

    /// <summary>Sets an option, then lets each owning optimizer validate the group; a refused value is undone.</summary>
    private void Set<T>(ref T? field, T value) where T : struct
    {
        var old = field;
        field = value;
        Optimizer[] owners;
        lock (_owners) owners = [.. _owners];
        try
        {
            foreach (var o in owners) o.ValidateGroup(this);
        }
        catch
        {
            field = old;
            throw;
        }
    }

    private static T Get<T>(T? value, string name) where T : struct => value ?? throw new InvalidOperationException(
        $"ParamGroup.{name} is not set: an unset option takes the optimizer's default when the group is added to an optimizer that uses it.");
}
