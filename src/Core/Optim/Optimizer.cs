namespace Trace.Optim;

/// <summary>
/// Base class of the optimizers (PyTorch's <c>torch.optim.Optimizer</c>): parameter groups with their
/// options, per-parameter state, and <see cref="ZeroGrad"/>. A subclass passes its defaults to the base
/// constructor and implements <see cref="Step"/>, which updates the parameters in place and skips those whose gradient is null.
/// </summary>
public abstract partial class Optimizer
{
    private readonly List<ParamGroup> _groups = [];
    private readonly Dictionary<Tensor, int> _groupOf = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, ParamState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly ParamGroup _defaults;

    /// <summary>
    /// Creates an optimizer over <paramref name="groups"/>: unset group options take
    /// <paramref name="defaults"/>, then the defaults, the groups and their parameters are validated.
    /// </summary>
    /// <param name="name">The optimizer's name, used in error messages, e.g. <c>SGD</c>.</param>
    /// <param name="groups">The parameter groups (at least one).</param>
    /// <param name="defaults">A group without parameters holding the optimizer's default for every option it uses.</param>
    /// <exception cref="ArgumentException">There are no groups, or an option or a parameter is invalid.</exception>
    protected Optimizer(string name, IEnumerable<ParamGroup> groups, ParamGroup defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(defaults);
        Name = name;
        _defaults = defaults;
        ValidateOptions(defaults, "");
        var list = groups.ToList();
        if (list.Count == 0) throw new ArgumentException($"{Name}: optimizer got an empty parameter list.", nameof(groups));
        foreach (var g in list) AddParamGroup(g);
    }

    /// <summary>Creates an optimizer over one group of <paramref name="parameters"/> using the default options.</summary>
    /// <param name="name">The optimizer's name, used in error messages, e.g. <c>SGD</c>.</param>
    /// <param name="parameters">The parameters to optimize (at least one).</param>
    /// <param name="defaults">A group without parameters holding the optimizer's default for every option it uses.</param>
    /// <exception cref="ArgumentException">There are no parameters, or an option or a parameter is invalid.</exception>
    protected Optimizer(string name, IEnumerable<Tensor> parameters, ParamGroup defaults)
        : this(name, [new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))], defaults)
    {
        if (_groups[0].Params.Count == 0) throw new ArgumentException($"{Name}: optimizer got an empty parameter list.", nameof(parameters));
    }

    /// <summary>The optimizer's name, e.g. <c>SGD</c> or <c>Adam</c>.</summary>
    public string Name { get; }

    /// <summary>The parameter groups, in the order they were given.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>Per-parameter state, keyed by the parameter tensor (by reference); a parameter appears after its first step.</summary>
    public IReadOnlyDictionary<Tensor, ParamState> State => _state;

    /// <summary>
    /// Updates every parameter that has a gradient, in place (under NoGrad): each parameter's gradient is
    /// made contiguous and of its dtype, its step count advances, and the rule is applied. The elementwise rules
    /// (SGD, Adam, AdamW) run as one multi-tensor step per param group and device: on the CPU one loop over all of
    /// the group's parameters, split across cores; on CUDA one launch per chunk of up to 16 parameters of one dtype.
    /// Other rules run <see cref="Update"/> per parameter. Parameters whose <see cref="Tensor.Grad"/> is null are skipped.
    /// </summary>
    public void Step()
    {
        using var _ = Autograd.NoGrad();
        foreach (var group in _groups)
        {
            var targets = new List<(Tensor Param, Tensor Target)>();
            var updates = new List<FusedUpdate>();
            foreach (var p in group.Params)
            {
                if (p.Grad is null) continue;
                var grad = GradientOf(p);
                var state = StateOf(p);
                state.Step++;
                var target = UpdateTarget(p);
                targets.Add((p, target));
                if (PrepareUpdate(group, target, grad, state) is { } update) updates.Add(update);
                else Update(group, target, grad, state);
            }
            RunUpdates(updates);
            foreach (var (p, target) in targets) Commit(p, target);
        }
    }

    /// <summary>Runs a group's prepared updates as one multi-tensor step on each device they are on (usually one).</summary>
    private void RunUpdates(List<FusedUpdate> updates)
    {
        if (updates.Count == 0) return;
        var device = updates[0].Param.Device;
        bool oneDevice = true;
        foreach (var u in updates) oneDevice &= u.Param.Device == device;
        if (oneDevice)
        {
            UpdateKernels(updates[0].Param).RunStep(updates);
            return;
        }
        foreach (var onDevice in updates.GroupBy(u => u.Param.Device)) UpdateKernels(onDevice.First().Param).RunStep([.. onDevice]);
    }

    /// <summary>
    /// Applies the optimizer's rule to one parameter (override it to write a new optimizer; Tensor in-place
    /// ops work on <paramref name="target"/>): <paramref name="target"/> holds its contiguous values
    /// (updated in place), <paramref name="grad"/> its contiguous gradient, <paramref name="state"/> its state
    /// (step already advanced).
    /// </summary>
    protected abstract void Update(ParamGroup group, Tensor target, Tensor grad, ParamState state);

    /// <summary>
    /// For Trace's elementwise rules: prepares one parameter's update (state buffers, the step's scalars at its own step
    /// count) for the device's multi-tensor step, so that <see cref="Step"/> updates all of a group's parameters at once.
    /// Null (the default) means <see cref="Update"/> handles the whole parameter.
    /// </summary>
    private protected virtual FusedUpdate? PrepareUpdate(ParamGroup group, Tensor target, Tensor grad, ParamState state) => null;

    /// <summary>
    /// Clears the gradients of all parameters. With <paramref name="setToNone"/> (the default, as in
    /// PyTorch 2.x) <see cref="Tensor.Grad"/> becomes null, which saves memory and lets <see cref="Step"/>
    /// skip the parameter; otherwise the gradient is detached from any graph and filled with zeros.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        using var _ = Autograd.NoGrad();
        foreach (var group in _groups)
            foreach (var p in group.Params)
            {
                var g = p.Grad;
                if (g is null) continue;
                if (setToNone)
                {
                    p.Grad = null;
                    continue;
                }
                if (g.GradFn is not null) g = g.Detach();
                else if (g.RequiresGrad) g.RequiresGrad = false;
                g.Zero_();
                p.Grad = g;
            }
    }

    /// <summary>
    /// Adds a parameter group (like <c>add_param_group</c>): unset options take the optimizer's defaults,
    /// then the options and the parameters are validated.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range, or a parameter is not a floating point leaf
    /// that requires grad, or a parameter is already optimized by this optimizer.</exception>
    public void AddParamGroup(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        int index = _groups.Count;
        group.FillFrom(_defaults);
        ValidateOptions(group, $" in param group {index}");
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < group.Params.Count; i++)
        {
            var p = group.Params[i];
            string what = $"parameter {i} of param group {index}";
            if (p is null) throw new ArgumentException($"{Name}: {what} is null.", nameof(group));
            string shape = Shapes.Format(p.Shape);
            if (!p.IsFloatingPoint)
                throw new ArgumentException($"{Name}: {what} (shape {shape}) has dtype {p.DType.TorchName()}; only floating point tensors (torch.float32, torch.float64) can be optimized.", nameof(group));
            if (!p.IsLeaf)
                throw new ArgumentException($"{Name}: can't optimize a non-leaf tensor: {what} (shape {shape}) was produced by {p.GradFn!.Name}; optimize the leaf tensors it was computed from.", nameof(group));
            if (!p.RequiresGrad)
                throw new ArgumentException($"{Name}: {what} (shape {shape}) does not require grad; set RequiresGrad = true on it or leave it out of the optimizer.", nameof(group));
            if (_groupOf.TryGetValue(p, out int other))
                throw new ArgumentException($"{Name}: some parameters appear in more than one parameter group: {what} (shape {shape}) is also in param group {other}.", nameof(group));
            if (!seen.Add(p))
                throw new ArgumentException($"{Name}: {what} (shape {shape}) appears more than once in param group {index}; a parameter may be listed only once.", nameof(group));
        }
        foreach (var p in group.Params) _groupOf[p] = index;
        _groups.Add(group);
        group.AddOwner(this);
    }

    /// <summary>True when the optimizer has a momentum option (SGD, RMSprop): OneCycleLR cycles it.</summary>
    internal bool HasMomentumOption => _defaults.HasMomentum;

    /// <summary>True when the optimizer has betas (Adam, AdamW): OneCycleLR cycles beta1.</summary>
    internal bool HasBetasOption => _defaults.HasBetas;

    /// <summary>Validates the options of one of this optimizer's groups after a change (called by its setters).</summary>
    internal void ValidateGroup(ParamGroup group) => ValidateOptions(group, $" in param group {_groups.IndexOf(group)}");

    /// <summary>
    /// Checks the options a group sets, PyTorch's way; <paramref name="where"/> locates the group in the message.
    /// Called from the base constructor: an override may read only the group and <see cref="Name"/>.
    /// </summary>
    /// <param name="g">The group (or the defaults) to check.</param>
    /// <param name="where">Text locating the group, e.g. " in param group 1" (empty for the defaults).</param>
    /// <remarks>
    /// PyTorch's ranges, except that non-finite values are refused too (PyTorch accepts an infinite lr, momentum,
    /// weight decay or eps, and a NaN dampening, which turn the parameters into inf or NaN on the first step).
    /// </remarks>
    protected virtual void ValidateOptions(ParamGroup g, string where)
    {
        if (g.HasLr && !(g.Lr >= 0 && double.IsFinite(g.Lr))) throw Invalid("learning rate", g.Lr, where, "must be finite and >= 0", "lr");
        if (g.HasMomentum && !(g.Momentum >= 0 && double.IsFinite(g.Momentum))) throw Invalid("momentum value", g.Momentum, where, "must be finite and >= 0", "momentum");
        if (g.HasDampening && !double.IsFinite(g.Dampening)) throw Invalid("dampening value", g.Dampening, where, "must be finite", "dampening");
        if (g.HasWeightDecay && !(g.WeightDecay >= 0 && double.IsFinite(g.WeightDecay))) throw Invalid("weight_decay value", g.WeightDecay, where, "must be finite and >= 0", "weightDecay");
        if (g.HasEps && !(g.Eps >= 0 && double.IsFinite(g.Eps))) throw Invalid("epsilon value", g.Eps, where, "must be finite and >= 0", "eps");
        if (g.HasBetas)
        {
            var (b1, b2) = g.Betas;
            if (!(b1 >= 0 && b1 < 1)) throw Invalid("beta parameter at index 0", b1, where, "must be in [0, 1)", "betas");
            if (!(b2 >= 0 && b2 < 1)) throw Invalid("beta parameter at index 1", b2, where, "must be in [0, 1)", "betas");
        }
    }

    /// <summary>An ArgumentException naming this optimizer, the option and its value, worded as PyTorch's (<c>Invalid learning rate: nan</c>).</summary>
    protected ArgumentException Invalid(string option, double value, string where, string rule, string paramName) =>
        new($"{Name}: Invalid {option}: {PyFloat.Repr(value)}{where} ({rule}).", paramName);

    /// <summary>The state of <paramref name="p"/>, created empty on first use.</summary>
    protected ParamState StateOf(Tensor p)
    {
        if (!_state.TryGetValue(p, out var s)) _state[p] = s = new ParamState();
        return s;
    }

    /// <summary>The gradient of <paramref name="p"/> as a contiguous tensor of the parameter's dtype (call under NoGrad).</summary>
    protected Tensor GradientOf(Tensor p)
    {
        var g = p.Grad!;
        if (!g._shape.AsSpan().SequenceEqual(p._shape))
            throw new InvalidOperationException($"{Name}: the gradient of shape {Shapes.Format(g.Shape)} does not match its parameter of shape {Shapes.Format(p.Shape)}.");
        if (g.Device != p.Device)
            throw new InvalidOperationException($"{Name}: the gradient on {g.Device} is not on its parameter's device {p.Device}.");
        if (g.DType != p.DType) g = g.To(p.DType);
        return g.Contiguous();
    }

    /// <summary>
    /// A zero-filled contiguous buffer shaped like <paramref name="p"/>, for optimizer state. State lives as long as the
    /// optimizer, so it is left out of any <see cref="DisposeScope"/> open at the first step (a training loop that wraps
    /// each step in a scope keeps its moments).
    /// </summary>
    protected static Tensor ZerosLike(Tensor p)
    {
        var z = Tensor.Zeros([.. p.Shape], p.DType, p.Device);
        DisposeScope.Untrack(z.Storage);
        return z;
    }

    /// <summary>The contiguous tensor a kernel updates: the parameter itself, or a copy of a strided one (call under NoGrad).</summary>
    private protected static Tensor UpdateTarget(Tensor p) => p.IsContiguous ? p : p.Clone();

    /// <summary>Finishes an in-place update of <paramref name="p"/>: copies back a strided parameter's target and bumps the version.</summary>
    private protected static void Commit(Tensor p, Tensor target)
    {
        if (ReferenceEquals(p, target)) p.BumpVersion();
        else p.Copy_(target);
    }

    /// <summary>The fused update kernels of <paramref name="target"/>'s device, for this optimizer's elementwise rules.</summary>
    private protected IOptimizerKernels UpdateKernels(Tensor target) => DeviceKernels.For(target.Device, Name).Optimizer;
}
