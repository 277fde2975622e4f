namespace Trace.Optim;

/// <summary>
/// Reduces each group's lr by <c>factor</c> when a metric has stopped improving for more than <c>patience</c> epochs
/// (PyTorch's <c>ReduceLROnPlateau</c>). Call <see cref="Step"/> with the metric (e.g. the validation loss) once per epoch.
/// </summary>
/// <remarks>
/// <para>
/// Unlike the epoch-based <see cref="LRScheduler"/>s, its lr is not a function of the epoch: it depends on the metrics
/// seen and is chained from the group's current lr, and its step takes the metric. PyTorch ≥ 2.2 lists it as an
/// <c>LRScheduler</c> subclass but overrides the constructor and <c>step(metrics)</c>, shares nothing of the epoch
/// machinery, and <c>SequentialLR</c> refuses it; here it is its own class, so that it cannot be passed where an epoch
/// scheduler is expected.
/// </para>
/// <para>
/// PyTorch's rule, each step: the metric is better when (min, rel) <c>a &lt; best·(1 − threshold)</c>, (min, abs)
/// <c>a &lt; best − threshold</c>, (max, rel) <c>a &gt; best·(1 + threshold)</c>, (max, abs) <c>a &gt; best + threshold</c>;
/// better resets <see cref="NumBadEpochs"/> and sets <see cref="Best"/>, otherwise it counts one more bad epoch; during
/// cooldown the counter decrements and bad epochs are forgotten; once <see cref="NumBadEpochs"/> exceeds the patience
/// every lr becomes <c>max(lr·factor, min_lr)</c> (unless that changes it by no more than eps), the cooldown starts and
/// the count resets. A NaN metric is never better.
/// </para>
/// </remarks>
public sealed partial class ReduceLROnPlateau : IStateful
{
    private readonly bool _max, _rel;
    private double[] _minLrs;
    private readonly double? _defaultMinLr;
    private double[] _lastLr;

    /// <summary>Watches a metric for <paramref name="optimizer"/>, with one <paramref name="minLr"/> for all groups.</summary>
    /// <param name="optimizer">The optimizer whose groups' lr are reduced.</param>
    /// <param name="mode"><c>"min"</c>: reduce when the metric stops decreasing; <c>"max"</c>: when it stops increasing.</param>
    /// <param name="factor">new_lr = lr · factor, in [0, 1).</param>
    /// <param name="patience">Bad epochs tolerated before reducing (&gt;= 0).</param>
    /// <param name="threshold">How much better than the best a metric must be to count as better.</param>
    /// <param name="thresholdMode"><c>"rel"</c> (relative to the best) or <c>"abs"</c>.</param>
    /// <param name="cooldown">Epochs after a reduction during which bad epochs are not counted (&gt;= 0).</param>
    /// <param name="minLr">Lower bound on every group's lr.</param>
    /// <param name="eps">A reduction smaller than or equal to this is skipped.</param>
    /// <exception cref="ArgumentException">An argument is out of range or a mode is unknown.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        string thresholdMode = "rel", int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, mode, factor, patience, threshold, thresholdMode, cooldown,
            Enumerable.Repeat(minLr, optimizer?.ParamGroups.Count ?? throw new ArgumentNullException(nameof(optimizer))).ToArray(), eps)
    {
        _defaultMinLr = minLr;
    }

    /// <summary>Watches a metric for <paramref name="optimizer"/>, with a lower bound per group.</summary>
    /// <param name="optimizer">The optimizer whose groups' lr are reduced.</param>
    /// <param name="mode"><c>"min"</c> or <c>"max"</c>.</param>
    /// <param name="factor">new_lr = lr · factor, in [0, 1).</param>
    /// <param name="patience">Bad epochs tolerated before reducing (&gt;= 0).</param>
    /// <param name="threshold">How much better than the best a metric must be to count as better.</param>
    /// <param name="thresholdMode"><c>"rel"</c> or <c>"abs"</c>.</param>
    /// <param name="cooldown">Epochs after a reduction during which bad epochs are not counted (&gt;= 0).</param>
    /// <param name="minLrs">Lower bound on each group's lr, one per param group.</param>
    /// <param name="eps">A reduction smaller than or equal to this is skipped.</param>
    /// <exception cref="ArgumentException">An argument is out of range, a mode is unknown, or <paramref name="minLrs"/> does not have one value per group.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode, double factor, int patience, double threshold, string thresholdMode,
        int cooldown, IReadOnlyList<double> minLrs, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(minLrs);
        if (!(factor < 1.0)) throw Bad($"factor should be < 1.0, got {PyFloat.Repr(factor)}", nameof(factor));
        if (!(factor >= 0)) throw Bad($"factor should be >= 0, got {PyFloat.Repr(factor)}", nameof(factor));
        if (minLrs.Count != optimizer.ParamGroups.Count) throw Bad($"expected {optimizer.ParamGroups.Count} min_lrs (one per param group), got {minLrs.Count}", nameof(minLrs));
        foreach (var m in minLrs)
            if (!(m >= 0 && double.IsFinite(m))) throw Bad($"min_lr must be finite and >= 0, got {PyFloat.Repr(m)}", nameof(minLrs));
        if (patience < 0) throw Bad($"patience must be >= 0, got {patience}", nameof(patience));
        if (cooldown < 0) throw Bad($"cooldown must be >= 0, got {cooldown}", nameof(cooldown));
        if (!double.IsFinite(threshold)) throw Bad($"threshold must be finite, got {PyFloat.Repr(threshold)}", nameof(threshold));
        if (!(eps >= 0 && double.IsFinite(eps))) throw Bad($"eps must be finite and >= 0, got {PyFloat.Repr(eps)}", nameof(eps));
        _max = mode switch { "min" => false, "max" => true, _ => throw Bad($"mode '{mode}' is unknown (expected 'min' or 'max')", nameof(mode)) };
        _rel = thresholdMode switch { "rel" => true, "abs" => false, _ => throw Bad($"threshold mode '{thresholdMode}' is unknown (expected 'rel' or 'abs')", nameof(thresholdMode)) };
        (Optimizer, Mode, Factor, Patience, Threshold, ThresholdMode, Cooldown, Eps) = (optimizer, mode, factor, patience, threshold, thresholdMode, cooldown, eps);
        _minLrs = [.. minLrs];
        _lastLr = [.. optimizer.ParamGroups.Select(g => g.Lr)];
        Best = _max ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The optimizer being scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary><c>"min"</c> or <c>"max"</c>.</summary>
    public string Mode { get; }

    /// <summary>The factor applied to an lr on a reduction.</summary>
    public double Factor { get; }

    /// <summary>Bad epochs tolerated before a reduction.</summary>
    public int Patience { get; }

    /// <summary>How much better than <see cref="Best"/> a metric must be to count as better.</summary>
    public double Threshold { get; }

    /// <summary><c>"rel"</c> or <c>"abs"</c>.</summary>
    public string ThresholdMode { get; }

    /// <summary>Epochs after a reduction during which bad epochs are not counted.</summary>
    public int Cooldown { get; }

    /// <summary>Each group's lower bound on its lr.</summary>
    public IReadOnlyList<double> MinLrs => _minLrs;

    /// <summary>A reduction changing an lr by no more than this is skipped.</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (+inf in min mode, −inf in max mode before the first step).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement, as counted (reset by an improvement, a reduction and cooldown).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Epochs of cooldown left.</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>True while bad epochs are not counted after a reduction.</summary>
    public bool InCooldown => CooldownCounter > 0;

    /// <summary>The number of <see cref="Step"/> calls so far.</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Each group's lr after the last step (PyTorch's <c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr => _lastLr;

    /// <summary>Records one epoch's <paramref name="metric"/> and reduces the lrs if it has plateaued.</summary>
    /// <param name="metric">The quantity watched (e.g. the validation loss).</param>
    /// <exception cref="InvalidOperationException">Param groups were added to the optimizer after this was created with one min_lr per group.</exception>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else NumBadEpochs++;
        if (InCooldown)
        {
            CooldownCounter--;
            NumBadEpochs = 0;   // bad epochs during cooldown are ignored
        }
        if (NumBadEpochs > Patience)
        {
            ReduceLr();
            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        _lastLr = [.. Optimizer.ParamGroups.Select(g => g.Lr)];
    }

    private bool IsBetter(double a, double best) => (_max, _rel) switch
    {
        (false, true) => a < best * (1.0 - Threshold),
        (false, false) => a < best - Threshold,
        (true, true) => a > best * (Threshold + 1.0),
        (true, false) => a > best + Threshold,
    };

    private void ReduceLr()
    {
        var groups = Optimizer.ParamGroups;
        if (groups.Count != _minLrs.Length)
        {
            if (_defaultMinLr is not { } m)
                throw new InvalidOperationException(
                    $"ReduceLROnPlateau: the optimizer has {groups.Count} param groups but {_minLrs.Length} min_lrs were given when it was created, usually because a param group was added to the optimizer; create the scheduler after adding all groups.");
            _minLrs = [.. Enumerable.Repeat(m, groups.Count)];
        }
        for (int i = 0; i < groups.Count; i++)
        {
            double old = groups[i].Lr, lr = Math.Max(old * Factor, _minLrs[i]);
            if (old - lr > Eps) groups[i].Lr = lr;
        }
    }

    private static ArgumentException Bad(string message, string paramName) => new($"ReduceLROnPlateau: {message}.", paramName);
}
