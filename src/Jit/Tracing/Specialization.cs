namespace Trace.Jit;

public sealed partial class TracedModule
{
    /// <summary>
    /// One traced signature: its graphs and the tensors lifted to inputs. <paramref name="Diff"/> is set when
    /// calls need gradients and the backward is compiled; <paramref name="EagerBackwardReason"/> says why not
    /// when gradients are needed but the backward runs on the eager tape.
    /// </summary>
    internal sealed record Specialization(Signature Signature, Graph RawGraph, Graph Graph, Tensor[] Lifted,
        DifferentiableGraph? Diff = null, string? EagerBackwardReason = null)
    {
        /// <summary>Runs the specialization on the call's tensors (inputs, parameters, lifted).</summary>
        public Tensor[] Run(Tensor[] callInputs, Tensor?[]? outputBuffers = null) => Diff?.Run(callInputs) ?? Program!.Run(callInputs, outputBuffers);

        /// <summary>
        /// The forward as recorded (no passes, no fusion) that the trace check replays: it runs the same kernels in the
        /// same order as eager, so a difference means the trace missed something, never a summation order.
        /// </summary>
        public Graph CheckGraph { get; init; } = RawGraph;

        /// <summary>
        /// Set when the module has dynamic dims: the traces this specialization stands for and, for a symbolic one,
        /// its size symbols and the sizes it serves.
        /// </summary>
        public DynamicInfo? Dynamic { get; init; }

        /// <summary>Whether a call with <paramref name="signature"/> runs this specialization.</summary>
        public bool Accepts(Signature signature) => Dynamic?.Symbolic is { } sym ? sym.Accepts(signature) : Signature.Equals(signature);

        /// <summary>The backend that compiled the specialization's graphs (the options', or the one of the tensors' device).</summary>
        public IBackend Backend { get; init; } = CpuBackend.Instance;

        /// <summary><see cref="Graph"/> compiled by <see cref="Backend"/> (when it is not differentiable).</summary>
        internal IExecutable? Program { get; init; }

        /// <summary>Tensors that existed before the trace and were frozen into constants, with their versions at trace time.</summary>
        public (Tensor Source, int Version)[] Captured { get; init; } = [];

        /// <summary>True when the graph reads values into .NET (a call may stop at a failing guard).</summary>
        public bool HasValueGuards { get; } = RawGraph.Nodes.Any(n => n.Kind == "prim::ValueGuard");

        /// <summary>Why the frozen constants no longer match what eager code would read (a captured tensor was written to), or null.</summary>
        public string? StaleCapture()
        {
            foreach (var (t, version) in Captured)
                if (t.Storage.Version != version)
                    return $"a captured tensor of shape {Shapes.Format(t.Shape)}, frozen into the graph as a constant, was modified in place since tracing " +
                           $"(version {version} -> {t.Storage.Version})";
            return null;
        }
    }
}
