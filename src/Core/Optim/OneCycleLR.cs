using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// The 1cycle policy (Smith and Topin, 2017; PyTorch's <c>OneCycleLR</c>): the lr rises from
/// <c>max_lr / div_factor</c> to <c>max_lr</c> over the first <c>pct_start</c> of <c>total_steps</c>, then falls to
/// <c>initial_lr / final_div_factor</c>; momentum (beta1 for Adam and AdamW) moves the opposite way between
/// <c>max_momentum</c> and <c>base_momentum</c>. Step it once per batch, after <c>optimizer.Step()</c>.
/// </summary>
/// <remarks>
/// PyTorch's phases, at step s: phase 1 ends at <c>pct_start·total_steps − 1</c>, (three-phase: phase 2 at
/// <c>2·pct_start·total_steps − 2</c>), the last at <c>total_steps − 1</c>; within a phase from a to b,
/// <c>pct = (s − a) / (b − a)</c> and the value anneals from start to end (cos: <c>end + (start − end)/2·(1 + cos(π·pct))</c>;
/// linear: <c>(end − start)·pct + start</c>). The constructor applies step 0 (lr = max_lr / div_factor, momentum =
/// max_momentum); stepping to <c>total_steps</c> is allowed, as in PyTorch, and past it throws. One difference: at
/// step total_steps the linear strategy holds the lr at min_lr where PyTorch extrapolates it below (see <see cref="Anneal"/>).
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    private readonly double[] _initialLrs, _maxLrs, _minLrs;
    private readonly double[]? _maxMomentums, _baseMomentums;
    private readonly (double EndStep, int LrFrom, int LrTo, int MFrom, int MTo)[] _phases;
    private readonly bool _cos, _useBeta1;

    /// <summary>Schedules <paramref name="optimizer"/>'s groups with one <paramref name="maxLr"/> for all.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="maxLr">The peak lr.</param>
    /// <param name="totalSteps">Steps in the cycle; or null to use <paramref name="epochs"/> × <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">Epochs, with <paramref name="stepsPerEpoch"/>, when <paramref name="totalSteps"/> is null.</param>
    /// <param name="stepsPerEpoch">Steps per epoch, with <paramref name="epochs"/>.</param>
    /// <param name="pctStart">Fraction of the cycle spent raising the lr, in [0, 1].</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Cycle momentum (or beta1) inversely to the lr.</param>
    /// <param name="baseMomentum">Momentum at the lr's peak.</param>
    /// <param name="maxMomentum">Momentum at the start and end of the cycle.</param>
    /// <param name="divFactor">initial_lr = maxLr / divFactor.</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / finalDivFactor.</param>
    /// <param name="threePhase">Go back down to initial_lr symmetrically, then anneal to min_lr in a third phase.</param>
    /// <exception cref="ArgumentException">An argument is out of range, or momentum is cycled on an optimizer without momentum or betas.</exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, PerGroup(optimizer, maxLr), totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy, cycleMomentum,
            PerGroup(optimizer, baseMomentum), PerGroup(optimizer, maxMomentum), divFactor, finalDivFactor, threePhase) { }

    /// <summary>Schedules <paramref name="optimizer"/>'s groups, each with its own peak lr and momentum bounds.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="maxLrs">The peak lr of each param group.</param>
    /// <param name="totalSteps">Steps in the cycle; or null to use <paramref name="epochs"/> × <paramref name="stepsPerEpoch"/>.</param>
    /// <param name="epochs">Epochs, with <paramref name="stepsPerEpoch"/>, when <paramref name="totalSteps"/> is null.</param>
    /// <param name="stepsPerEpoch">Steps per epoch, with <paramref name="epochs"/>.</param>
    /// <param name="pctStart">Fraction of the cycle spent raising the lr, in [0, 1].</param>
    /// <param name="annealStrategy"><c>"cos"</c> or <c>"linear"</c>.</param>
    /// <param name="cycleMomentum">Cycle momentum (or beta1) inversely to the lr.</param>
    /// <param name="baseMomentums">Each group's momentum at the lr's peak (null: 0.85 for all).</param>
    /// <param name="maxMomentums">Each group's momentum at the start and end of the cycle (null: 0.95 for all).</param>
    /// <param name="divFactor">initial_lr = max_lr / divFactor.</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / finalDivFactor.</param>
    /// <param name="threePhase">Go back down to initial_lr symmetrically, then anneal to min_lr in a third phase.</param>
    /// <exception cref="ArgumentException">An argument is out of range, a list does not have one value per group, or momentum
    /// is cycled on an optimizer without momentum or betas.</exception>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLrs, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, string annealStrategy = "cos", bool cycleMomentum = true, IReadOnlyList<double>? baseMomentums = null,
        IReadOnlyList<double>? maxMomentums = null, double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, Settings.Validate(optimizer, maxLrs, totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy, cycleMomentum,
            baseMomentums, maxMomentums, divFactor, finalDivFactor, threePhase)) { }

    /// <summary>Every argument is checked before the base constructor writes the groups' initial lr: a refused scheduler changes nothing.</summary>
    private OneCycleLR(Optimizer optimizer, Settings s) : base(optimizer, s.InitialLrs)
    {
        (TotalSteps, _cos, _phases, _useBeta1) = (s.TotalSteps, s.Cos, s.Phases, s.UseBeta1);
        (_initialLrs, _maxLrs, _minLrs, _maxMomentums, _baseMomentums) = (s.InitialLrs, s.MaxLrs, s.MinLrs, s.MaxMomentums, s.BaseMomentums);
        InitialStep();
    }

    /// <summary>The number of steps in the cycle.</summary>
    public int TotalSteps { get; }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, JsonNode Value)> Hyperparameters()
    {
        yield return ("total_steps", TotalSteps);
        yield return ("anneal_strategy", _cos ? "cos" : "linear");
        yield return ("_schedule_phases", StateJson.Numbers(_phases.Select(p => p.EndStep)));
        yield return ("initial_lrs", StateJson.Numbers(_initialLrs));
        yield return ("max_lrs", StateJson.Numbers(_maxLrs));
        yield return ("min_lrs", StateJson.Numbers(_minLrs));
        yield return ("cycle_momentum", _maxMomentums is not null);
        yield return ("use_beta1", _useBeta1);
        if (_maxMomentums is not null) yield return ("max_momentums", StateJson.Numbers(_maxMomentums));
        if (_baseMomentums is not null) yield return ("base_momentums", StateJson.Numbers(_baseMomentums));
    }

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch)
    {
        if (epoch > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: tried to step {epoch} times. The specified number of total steps is {TotalSteps}.");
        var (pct, phase) = Phase(epoch);
        double[] lrs = [_initialLrs[group], _maxLrs[group], _minLrs[group]];
        return Anneal(lrs[phase.LrFrom], lrs[phase.LrTo], pct);
    }

    /// <inheritdoc/>
    protected override void OnApplied(int epoch)
    {
        if (_maxMomentums is null || _baseMomentums is null) return;
        var groups = Optimizer.ParamGroups;
        var (pct, phase) = Phase(epoch);
        var old = groups.Select(g => _useBeta1 ? g.Betas.Beta1 : g.Momentum).ToArray();
        int i = 0;
        try
        {
            for (; i < groups.Count; i++)
            {
                double[] m = [_maxMomentums[i], _baseMomentums[i]];
                double value = Anneal(m[phase.MFrom], m[phase.MTo], pct);
                if (_useBeta1) groups[i].Betas = (value, groups[i].Betas.Beta2);
                else groups[i].Momentum = value;
            }
        }
        catch (ArgumentException)
        {
            for (int j = 0; j < i; j++)
                if (_useBeta1) groups[j].Betas = (old[j], groups[j].Betas.Beta2);
                else groups[j].Momentum = old[j];
            throw;
        }
    }

    /// <summary>PyTorch's phase search: the first phase whose end is at or after <paramref name="step"/> (or the last), and pct within it.</summary>
    /// <exception cref="InvalidOperationException">The phase has no length (PyTorch raises ZeroDivisionError there).</exception>
    private (double Pct, (double EndStep, int LrFrom, int LrTo, int MFrom, int MTo) Phase) Phase(int step)
    {
        double start = 0;
        for (int i = 0; ; i++)
        {
            var phase = _phases[i];
            if (step <= phase.EndStep || i == _phases.Length - 1)
            {
                if (phase.EndStep == start)
                    throw new InvalidOperationException(
                        $"OneCycleLR: step {step} falls in phase {i + 1}, which starts and ends at step {PyFloat.Repr(start)} (from pctStart·totalSteps); choose pctStart so that every phase has a length.");
                return ((step - start) / (phase.EndStep - start), phase);
            }
            start = phase.EndStep;
        }
    }

    /// <summary>
    /// PyTorch's annealing from <paramref name="start"/> to <paramref name="end"/>. The step at total_steps has pct &gt; 1:
    /// the cosine stays between the two values there, but PyTorch's linear form extrapolates past the end (below min_lr, to a
    /// negative lr that Trace's optimizers refuse, so a loop's last scheduler step would throw); the linear value is held
    /// within [start, end] instead, which changes nothing at any other step.
    /// </summary>
    private double Anneal(double start, double end, double pct) => _cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : Math.Clamp((end - start) * pct + start, Math.Min(start, end), Math.Max(start, end));

    /// <summary>The validated arguments; lr values by index 0 initial_lr, 1 max_lr, 2 min_lr; momentum 0 max_momentum, 1 base_momentum.</summary>
    private sealed record Settings(int TotalSteps, bool Cos, (double EndStep, int LrFrom, int LrTo, int MFrom, int MTo)[] Phases, bool UseBeta1,
        double[] InitialLrs, double[] MaxLrs, double[] MinLrs, double[]? MaxMomentums, double[]? BaseMomentums)
    {
        public static Settings Validate(Optimizer optimizer, IReadOnlyList<double> maxLrs, int? totalSteps, int? epochs, int? stepsPerEpoch,
            double pctStart, string annealStrategy, bool cycleMomentum, IReadOnlyList<double>? baseMomentums, IReadOnlyList<double>? maxMomentums,
            double divFactor, double finalDivFactor, bool threePhase)
        {
            ArgumentNullException.ThrowIfNull(optimizer);
            int total = Steps(totalSteps, epochs, stepsPerEpoch);
            if (!(pctStart >= 0 && pctStart <= 1)) throw new ArgumentException($"OneCycleLR: expected pctStart between 0 and 1, but got {PyFloat.Repr(pctStart)}.", nameof(pctStart));
            bool cos = annealStrategy switch
            {
                "cos" => true,
                "linear" => false,
                _ => throw new ArgumentException($"OneCycleLR: annealStrategy must be one of 'cos' or 'linear', instead got '{annealStrategy}'.", nameof(annealStrategy)),
            };
            var max = Check(optimizer, maxLrs, "maxLr");
            if (!(divFactor > 0 && double.IsFinite(divFactor))) throw new ArgumentException($"OneCycleLR: divFactor must be finite and > 0, got {PyFloat.Repr(divFactor)}.", nameof(divFactor));
            if (!(finalDivFactor > 0 && double.IsFinite(finalDivFactor)))
                throw new ArgumentException($"OneCycleLR: finalDivFactor must be finite and > 0, got {PyFloat.Repr(finalDivFactor)}.", nameof(finalDivFactor));
            double[]? maxM = null, baseM = null;
            if (cycleMomentum)
            {
                if (!optimizer.HasMomentumOption && !optimizer.HasBetasOption)
                    throw new ArgumentException($"OneCycleLR: the optimizer ({optimizer.Name}) must support momentum or beta1 with cycleMomentum enabled.", nameof(cycleMomentum));
                maxM = Check(optimizer, maxMomentums ?? PerGroup(optimizer, 0.95), "maxMomentum");
                baseM = Check(optimizer, baseMomentums ?? PerGroup(optimizer, 0.85), "baseMomentum");
            }
            // PyTorch's phases: (end step, lr from → to, momentum from → to).
            (double, int, int, int, int)[] phases = threePhase
                ? [(pctStart * total - 1, 0, 1, 0, 1), (2 * pctStart * total - 2, 1, 0, 1, 0), (total - 1, 0, 2, 0, 0)]
                : [(pctStart * total - 1, 0, 1, 0, 1), (total - 1, 1, 2, 1, 0)];
            double[] initial = [.. max.Select(m => m / divFactor)];
            return new(total, cos, phases, optimizer.HasBetasOption, initial, max, [.. initial.Select(lr => lr / finalDivFactor)], maxM, baseM);
        }

        private static int Steps(int? totalSteps, int? epochs, int? stepsPerEpoch)
        {
            if (totalSteps is { } t)
                return t > 0 ? t : throw new ArgumentException($"OneCycleLR: expected a positive integer totalSteps, but got {t}.", nameof(totalSteps));
            if (epochs is not { } e || stepsPerEpoch is not { } s)
                throw new ArgumentException("OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch).", nameof(totalSteps));
            if (e <= 0) throw new ArgumentException($"OneCycleLR: expected a positive integer epochs, but got {e}.", nameof(epochs));
            if (s <= 0) throw new ArgumentException($"OneCycleLR: expected a positive integer stepsPerEpoch, but got {s}.", nameof(stepsPerEpoch));
            return checked(e * s);
        }

        private static double[] Check(Optimizer optimizer, IReadOnlyList<double> values, string name)
        {
            ArgumentNullException.ThrowIfNull(values, name);
            int groups = optimizer.ParamGroups.Count;
            if (values.Count != groups)
                throw new ArgumentException($"OneCycleLR: {name} must have the same length as optimizer.ParamGroups. {name} has {values.Count} values, ParamGroups has {groups}.", name);
            foreach (var v in values)
                if (!(v >= 0 && double.IsFinite(v))) throw new ArgumentException($"OneCycleLR: {name} must be finite and >= 0, got {PyFloat.Repr(v)}.", name);
            return [.. values];
        }
    }

    private static double[] PerGroup(Optimizer optimizer, double value) =>
        [.. Enumerable.Repeat(value, optimizer?.ParamGroups.Count ?? throw new ArgumentNullException(nameof(optimizer)))];
}
