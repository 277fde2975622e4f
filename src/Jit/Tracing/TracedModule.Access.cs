namespace Trace.Jit;

public sealed partial class TracedModule
{
    /// <summary>
    /// The forward of the most recently used specialization as recorded: no passes, no fusion, no backward. Its inputs are
    /// the call's inputs (<see cref="InputNames"/>), then the parameters and buffers by name, then tensors lifted to inputs
    /// while tracing. Exporters (ONNX, Graphviz) read this graph.
    /// </summary>
    public Graph ForwardGraph => Last.CheckGraph;

    /// <summary>The names of the call's inputs, in order (<c>input</c>, or <c>input0</c>, <c>input1</c>, … for several).</summary>
    public IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>The parameters and buffers the graphs read, by graph input name, as they are now.</summary>
    internal IReadOnlyList<(string Name, Tensor Tensor)> CurrentParameters() => _parameters();

    /// <summary>The tensors the most recently used specialization lifted to graph inputs (after the parameters).</summary>
    internal IReadOnlyList<Tensor> LastLifted => Last.Lifted;
}
