namespace Trace.Optim;

/// <summary>
/// Base class of learning-rate schedulers (PyTorch's <c>torch.optim.lr_scheduler.LRScheduler</c>). It
/// records each param group's lr at construction as its base lr (epoch 0, the groups keep their lr);
/// every <see cref="Step"/> advances the epoch and sets each group's lr to the schedule's closed-form
/// value for that epoch. Call <c>scheduler.Step()</c> after <c>optimizer.Step()</c>, once per epoch.
/// </summary>
public abstract class LRScheduler
{
    private double[] _lastLr;

    /// <summary>Schedules the learning rates of <paramref name="optimizer"/>'s param groups.</summary>
    /// <param name="optimizer">The optimizer whose groups' <see cref="ParamGroup.Lr"/> this scheduler sets.</param>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLrs = [.. optimizer.ParamGroups.Select(g => g.Lr)];
        _lastLr = [.. BaseLrs];
    }

    /// <summary>The optimizer being scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's lr when the scheduler was created.</summary>
    public IReadOnlyList<double> BaseLrs { get; }

    /// <summary>The number of <see cref="Step"/> calls so far (PyTorch's <c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The lr of each group as last set by this scheduler (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    /// <summary>
    /// Advances one epoch and sets every group's lr to the schedule's value. All groups change or none: when the
    /// optimizer refuses a value (NaN, infinite or negative), the groups keep their lr and the epoch does not advance.
    /// </summary>
    /// <exception cref="InvalidOperationException">Param groups were added to the optimizer after the scheduler was
    /// created, or the schedule gives a learning rate the optimizer refuses.</exception>
    public void Step()
    {
        var groups = Optimizer.ParamGroups;
        if (groups.Count != BaseLrs.Count)
            throw new InvalidOperationException(
                $"{GetType().Name}: the optimizer has {groups.Count} param groups but the scheduler was created with {BaseLrs.Count}; create the scheduler after adding all groups.");
        int epoch = LastEpoch + 1;
        var lrs = new double[groups.Count];
        for (int i = 0; i < lrs.Length; i++) lrs[i] = LrAt(BaseLrs[i], epoch);
        var old = groups.Select(g => g.Lr).ToArray();
        for (int i = 0; i < lrs.Length; i++)
        {
            try
            {
                groups[i].Lr = lrs[i];
            }
            catch (ArgumentException e)
            {
                for (int j = 0; j < i; j++) groups[j].Lr = old[j];
                throw new InvalidOperationException($"{GetType().Name}: epoch {epoch} gives param group {i} a learning rate the optimizer refuses; no lr was changed. {e.Message}", e);
            }
        }
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

    /// <summary>The closed-form lr at <paramref name="epoch"/> (&gt;= 1) of a group whose base lr is <paramref name="baseLr"/>.</summary>
    /// <param name="baseLr">The group's lr when the scheduler was created.</param>
    /// <param name="epoch">The epoch being entered.</param>
    protected abstract double LrAt(double baseLr, int epoch);
}
