namespace Trace.Jit;

/// <summary>Options of <see cref="Jit.Trace(Trace.Nn.Module, Tensor[], TraceOptions?)"/>.</summary>
public sealed record TraceOptions
{
    /// <summary>After tracing, run eager and traced on the example (and <see cref="CheckInputs"/>) and compare (default on, like torch.jit.trace).</summary>
    public bool CheckTrace { get; init; } = true;

    /// <summary>Extra inputs to check the trace against eager execution on.</summary>
    public IReadOnlyList<Tensor[]> CheckInputs { get; init; } = [];

    /// <summary>Relative tolerance of the trace check.</summary>
    public double CheckRtol { get; init; } = 1e-5;

    /// <summary>Absolute tolerance of the trace check.</summary>
    public double CheckAtol { get; init; } = 1e-5;

    /// <summary>
    /// Most specializations kept (by input signature and guard values). Once full, one warning is issued; calls matching
    /// a specialization without value guards still run it, every other call runs eagerly (graphs that might stop at a
    /// failing guard are not replayed to find out). <see cref="TracedModule.ExplainLastRetrace"/> says so.
    /// </summary>
    public int MaxSpecializations { get; init; } = 8;

    /// <summary>When a value guard fails, throw <see cref="GuardFailedException"/> instead of retracing.</summary>
    public bool Strict { get; init; }

    /// <summary>Fuse elementwise chains into compiled loops (on by default; needs <see cref="Optimize"/>).</summary>
    public bool Fuse { get; init; } = true;

    /// <summary>
    /// When a call needs gradients, trace the backward too (through the ops' own backward rules) and run it as a
    /// compiled graph (on by default). Off: the forward is interpreted with the eager tape, which also supports
    /// higher-order gradients.
    /// </summary>
    public bool CompileBackward { get; init; } = true;

    /// <summary>
    /// Dims whose size varies between calls (batch size, sequence length): entry i lists input i's dynamic dims
    /// (negative dims count from the end), e.g. <c>DynamicDims = [[0, 1]]</c> for a (B, T, C) input. As with
    /// <c>torch._dynamo.mark_dynamic</c> (see also <see cref="Jit.MarkDynamic"/>), calls that differ only in these sizes
    /// share one symbolic specialization: its graph's sizes are formulas of the symbols (<c>Float(s0, s1, 16, ...)</c>),
    /// its fusion kernels take sizes at run time, and its value guards stay guards. The first call at each new size is
    /// traced and must match that graph exactly — .NET code may branch on a size where no graph can see it — so a
    /// model whose structure depends on the size gets separate specializations (<see cref="TracedModule.ExplainLastRetrace"/> says why).
    /// </summary>
    public IReadOnlyList<int[]> DynamicDims { get; init; } = [];

    /// <summary>
    /// Serve every size of the <see cref="DynamicDims"/> without tracing it first, once traces at three distinct sizes
    /// of each dynamic dim unified (off by default). A new size then runs compiled at once (a sampling loop over a
    /// growing context gains from its first pass), and an op whose output sizes differ from its symbolic type makes
    /// the call trace again; but .NET code that branches on a size is no longer seen: it must not (as with torch.jit.trace).
    /// </summary>
    public bool TrustDynamicSizes { get; init; }

    /// <summary>Run the optimization passes (on by default).</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>
    /// The backend that compiles and runs the traced graphs, and says what the passes may fuse (null: the backend of the
    /// traced tensors' device — <see cref="CpuBackend"/> or <see cref="CudaBackend"/>). <see cref="ReferenceBackend"/> runs
    /// every op through its eager kernel and never fuses.
    /// </summary>
    public IBackend? Backend { get; init; }

    /// <summary>
    /// With the CUDA backend, <see cref="TracedModule.GeneratedCode"/> also shows each fusion group's kernel as PTX for sm_90
    /// (compiled without a GPU; off by default, as the PTX of a group runs to hundreds of lines).
    /// </summary>
    public bool ShowPtx { get; init; }
}
