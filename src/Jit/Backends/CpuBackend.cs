namespace Trace.Jit;

/// <summary>
/// The compiled CPU backend: graphs run as a <see cref="GraphProgram"/> with a <see cref="MemoryPlan"/>; each fusion
/// group is compiled on first use into one vectorized loop (<see cref="FusedKernel"/>) and runs it when no gradient
/// is needed, else (or when it does not compile) its body is interpreted op by op, recording autograd.
/// </summary>
public sealed class CpuBackend : IBackend
{
    /// <summary>The one instance (compiled kernels are cached on the fusion-group nodes, not here).</summary>
    public static CpuBackend Instance { get; } = new();

    private CpuBackend() { }

    /// <inheritdoc/>
    public string Name => "cpu";

    /// <inheritdoc/>
    public bool FusesElementwise => true;

    /// <inheritdoc/>
    public bool FusesLinearEpilogues => true;

    /// <inheritdoc/>
    public bool CanFuse(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return FusedKernel.CanLower(n.Kind);
    }

    /// <inheritdoc/>
    public bool CanFuseReduction(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return FusedKernel.TrailingSum(n) is not null;
    }

    /// <inheritdoc/>
    public IExecutable Compile(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new GraphProgram(graph, planMemory: true);
    }

    /// <summary>
    /// A fusion group runs its compiled loop when no gradient is needed; otherwise (or when it cannot be
    /// compiled) its body is interpreted op by op, which records autograd as usual. A body that does not compile is
    /// reported once (a <see cref="Warnings"/> message with the reason): results stay right, but the group runs slower.
    /// With <paramref name="into"/> the output is written there (the interpreted body's result is copied in).
    /// </summary>
    internal static Tensor RunFusionGroup(Node n, Tensor[] inputs, long[]? symbols, Tensor? into)
    {
        bool needsGrad = Autograd.IsEnabled && inputs.Any(t => t.RequiresGrad);
        if (!needsGrad)
        {
            if (n.Compiled is null)
            {
                n.Compiled = FusedKernel.TryCompile(n.Subgraph!, out var reason) ?? FusedKernel.Unavailable;
                if (n.Compiled == FusedKernel.Unavailable)
                    Warnings.Warn($"JIT: {n.Kind} ({string.Join(", ", n.Subgraph!.Nodes.Where(b => b.Def is not null).Select(b => b.Kind))}) could not be compiled ({reason}); it runs op by op.");
            }
            if (n.Compiled != FusedKernel.Unavailable) return n.Compiled.Run(inputs, symbols, into);
        }
        else if (into is not null)
            throw new InvalidOperationException($"JIT: {n.Kind} was given an output buffer while its inputs need gradients (a buffer's writes record no tape).");
        var body = Interpreted.GetValue(n, static g => new GraphProgram(g.Subgraph!, planMemory: false));
        return GraphProgram.CopyInto(into, body.Run(inputs, symbols: symbols)[0]);
    }

    /// <summary>Fusion-group bodies prepared once for running op by op (with gradients, or when they do not compile), per group node.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Node, GraphProgram> Interpreted = new();
}
