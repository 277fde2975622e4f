namespace Trace.Jit;

/// <summary>Pass order (being replaced by the full pipeline).</summary>
public static class PassPipeline
{
    /// <summary>Optimizes a graph.</summary>
    public static Graph Optimize(Graph g, bool verify = false) => g;
}
