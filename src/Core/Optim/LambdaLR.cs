namespace Trace.Optim;

/// <summary>
/// Sets each group's lr to its base lr times a function of the epoch (PyTorch's <c>LambdaLR</c>):
/// <c>lr = base_lr · lr_lambda(epoch)</c>, from epoch 0 (the constructor applies <c>lr_lambda(0)</c>).
/// </summary>
/// <example>
/// <code>
/// // Linear warm-up over 100 steps, then constant.
/// var sched = new LambdaLR(opt, step => Math.Min(1.0, (step + 1) / 100.0));
/// </code>
/// </example>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>Schedules every group of <paramref name="optimizer"/> with the same <paramref name="lrLambda"/>.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="lrLambda">The multiplicative factor of the base lr at each epoch.</param>
    /// <exception cref="InvalidOperationException">The factor at epoch 0 gives a learning rate the optimizer refuses.</exception>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda)
        : this(optimizer, Enumerable.Repeat(lrLambda ?? throw new ArgumentNullException(nameof(lrLambda)), optimizer?.ParamGroups.Count ?? 0).ToArray()) { }

    /// <summary>Schedules each group of <paramref name="optimizer"/> with its own function.</summary>
    /// <param name="optimizer">The optimizer to schedule.</param>
    /// <param name="lrLambdas">One factor function per param group, in order.</param>
    /// <exception cref="ArgumentException">The number of functions is not the number of param groups.</exception>
    /// <exception cref="InvalidOperationException">A factor at epoch 0 gives a learning rate the optimizer refuses.</exception>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(lrLambdas);
        if (lrLambdas.Count != optimizer.ParamGroups.Count)
            throw new ArgumentException($"LambdaLR: expected {optimizer.ParamGroups.Count} lr_lambdas (one per param group), but got {lrLambdas.Count}.", nameof(lrLambdas));
        for (int i = 0; i < lrLambdas.Count; i++)
            if (lrLambdas[i] is null) throw new ArgumentException($"LambdaLR: lr_lambda {i} is null.", nameof(lrLambdas));
        _lambdas = [.. lrLambdas];
        InitialStep();
    }

    /// <inheritdoc/>
    protected override double GroupLrAt(int group, int epoch) => BaseLrs[group] * _lambdas[group](epoch);
}
