namespace Trace.Optim;

/// <summary>
/// Base class of learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler.LRScheduler</c>). Its base lrs are
/// each param group's <see cref="ParamGroup.InitialLr"/> (PyTorch's <c>initial_lr</c>), which the first scheduler created
/// on the optimizer sets to the group's lr. Epoch 0 is the scheduler's construction: a schedule whose epoch-0 value
/// differs from the base lr (a warm-up such as <see cref="LinearLR"/>) applies it by calling <see cref="InitialStep"/>
/// at the end of its constructor, as PyTorch's constructor does; the others leave the groups' lr as it is. Every
/// <see cref="Step"/> advances the epoch and sets each group's lr to the schedule's value for that epoch.
/// Call <c>scheduler.Step()</c> after <c>optimizer.Step()</c>, once per epoch (or per batch, for <see cref="OneCycleLR"/>).
/// </summary>
/// <remarks>
/// Trace's schedulers are computed in closed form from the base lr and the epoch (PyTorch's <c>_get_closed_form_lr</c>,
/// or <c>get_lr</c> where that is already closed form), never chained from the group's current lr. The two agree to
/// rounding while nothing else changes the lr; a change made to a group's lr between steps is overwritten by the next
/// step here, where PyTorch's chainable form would carry it on.
/// </remarks>
public abstract partial class LRScheduler : IStateful
{
    private double[] _lastLr;

    /// <summary>Schedules the learning rates of <paramref name="optimizer"/>'s param groups.</summary>
    /// <param name="optimizer">The optimizer whose groups' <see cref="ParamGroup.Lr"/> this scheduler sets.</param>
    protected LRScheduler(Optimizer optimizer) : this(optimizer, null) { }

    /// <summary>Schedules the learning rates of <paramref name="optimizer"/>'s param groups, setting their initial lrs.</summary>
    /// <param name="optimizer">The optimizer whose groups' <see cref="ParamGroup.Lr"/> this scheduler sets.</param>
    /// <param name="initialLrs">Each group's new <see cref="ParamGroup.InitialLr"/> (<see cref="OneCycleLR"/> writes
    /// max_lr / div_factor there, as PyTorch's does), or null to keep a group's and give the others their current lr.</param>
    protected LRScheduler(Optimizer optimizer, IReadOnlyList<double>? initialLrs)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        var groups = optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++) groups[i].InitialLr = initialLrs is null ? groups[i].InitialLr ?? groups[i].Lr : initialLrs[i];
        BaseLrs = [.. groups.Select(g => g.InitialLr!.Value)];
        _lastLr = [.. groups.Select(g => g.Lr)];
    }

    /// <summary>The optimizer being scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's base lr: its <see cref="ParamGroup.InitialLr"/> when the scheduler was created (PyTorch's <c>base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; private set; }

    /// <summary>The number of <see cref="Step"/> calls so far (PyTorch's <c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The lr of each group as last set by this scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    /// <summary>
    /// Advances one epoch and sets every group's lr to the schedule's value. All groups change or none: when the
    /// optimizer refuses a value (NaN, infinite or negative), the groups keep their lr and the epoch does not advance.
    /// </summary>
    /// <exception cref="InvalidOperationException">Param groups were added to the optimizer after the scheduler was
    /// created, the schedule gives a learning rate the optimizer refuses, or the schedule has ended (<see cref="OneCycleLR"/>).</exception>
    public void Step() => Apply(LastEpoch + 1);

    /// <summary>
    /// Applies the schedule's epoch-0 values to the groups (PyTorch's <c>_initial_step</c>); a scheduler whose first lr
    /// is not its base lr calls it at the end of its constructor.
    /// </summary>
    /// <exception cref="InvalidOperationException">The optimizer refuses a value.</exception>
    protected void InitialStep() => Apply(0);

    /// <summary>Sets every group's lr (and what <see cref="OnApplied"/> sets) to the values of <paramref name="epoch"/>, all or none.</summary>
    internal void Apply(int epoch)
    {
        var groups = Optimizer.ParamGroups;
        if (groups.Count != BaseLrs.Count)
            throw new InvalidOperationException(
                $"{GetType().Name}: the optimizer has {groups.Count} param groups but the scheduler was created with {BaseLrs.Count}; create the scheduler after adding all groups.");
        var lrs = new double[groups.Count];
        for (int i = 0; i < lrs.Length; i++) lrs[i] = GroupLrAt(i, epoch);
        var old = groups.Select(g => g.Lr).ToArray();
        int set = 0;
        try
        {
            for (; set < lrs.Length; set++) groups[set].Lr = lrs[set];
            OnApplied(epoch);
        }
        catch (ArgumentException e)
        {
            for (int j = 0; j < set; j++) groups[j].Lr = old[j];
            string what = set < lrs.Length ? $"param group {set} a learning rate" : "a value";
            throw new InvalidOperationException($"{GetType().Name}: epoch {epoch} gives {what} the optimizer refuses; no lr was changed. {e.Message}", e);
        }
        LastEpoch = epoch;
        _lastLr = lrs;
    }

    /// <summary>The lr of group <paramref name="group"/> at <paramref name="epoch"/>, for a scheduler that delegates (<see cref="SequentialLR"/>).</summary>
    internal double LrOf(int group, int epoch) => GroupLrAt(group, epoch);

    /// <summary>Runs <see cref="OnApplied"/>, for a scheduler that delegates.</summary>
    internal void AppliedOf(int epoch) => OnApplied(epoch);

    /// <summary>Records that <paramref name="epoch"/> was applied with <paramref name="lrs"/>, for a scheduler that delegates.</summary>
    internal void Record(int epoch, double[] lrs)
    {
        LastEpoch = epoch;
        _lastLr = lrs;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and &gt;= 0 (for a scheduler's factor or bound).</summary>
    /// <param name="value">The value to check.</param>
    /// <param name="name">The parameter's name, used in the message.</param>
    protected void RequireFiniteNonNegative(double value, string name)
    {
        if (!(value >= 0 && double.IsFinite(value)))
            throw new ArgumentException($"{GetType().Name}: {name} must be finite and >= 0, got {PyFloat.Repr(value)}.", name);
    }

    /// <summary>The closed-form lr of param group <paramref name="group"/> (base lr <c>BaseLrs[group]</c>) at <paramref name="epoch"/>.</summary>
    /// <param name="group">The group's index in <see cref="Optimizer.ParamGroups"/>.</param>
    /// <param name="epoch">The epoch being entered (0 only from <see cref="InitialStep"/>).</param>
    protected abstract double GroupLrAt(int group, int epoch);

    /// <summary>
    /// Called after the lrs of <paramref name="epoch"/> are set, to set other options (OneCycleLR's momentum). An
    /// <see cref="ArgumentException"/> thrown here (a refused value; undo what was set first) undoes the lrs too.
    /// </summary>
    /// <param name="epoch">The epoch just applied.</param>
    protected virtual void OnApplied(int epoch) { }
}
