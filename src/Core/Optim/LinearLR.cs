using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// Scales each group's lr by a factor that changes linearly from <c>startFactor</c> to <c>endFactor</c> over
/// <c>totalIters</c> epochs, then stays (PyTorch's <c>LinearLR</c>; with the defaults a linear warm-up), in closed form:
/// <c>lr = base_lr · (start + (end − start) · min(totalIters, epoch) / totalIters)</c>. Epoch 0 is scaled too: the
/// constructor sets the groups' lr to <c>base_lr · startFactor</c>, so the first optimizer step already uses it.
/// </summary>
public sealed class LinearLR : LRScheduler
{
    private readonly double _start, _end;
    private readonly int _totalIters;

    /// <summary>Schedules <paramref name="optimizer"/>'s groups (and scales their lr to epoch 0's value).</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="startFactor">The factor at epoch 0, in (0, 1].</param>
    /// <param name="endFactor">The factor from epoch <paramref name="totalIters"/> on, in [0, 1].</param>
    /// <param name="totalIters">Epochs over which the factor changes (&gt;= 1).</param>
    /// <exception cref="ArgumentException">A factor is out of its range, or <paramref name="totalIters"/> is below 1.</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentException($"LinearLR: startFactor (the starting multiplicative factor) must be greater than 0 and less or equal to 1, got {PyFloat.Repr(startFactor)}.", nameof(startFactor));
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentException($"LinearLR: endFactor (the ending multiplicative factor) must be between 0 and 1, got {PyFloat.Repr(endFactor)}.", nameof(endFactor));
        if (totalIters < 1) throw new ArgumentException($"LinearLR: totalIters must be a positive number of epochs, got {totalIters}.", nameof(totalIters));
        (_start, _end, _totalIters) = (startFactor, endFactor, totalIters);
        InitialStep();
    }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, JsonNode Value)> Hyperparameters() =>
        [("start_factor", StateJson.Number(_start)), ("end_factor", StateJson.Number(_end)), ("total_iters", _totalIters)];

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch) => Lr(BaseLrs[group], epoch);

    private double Lr(double baseLr, int epoch) =>
        baseLr * (_start + (_end - _start) * Math.Min(_totalIters, epoch) / _totalIters);
}
