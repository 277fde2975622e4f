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

    /// <summary>Sets grad mode off (<paramref name="disabled"/>) or on without allocating a scope; returns the previous setting.</summary>
    internal static bool SetDisabled(bool disabled)
    {
        bool previous = _disabled;
        _disabled = disabled;
        return previous;
    }

    /// <summary>True if grad mode is on and any of the inputs requires grad.</summary>
    internal static bool ShouldRecord(ReadOnlySpan<Tensor?> inputs)
    {
        if (_disabled) return false;
        foreach (var t in inputs)
            if (t is not null && t.RequiresGrad) return true;
        return false;
    }
}
