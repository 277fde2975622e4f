namespace Trace.Jit;

/// <summary>
/// A graph transformation: one class, one file, one verb (TorchScript's <c>passes/</c>). A pass mutates the
/// graph in place; its header comment states what it needs before it and shows its rewrite as before/after IR.
/// The order passes run in lives in one place, <see cref="PassPipeline"/>.
/// </summary>
public interface IGraphPass
{
    /// <summary>The pass's short lowercase name (<c>dce</c>, <c>cse</c>), as used by <c>TRACE_JIT_LOG</c>.</summary>
    string Name { get; }

    /// <summary>Transforms <paramref name="g"/> in place; returns true when it changed something.</summary>
    bool Run(Graph g);
}
