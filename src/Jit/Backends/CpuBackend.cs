namespace Trace.Jit;

/// <summary>
/// The compiled CPU backend: graphs run as a <see cref="GraphProgram"/> with a <see cref="MemoryPlan"/>; each fusion
/// group is compiled on first use into one vectorized loop (<see cref="FusedKernel"/>) and runs it when no gradient
/// is needed, else (or when it does not compile) its body is interpreted op by op, recording autograd.
/// </summary>
public sealed class CpuBackend : IBackend
{
    /// <summary>The one instance (compiled kernels are cached per fusion-group node, in tables held by the backend).</summary>
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
        // Softmax stays its own kernel here: a row program recomputes exp(x − m) in its output loop, and on the CPU those
        // exps cost more than the pass over memory they save (the GPU, memory-bound, fuses it).
        return FusedKernel.TrailingSum(n) is not null || (RowProgram.RowDims(n) is not null && n.Kind is not ("aten::softmax" or "aten::log_softmax"));
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">An input is on another device (its kernels read CPU memory only).</exception>
    public IExecutable Compile(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        BackendSelection.Require(this, graph, d => d.Type == DeviceType.Cpu);
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
        if (!FusionGroups.NeedsGrad(n, inputs, into) && KernelFor(n).Kernel is { } compiled) return compiled.Run(inputs, symbols, into);
        return FusionGroups.Interpret(n, inputs, symbols, into);
    }

    /// <inheritdoc/>
    public string DescribeFusionGroup(Node group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var compiled = KernelFor(group);
        return compiled.Kernel is not null ? "one vectorized loop (Vector512 + scalar tail), split across cores" : $"not compiled ({compiled.Reason}), interpreted";
    }

    /// <summary>The kernel compiled for fusion group <paramref name="group"/> if it was compiled already (null before its first compiled run).</summary>
    internal static FusedKernel? CompiledKernel(Node group) => Kernels.TryGetValue(group, out var k) ? k.Kernel : null;

    /// <summary>True once the group was tried and did not compile.</summary>
    internal static bool FailedToCompile(Node group) => Kernels.TryGetValue(group, out var k) && k.Kernel is null;

    /// <summary>
    /// The group's kernel, compiled on first use and cached per group node; a body that does not compile is cached as
    /// such with the reason, and reported once (a <see cref="Warnings"/> message).
    /// </summary>
    private static CompiledGroup KernelFor(Node n) => Kernels.GetValue(n, static n =>
    {
        var kernel = FusedKernel.TryCompile(n.Subgraph!, out var reason);
        if (kernel is null)
            Warnings.Warn($"JIT: {n.Kind} ({FusionGroups.Ops(n)}) could not be compiled ({reason}); it runs op by op.");
        return new CompiledGroup(kernel, reason);
    });

    /// <summary>A group's compiled kernel, or null with the reason it did not compile.</summary>
    private sealed record CompiledGroup(FusedKernel? Kernel, string? Reason);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Node, CompiledGroup> Kernels = new();
}
