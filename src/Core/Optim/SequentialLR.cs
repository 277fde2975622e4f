using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// Runs schedulers one after another, switching at milestone epochs (PyTorch's <c>SequentialLR</c>); the common use is a
/// warm-up followed by a decay.
/// </summary>
/// <remarks>
/// As in PyTorch: construction puts every group's lr back to its <see cref="ParamGroup.InitialLr"/> and applies the
/// first scheduler's epoch 0 (undoing what the other schedulers' constructors did); at epoch e the scheduler in use is
/// the one after the last milestone ≤ e, entered at its own epoch 0 on the milestone (PyTorch's <c>_update_lr(0)</c>,
/// the closed form) and counted from there, <c>e − milestone</c>. Each scheduler's base lrs are the groups'
/// initial lrs, so a decay created after a warm-up has scaled the lr still starts from the original value. The
/// schedulers must not be stepped on their own while this drives them.
/// </remarks>
/// <example>
/// <code>
/// var warmup = new LinearLR(opt, startFactor: 0.01, totalIters: 5);
/// var decay = new CosineAnnealingLR(opt, tMax: 95);
/// var sched = new SequentialLR(opt, [warmup, decay], milestones: [5]);
/// </code>
/// </example>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>Runs <paramref name="schedulers"/>[i] from <paramref name="milestones"/>[i − 1] on.</summary>
    /// <param name="optimizer">The optimizer every scheduler schedules.</param>
    /// <param name="schedulers">The schedulers, in order (at least one).</param>
    /// <param name="milestones">The epochs at which the next scheduler takes over: one fewer than the schedulers, increasing, &gt;= 1.</param>
    /// <exception cref="ArgumentException">No schedulers, a scheduler of another optimizer, or milestones of the wrong count or order.</exception>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count < 1) throw new ArgumentException("SequentialLR: expects at least one scheduler, but got no scheduler.", nameof(schedulers));
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null) throw new ArgumentException($"SequentialLR: scheduler {i} is null.", nameof(schedulers));
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException(
                    $"SequentialLR: expects all schedulers to belong to the same optimizer, but got scheduler {schedulers[i].GetType().Name} at index {i} of another optimizer ({schedulers[i].Optimizer.Name}).", nameof(schedulers));
        }
        if (milestones.Count != schedulers.Count - 1)
            throw new ArgumentException(
                $"SequentialLR: expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {schedulers.Count} and the number of milestones to be equal to {milestones.Count}.", nameof(milestones));
        for (int i = 0; i < milestones.Count; i++)
            if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
                throw new ArgumentException($"SequentialLR: milestones must be increasing epochs >= 1, got [{string.Join(", ", milestones)}].", nameof(milestones));
        _schedulers = [.. schedulers];
        _milestones = [.. milestones];
        foreach (var g in optimizer.ParamGroups) g.Lr = g.InitialLr!.Value;
        InitialStep();
    }

    /// <summary>The schedulers, in order.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>The epochs at which the next scheduler takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, JsonNode Value)> Hyperparameters() => [("_milestones", StateJson.Ints(_milestones))];

    /// <inheritdoc/>
    private protected override IEnumerable<string> ExtraKeys => ["_schedulers"];

    /// <inheritdoc/>
    private protected override void WriteExtra(JsonObject state) => state["_schedulers"] = new JsonArray([.. _schedulers.Select(s => s.StateDict())]);

    /// <inheritdoc/>
    private protected override Action PrepareExtra(JsonObject state)
    {
        if (state["_schedulers"] is not JsonArray saved)
            throw new ArgumentException($"'_schedulers' should be an array of the schedulers' state dicts, got {StateJson.Text(state["_schedulers"])}.");
        if (saved.Count != _schedulers.Length)
            throw new ArgumentException($"the state dict has {saved.Count} schedulers, this SequentialLR has {_schedulers.Length}.");
        var loads = new Action[saved.Count];
        for (int i = 0; i < loads.Length; i++)
        {
            if (saved[i] is not JsonObject s) throw new ArgumentException($"scheduler {i} of the state dict should be a state dict (a JSON object), got {StateJson.Text(saved[i])}.");
            try
            {
                loads[i] = _schedulers[i].Prepare(s);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"scheduler {i}: {e.Message}", e);
            }
        }
        return () => { foreach (var load in loads) load(); };
    }

    /// <summary>The scheduler in use at <paramref name="epoch"/> and its own epoch there (PyTorch's <c>bisect_right</c>).</summary>
    private (LRScheduler Scheduler, int Epoch) At(int epoch)
    {
        int idx = 0;
        while (idx < _milestones.Length && _milestones[idx] <= epoch) idx++;
        return (_schedulers[idx], idx == 0 ? epoch : epoch - _milestones[idx - 1]);
    }

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch)
    {
        var (s, e) = At(epoch);
        return s.LrOf(group, e);
    }

    /// <inheritdoc/>
    protected override void OnApplied(int epoch)
    {
        var (s, e) = At(epoch);
        s.AppliedOf(e);
        s.Record(e, [.. Optimizer.ParamGroups.Select(g => g.Lr)]);
    }
}
