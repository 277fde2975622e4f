namespace Trace.Jit;

/// <summary>
/// Executes any graph with the eager kernels (through <see cref="OpRegistry"/>). It is the reference
/// that compiled backends are tested against. Eager ops record autograd as usual, so gradients flow
/// through interpreted calls.
/// </summary>
public static class Interpreter
{
    /// <summary>Runs <paramref name="graph"/> on <paramref name="inputs"/> (one per graph input) and returns its outputs.</summary>
    /// <exception cref="GuardFailedException">A value guard saw a different value than at trace time.</exception>
    public static Tensor[] Run(Graph graph, IReadOnlyList<Tensor> inputs) => Run(graph, inputs, null);

    /// <summary>
    /// As <see cref="Run(Graph, IReadOnlyList{Tensor})"/>, reusing <paramref name="plan"/>'s buffers for
    /// intermediates when no tape is recorded and no other run holds the plan.
    /// </summary>
    internal static Tensor[] Run(Graph graph, IReadOnlyList<Tensor> inputs, MemoryPlan? plan)
    {
        if (plan is null || (Autograd.IsEnabled && inputs.Any(t => t.RequiresGrad)) || !plan.TryEnter())
            return RunNodes(graph, inputs, null);
        try
        {
            return RunNodes(graph, inputs, plan);
        }
        finally
        {
            Storage.Offered = null;
            plan.Exit();
        }
    }

    private static Tensor[] RunNodes(Graph graph, IReadOnlyList<Tensor> inputs, MemoryPlan? plan)
    {
        if (inputs.Count != graph.Inputs.Count)
            throw new ArgumentException($"JIT: graph expects {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs)}), got {inputs.Count}.");
        var env = new Dictionary<Value, object?>();
        for (int i = 0; i < inputs.Count; i++) env[graph.Inputs[i]] = inputs[i];
        var profile = OpProfile.Current;
        for (int index = 0; index < graph.Nodes.Count; index++)
        {
            var n = graph.Nodes[index];
            long start = profile is null ? 0 : OpProfile.Begin();
            plan?.Offer(index);
            switch (n.Kind)
            {
                case "prim::Constant":
                    // A constant that an in-place op writes to gets a fresh copy per run, so that runs stay independent.
                    env[n.Output] = n.Attribute is not TensorRef ? n.Attribute
                        : n.Output.Uses.Any(u => u.Kind.EndsWith('_') && u.Inputs.Count > 0 && u.Inputs[0] == n.Output)
                            ? CopyOf(graph.ConstantTensor(n)) : graph.ConstantTensor(n);
                    break;
                case "prim::ListConstruct":
                    env[n.Output] = n.Inputs.Select(v => env[v] is long l ? l : throw new InvalidOperationException($"JIT: {n} expects int elements.")).ToArray();
                    break;
                case "prim::FusionGroup":
                    env[n.Output] = RunFusionGroup(n, n.Inputs.Select(v => (Tensor)env[v]!).ToArray());
                    break;
                case "prim::ValueGuard":
                    CheckGuard(n, (Tensor)env[n.Inputs[0]]!);
                    break;
                default:
                    var args = n.Inputs.Select(v => env[v]).ToArray();
                    env[n.Output] = n.Replay is { } replay ? replay(args.Select(a => a as Tensor).ToArray()) : OpRegistry.Execute(n.Kind, args);
                    break;
            }
            if (plan is not null && n.Outputs.Count == 1 && env.GetValueOrDefault(n.Output) is Tensor output)
                plan.Adopt(index, output, n.Inputs.Select(v => env.GetValueOrDefault(v)));
            if (profile is not null && n.Kind is not ("prim::Constant" or "prim::ListConstruct")) profile.End(n, start);
        }
        // A constant returned as an output is copied: callers own their outputs and may change them in place.
        return graph.Outputs.Select(o => env[o] is Tensor t ? (o.Node?.Kind == "prim::Constant" ? CopyOf(t) : t)
            : throw new InvalidOperationException($"JIT: graph output %{o.Name} is not a tensor.")).ToArray();
    }

    /// <summary>
    /// A fusion group runs its compiled loop when no gradient is needed; otherwise (or when it cannot be
    /// compiled) its body is interpreted op by op, which records autograd as usual.
    /// </summary>
    private static Tensor RunFusionGroup(Node n, Tensor[] inputs)
    {
        var body = n.Subgraph!;
        bool needsGrad = Autograd.IsEnabled && inputs.Any(t => t.RequiresGrad);
        if (!needsGrad)
        {
            n.Compiled ??= FusedKernel.TryCompile(body, out _) ?? FusedKernel.Unavailable;
            if (n.Compiled != FusedKernel.Unavailable) return n.Compiled.Run(inputs, n.Output.TensorType!.Shape);
        }
        return Run(body, inputs)[0];
    }

    private static Tensor CopyOf(Tensor t)
    {
        using var _ = Dispatch.Internal();
        return t.Clone();
    }

    private static void CheckGuard(Node guard, Tensor t)
    {
        var expected = (double[])guard.Attribute!;
        var actual = Tracer.ReadValues(t);
        bool same = expected.Length == actual.Length;
        for (int i = 0; same && i < actual.Length; i++)
            same = expected[i].Equals(actual[i]);
        if (!same) throw new GuardFailedException(guard, expected, actual);
    }
}

/// <summary>A value read back into .NET while tracing differs now: the traced control flow may not apply.</summary>
public sealed class GuardFailedException(Node guard, double[] expected, double[] actual) : Exception(
    $"JIT: value guard on %{guard.Inputs[0].Name} failed: the traced run read {Printer.FormatAttribute(expected)} back into .NET, " +
    $"this call computed {Printer.FormatAttribute(actual)}; code that depended on it (an if, a size) may take another path.")
{
    /// <summary>The guard node.</summary>
    public Node Guard { get; } = guard;
}
