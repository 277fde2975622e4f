using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// Decays each group's lr by <c>gamma</c> every <c>stepSize</c> epochs (PyTorch's <c>StepLR</c>), in
/// closed form: <c>lr = base_lr · gamma^⌊epoch / stepSize⌋</c>.
/// </summary>
public sealed class StepLR : LRScheduler
{
    private readonly int _stepSize;
    private readonly double _gamma;

    /// <summary>Schedules <paramref name="optimizer"/>'s groups.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="stepSize">Epochs between decays (&gt;= 1).</param>
    /// <param name="gamma">Multiplicative decay factor.</param>
    /// <exception cref="ArgumentException"><paramref name="stepSize"/> is below 1, or <paramref name="gamma"/> is negative or not finite.</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize < 1) throw new ArgumentException($"StepLR: stepSize must be a positive number of epochs, got {stepSize}.", nameof(stepSize));
        RequireFiniteNonNegative(gamma, nameof(gamma));
        _stepSize = stepSize;
        _gamma = gamma;
    }

    /// <inheritdoc/>
    private protected override IEnumerable<(string Name, JsonNode Value)> Hyperparameters() =>
        [("step_size", _stepSize), ("gamma", StateJson.Number(_gamma))];

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch) => Lr(BaseLrs[group], epoch);

    private double Lr(double baseLr, int epoch) => baseLr * Math.Pow(_gamma, epoch / _stepSize);
}
