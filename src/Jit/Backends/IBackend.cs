namespace Trace.Jit;

/// <summary>
/// Turns an optimized graph into something that runs, and tells the passes what it can do: the fusion pass asks
/// <see cref="CanFuse"/> which nodes may join an elementwise group, <see cref="PassPipeline"/> whether to fuse at all
/// and whether to fold epilogues into GEMMs. <see cref="ReferenceBackend"/> runs every node through the eager ops and
/// is what every other backend is tested against; <see cref="CpuBackend"/> is the compiled CPU backend. A new device
/// (a CUDA backend) implements this interface and adds one conformance test subclass.
/// </summary>
public interface IBackend
{
    /// <summary>A short name ("reference", "cpu") for logs and test names.</summary>
    string Name { get; }

    /// <summary>True when the backend compiles <c>prim::FusionGroup</c> nodes, so that the pipeline runs <see cref="ElementwiseFusion"/>.</summary>
    bool FusesElementwise { get; }

    /// <summary>True when a relu, GELU or residual add after a linear, or a relu after a convolution, may be folded into the GEMM (<see cref="LinearEpilogues"/>, <see cref="ConvEpilogues"/>).</summary>
    bool FusesLinearEpilogues { get; }

    /// <summary>True when the backend's fused code computes <paramref name="n"/>'s op (an elementwise member of a fusion group).</summary>
    bool CanFuse(Node n);

    /// <summary>
    /// True when a fusion group may end with the reduction <paramref name="n"/> (its loop accumulates instead of storing),
    /// or hold it inside as a row reduction (a keepdim sum or amax over trailing dims, a softmax over the last dim: see
    /// <c>RowProgram</c>) whose value later members read.
    /// </summary>
    bool CanFuseReduction(Node n);

    /// <summary>
    /// Prepares <paramref name="graph"/> for repeated runs; the graph must not change afterwards. Fails, naming the
    /// node, when the graph has something the backend cannot run.
    /// </summary>
    IExecutable Compile(Graph graph);

    /// <summary>
    /// What the backend generates for fusion group <paramref name="group"/> — one line saying how it runs (compiled, or
    /// interpreted and why) — compiling it now if it compiles groups on first use. Kernels are the backend's own, cached
    /// per group node.
    /// </summary>
    string DescribeFusionGroup(Node group);
}

/// <summary>A graph compiled by an <see cref="IBackend"/>.</summary>
public interface IExecutable
{
    /// <summary>The graph it runs.</summary>
    Graph Graph { get; }

    /// <summary>The size symbols' values for a call on <paramref name="inputs"/> (null for a graph without dynamic dims); checks the inputs' sizes.</summary>
    long[]? BindSymbols(IReadOnlyList<Tensor> inputs);

    /// <summary>
    /// Runs the graph on <paramref name="inputs"/> (one per graph input) and returns its outputs. <paramref name="outputBuffers"/>
    /// (optional, one per output, null entries allowed) are tensors the caller gives up for the outputs: a backend may write an
    /// output into its tensor and return that tensor (the caller tells by reference); <paramref name="symbols"/> are the size symbols' values when the caller bound them.
    /// </summary>
    /// <exception cref="GuardFailedException">A value guard saw a different value than at trace time.</exception>
    /// <exception cref="ArgumentException">The inputs differ in count, or one in dtype, device or shape, from the graph's declared input types.</exception>
    Tensor[] Run(IReadOnlyList<Tensor> inputs, Tensor?[]? outputBuffers = null, long[]? symbols = null);
}
