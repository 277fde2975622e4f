namespace Trace.Jit;

/// <summary>
/// Executes any graph with the eager kernels (through <see cref="Trace.Ops.OpTable"/>), node by node: the
/// <see cref="ReferenceBackend"/>, which compiled backends are tested against. It never fuses, and a fusion group
/// runs its body op by op. Eager ops record autograd as usual, so gradients flow through interpreted calls.
/// </summary>
public static class Interpreter
{
    /// <summary>Runs <paramref name="graph"/> on <paramref name="inputs"/> (one per graph input) and returns its outputs.</summary>
    /// <exception cref="GuardFailedException">A value guard saw a different value than at trace time.</exception>
    /// <exception cref="ArgumentException">The inputs differ in count, or one in dtype, device or shape, from the graph's declared input types.</exception>
    public static Tensor[] Run(Graph graph, IReadOnlyList<Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return ReferenceBackend.Instance.Compile(graph).Run(inputs);
    }
}

/// <summary>A value read back into .NET while tracing differs now: the traced control flow may not apply.</summary>
public sealed class GuardFailedException(Node guard, double[] expected, double[] actual) : Exception(
    $"JIT: value guard on %{guard.Inputs[0].Name} failed: the traced run read {Printer.FormatAttribute(expected)} back into .NET, " +
    $"this call computed {Printer.FormatAttribute(actual)}; code that depended on it (an if, a size) may take another path.")
{
    /// <summary>The guard node.</summary>
    public Node Guard { get; } = guard;

    /// <summary>The failure without the values read (for warnings, which must not print tensors).</summary>
    public string Summary => $"a value read into .NET changed (prim::ValueGuard on %{Guard.Inputs[0].Name})";
}
