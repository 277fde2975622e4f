namespace Trace.Jit;

/// <summary>
/// The reference: every node runs its eager op (its <see cref="Trace.Ops.OpDef.Eval"/> in the op table), one after another, with no memory plan and
/// no output buffers; it never fuses, and a <c>prim::FusionGroup</c> it is given runs its body node by node — never a
/// compiled loop. Eager ops record autograd as usual, so gradients flow through its runs. Compiled backends are
/// tested against it (the conformance tests); <see cref="Interpreter.Run"/> uses it.
/// </summary>
public sealed class ReferenceBackend : IBackend
{
    /// <summary>The one instance (the backend holds no state).</summary>
    public static ReferenceBackend Instance { get; } = new();

    private ReferenceBackend() { }

    /// <inheritdoc/>
    public string Name => "reference";

    /// <inheritdoc/>
    public bool FusesElementwise => false;

    /// <inheritdoc/>
    public bool FusesLinearEpilogues => false;

    /// <inheritdoc/>
    public bool CanFuse(Node n) => false;

    /// <inheritdoc/>
    public bool CanFuseReduction(Node n) => false;

    /// <inheritdoc/>
    public IExecutable Compile(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new GraphProgram(graph, planMemory: false, RunFusionGroup, acceptsOutputBuffers: false);
    }

    /// <inheritdoc/>
    public string DescribeFusionGroup(Node group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return "interpreted op by op (the reference backend never compiles)";
    }

    /// <summary>A fusion group's body, interpreted op by op.</summary>
    private static Tensor RunFusionGroup(Node group, Tensor[] inputs, long[]? symbols, Tensor? into) =>
        GraphProgram.CopyInto(into, new GraphProgram(group.Subgraph!, planMemory: false, RunFusionGroup, acceptsOutputBuffers: false).Run(inputs, symbols: symbols)[0]);
}
