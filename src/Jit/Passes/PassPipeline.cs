namespace Trace.Jit;

// The one place where pass order lives, per phase:
//   Inference (a specialization without a compiled backward, and a training step's loss-and-gradients graph):
//     rounds of cleanup, then — when the options fuse and the backend does — epilogue, fuse, dce.
//   Joint (forward + backward as traced through autograd, before it is split): rounds of cleanup only, so that
//     the partitioner sees folded constants and merged duplicates but no fusion groups.
//   Forward / Backward (the two halves of the split joint graph): as Inference.
// Training (Joint, the Partitioner's split, then Forward and Backward) is the sequence DifferentiableGraph compiles.
// With TraceOptions.Optimize off, no phase changes the graph. Jit.SelfCheck lints after every pass.
//
// Each round runs peephole (exposes identities and shortens chains),
// slicecat (sums of slice gradients that tile a dim become one cat), mmsum (sums of Xᵢᵀ·Bᵢ, a reused weight's
// gradients, become one matmul over the concatenated pieces), maskpool (a mask by max pooling's input on that
// pooling's input gradient moves to its smaller output gradient), constprop (folds what became constant),
// cse (merges duplicates, including equal folded constants), then dce (removes what the others left dead);
// rounds repeat until a whole round changes nothing.
//
// Debugging: TRACE_JIT_LOG=<pass>[,<pass>] (or "all") prints the graph to standard error before and after
// each named pass, under headers such as "[TRACE_JIT_LOG] before dce:"; TRACE_JIT_LOG=timing prints how long
// each phase of a new trace took (record, backward, optimize, check).

/// <summary>Runs the graph optimization passes in their fixed order until the graph stops changing.</summary>
public static class PassPipeline
{
    /// <summary>The most rounds <see cref="Optimize(Graph, bool)"/> runs; a graph still changing after that is returned as is.</summary>
    public const int MaxRounds = 10;

    /// <summary>The environment variable naming the passes whose input and output graphs are printed.</summary>
    public const string LogVariable = "TRACE_JIT_LOG";

    /// <summary>The passes, in the order each round runs them.</summary>
    public static IReadOnlyList<IGraphPass> Passes { get; } =
        [new Peephole(), new SliceGradientsToCat(), new MatmulSumToOneMatmul(), new MaskBeforeMaxPoolBackward(), new ConstantPropagation(), new CommonSubexpressionElimination(), new DeadCodeElimination()];

    /// <summary>
    /// Optimizes <paramref name="g"/> in place and returns it. With <paramref name="verify"/>,
    /// <see cref="GraphVerifier.Lint"/> checks the graph after every pass, and the first malformed graph
    /// throws, naming the pass that produced it.
    /// </summary>
    public static Graph Optimize(Graph g, bool verify = false) => Optimize(g, verify, fuse: false);

    /// <summary>
    /// The inference phase: a copy of <paramref name="raw"/> optimized (and, with <see cref="TraceOptions.Fuse"/>, fused
    /// as <paramref name="backend"/> can), or <paramref name="raw"/> itself when <see cref="TraceOptions.Optimize"/> is off.
    /// </summary>
    public static Graph Inference(Graph raw, IBackend backend, TraceOptions options)
    {
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        return options.Optimize ? Run(raw.Clone(), Jit.SelfCheck, options.Fuse ? backend : null) : raw;
    }

    /// <summary>The joint-graph phase: a copy of <paramref name="joint"/>, cleaned up (never fused) unless <see cref="TraceOptions.Optimize"/> is off.</summary>
    public static Graph Joint(Graph joint, TraceOptions options)
    {
        ArgumentNullException.ThrowIfNull(joint);
        ArgumentNullException.ThrowIfNull(options);
        return options.Optimize ? Run(joint.Clone(), Jit.SelfCheck, fuseFor: null) : joint.Clone();
    }

    /// <summary>The forward half of a split joint graph, optimized in place: the passes of <see cref="Inference"/>.</summary>
    public static Graph Forward(Graph forward, IBackend backend, TraceOptions options) => Half(forward, backend, options);

    /// <summary>The backward half of a split joint graph, optimized in place: the passes of <see cref="Inference"/>.</summary>
    public static Graph Backward(Graph backward, IBackend backend, TraceOptions options) => Half(backward, backend, options);

    /// <summary>
    /// The training phases: <see cref="Joint"/>, the <see cref="Partitioner"/>'s split (null, with the reason, when the
    /// graph cannot be split), then <see cref="Forward"/> and <see cref="Backward"/> on the halves. The joint graph's
    /// first <paramref name="forwardOutputs"/> outputs are the forward's; it ends with <paramref name="gradOutputs"/> gradient inputs.
    /// </summary>
    internal static Partitioner.Result? Training(Graph joint, int forwardOutputs, int gradOutputs, IBackend backend, TraceOptions options, out string? reason)
    {
        reason = null;
        var cleaned = Joint(joint, options);
        Partitioner.Result parts;
        try
        {
            parts = Partitioner.Split(cleaned, forwardOutputs, gradOutputs, backend);
        }
        catch (NotSupportedException e)
        {
            reason = e.Message;
            return null;
        }
        return parts with { Forward = Forward(parts.Forward, backend, options), Backward = Backward(parts.Backward, backend, options) };
    }

    private static Graph Half(Graph g, IBackend backend, TraceOptions options)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        return options.Optimize ? Run(g, Jit.SelfCheck, options.Fuse ? backend : null) : g;
    }

    /// <summary>
    /// As <see cref="Optimize(Graph, bool)"/>; with <paramref name="fuse"/>, an inference batch norm is folded into the convolution or linear layer
    /// before it (<see cref="BatchNormFolding"/>), a relu or residual add after a linear, or a
    /// relu after a convolution, is folded into its GEMM (<see cref="LinearEpilogues"/>, <see cref="ConvEpilogues"/>), then the elementwise chains are grouped by
    /// <see cref="ElementwiseFusion"/> (followed by a last dce).
    /// </summary>
    public static Graph Optimize(Graph g, bool verify, bool fuse)
    {
        ArgumentNullException.ThrowIfNull(g);
        return Run(g, verify, fuse ? CpuBackend.Instance : null);
    }

    /// <summary>The rounds of cleanup, then, with <paramref name="fuseFor"/>, what that backend fuses.</summary>
    private static Graph Run(Graph g, bool verify, IBackend? fuseFor)
    {
        var logged = LoggedPasses();
        if (verify) Verify(g, "input");
        for (int round = 0; round < MaxRounds; round++)
        {
            bool changed = false;
            foreach (var pass in Passes)
            {
                bool log = logged.Contains("all") || logged.Contains(pass.Name);
                if (log) Dump($"before {pass.Name}", g);
                changed |= pass.Run(g);
                if (log) Dump($"after {pass.Name}", g);
                if (verify) Verify(g, pass.Name);
            }
            if (!changed) break;
        }
        if (fuseFor is not null)
            foreach (var pass in FusionPasses(fuseFor))
            {
                bool log = logged.Contains("all") || logged.Contains(pass.Name);
                if (log) Dump($"before {pass.Name}", g);
                pass.Run(g);
                if (log) Dump($"after {pass.Name}", g);
                if (verify) Verify(g, pass.Name);
            }
        return g;
    }

    /// <summary>What runs after the rounds for a backend that fuses: epilogues, then elementwise fusion, then a last dce.</summary>
    private static List<IGraphPass> FusionPasses(IBackend backend)
    {
        var passes = new List<IGraphPass>();
        if (backend.FusesLinearEpilogues) passes.AddRange([new BatchNormFolding(), new LinearEpilogues(), new ConvEpilogues()]);
        if (backend.FusesElementwise) passes.Add(new ElementwiseFusion(backend));
        if (passes.Count > 0) passes.Add(new DeadCodeElimination());
        return passes;
    }

    /// <summary>True when <see cref="LogVariable"/> names <paramref name="name"/> (or "all"); also used for the "timing" log of tracing phases.</summary>
    internal static bool Logs(string name) => LoggedPasses() is var l && (l.Contains("all") || l.Contains(name));

    private static HashSet<string> LoggedPasses() =>
        (Environment.GetEnvironmentVariable(LogVariable) ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

    private static void Dump(string header, Graph g) => Console.Error.Write($"[{LogVariable}] {header}:\n{Printer.Print(g)}");

    private static void Verify(Graph g, string after)
    {
        try
        {
            GraphVerifier.Lint(g);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"JIT: the graph is malformed after pass '{after}': {e.Message}", e);
        }
    }
}
