namespace Trace.Jit;

// The one place where pass order lives. Each round runs peephole (exposes identities and shortens chains),
// slicecat (sums of slice gradients that tile a dim become one cat), constprop (folds what became constant),
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
        [new Peephole(), new SliceGradientsToCat(), new ConstantPropagation(), new CommonSubexpressionElimination(), new DeadCodeElimination()];

    /// <summary>
    /// Optimizes <paramref name="g"/> in place and returns it. With <paramref name="verify"/>,
    /// <see cref="GraphVerifier.Lint"/> checks the graph after every pass, and the first malformed graph
    /// throws, naming the pass that produced it.
    /// </summary>
    public static Graph Optimize(Graph g, bool verify = false) => Optimize(g, verify, fuse: false);

    /// <summary>
    /// As <see cref="Optimize(Graph, bool)"/>; with <paramref name="fuse"/>, a relu or residual add after a linear
    /// is folded into its GEMM (<see cref="LinearEpilogues"/>), then the elementwise chains are grouped by
    /// <see cref="ElementwiseFusion"/> (followed by a last dce).
    /// </summary>
    public static Graph Optimize(Graph g, bool verify, bool fuse)
    {
        ArgumentNullException.ThrowIfNull(g);
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
        if (fuse)
            foreach (var pass in new IGraphPass[] { new LinearEpilogues(), new ElementwiseFusion(), new DeadCodeElimination() })
            {
                bool log = logged.Contains("all") || logged.Contains(pass.Name);
                if (log) Dump($"before {pass.Name}", g);
                pass.Run(g);
                if (log) Dump($"after {pass.Name}", g);
                if (verify) Verify(g, pass.Name);
            }
        return g;
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
