using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// Anneals each group's lr from its base value to <c>etaMin</c> over <c>tMax</c> epochs along a half
/// cosine (PyTorch's <c>CosineAnnealingLR</c>), in closed form:
/// <c>lr = etaMin + (base_lr − etaMin)·(1 + cos(π·epoch / tMax)) / 2</c>.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int _tMax;
    private readonly double _etaMin;

    /// <summary>Schedules <paramref name="optimizer"/>'s groups.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="tMax">Epochs of the half cosine (&gt;= 1); past it the cosine continues.</param>
    /// <param name="etaMin">The lr reached at epoch <paramref name="tMax"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="tMax"/> is below 1, or <paramref name="etaMin"/> is negative or not finite.</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax < 1) throw new ArgumentException($"CosineAnnealingLR: tMax must be a positive number of epochs, got {tMax}.", nameof(tMax));
        RequireFiniteNonNegative(etaMin, nameof(etaMin));
        _tMax = tMax;
        _etaMin = etaMin;
    }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, JsonNode Value)> Hyperparameters() =>
        [("T_max", _tMax), ("eta_min", StateJson.Number(_etaMin))];

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch) => Lr(BaseLrs[group], epoch);

    private double Lr(double baseLr, int epoch) =>
        _etaMin + (baseLr - _etaMin) * (1 + Math.Cos(Math.PI * epoch / _tMax)) / 2;
}
