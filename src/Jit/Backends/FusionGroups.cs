namespace Trace.Jit;

/// <summary>
/// What every compiling backend does with a fusion group it does not run compiled: interpret its body op by op through
/// the eager kernels of the inputs' device (recording autograd when gradients are needed), with the prepared body
/// cached per group node.
/// </summary>
internal static class FusionGroups
{
    /// <summary>
    /// True when the group's call must record autograd (so its compiled kernel, which records no tape, cannot serve);
    /// an output buffer with such a call is an error (a buffer's writes record no tape).
    /// </summary>
    public static bool NeedsGrad(Node n, Tensor[] inputs, Tensor? into)
    {
        bool needsGrad = Autograd.IsEnabled && inputs.Any(t => t.RequiresGrad);
        if (needsGrad && into is not null)
            throw new InvalidOperationException($"JIT: {n.Kind} was given an output buffer while its inputs need gradients (a buffer's writes record no tape).");
        return needsGrad;
    }

    /// <summary>The group's body run op by op; with <paramref name="into"/> the result is copied there.</summary>
    public static Tensor Interpret(Node n, Tensor[] inputs, long[]? symbols, Tensor? into)
    {
        var body = Interpreted.GetValue(n, static g => new GraphProgram(g.Subgraph!, planMemory: false));
        return GraphProgram.CopyInto(into, body.Run(inputs, symbols: symbols)[0]);
    }

    /// <summary>The group's ops, for messages (<c>aten::mul, aten::tanh</c>).</summary>
    public static string Ops(Node n) => string.Join(", ", n.Subgraph!.Nodes.Where(b => b.Def is not null).Select(b => b.Kind));

    /// <summary>Fusion-group bodies prepared once for running op by op, per group node.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Node, GraphProgram> Interpreted = new();
}
