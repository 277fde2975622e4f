namespace Trace;

/// <summary>
/// Grad-mode switches (like <c>torch.no_grad</c>/<c>torch.enable_grad</c>) and the recording helper that
/// attaches a backward rule to an op's output. Grad mode is per thread.
/// </summary>
public static partial class Autograd
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>True when ops on tensors that require grad record a graph (the default).</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>Disables graph recording until the returned scope is disposed: <c>using var _ = Autograd.NoGrad();</c></summary>
    public static IDisposable NoGrad() => new GradModeScope(enabled: false);

    /// <summary>Re-enables graph recording inside a <see cref="NoGrad"/> region until disposed.</summary>
    public static IDisposable EnableGrad() => new GradModeScope(enabled: true);

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool _previous;
        private bool _disposed;

        public GradModeScope(bool enabled)
        {
            _previous = _disabled;
            _disabled = !enabled;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _disabled = _previous;
        }
    }

    /// <summary>True if grad mode is on and any of the inputs requires grad.</summary>
    internal static bool ShouldRecord(ReadOnlySpan<Tensor?> inputs)
    {
        if (_disabled) return false;
        foreach (var t in inputs)
            if (t is not null && t.RequiresGrad) return true;
        return false;
    }

    /// <summary>
    /// Attaches backward rules to <paramref name="output"/> if recording applies: rule i maps the output's
    /// gradient to input i's gradient (null: no gradient flows to that input). Rules are written with Tensor
    /// ops, so they are themselves differentiable and traceable. <paramref name="saved"/> lists the tensors
    /// the rules read; modifying one in place before backward is reported as an error.
    /// </summary>
    internal static Tensor Record(string name, Tensor output, Tensor?[] inputs, Func<Tensor, Tensor>?[] rules, params Tensor[] saved)
    {
        if (!ShouldRecord(inputs)) return output;
        output.GradFn = new FunctionNode(name, inputs, rules, saved);
        return output;
    }

    /// <summary>One-input form of <see cref="Record(string, Tensor, Tensor?[], Func{Tensor, Tensor}?[], Tensor[])"/>.</summary>
    internal static Tensor Record(string name, Tensor output, Tensor input, Func<Tensor, Tensor> rule, params Tensor[] saved) =>
        Record(name, output, [input], [rule], saved);

    /// <summary>Two-input form of <see cref="Record(string, Tensor, Tensor?[], Func{Tensor, Tensor}?[], Tensor[])"/>.</summary>
    internal static Tensor Record(string name, Tensor output, Tensor a, Func<Tensor, Tensor>? ruleA, Tensor b, Func<Tensor, Tensor>? ruleB, params Tensor[] saved) =>
        Record(name, output, [a, b], [ruleA, ruleB], saved);
}
