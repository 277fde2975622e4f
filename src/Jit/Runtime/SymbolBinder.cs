namespace Trace.Jit;

/// <summary>
/// Binds the size symbols of a symbolic graph (<see cref="SymbolicDims"/>) at a call: symbol <c>si</c> takes the
/// size of the first graph input dim typed exactly <c>si</c>; <see cref="InputTypes.Check"/> then compares every
/// input's sizes with its type at those values, so that a call the graph does not describe is an error rather than a
/// wrong result. A graph whose symbols are not all input dims (a backward graph, a fusion body) takes the values
/// bound by the graph that runs it.
/// </summary>
internal sealed class SymbolBinder
{
    private readonly (int Input, int Dim)[] _sources;

    private SymbolBinder(Graph graph, int count)
    {
        _sources = Enumerable.Repeat((-1, -1), count).ToArray();
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            if (graph.Inputs[i].TensorType is not { } t) continue;
            for (int d = 0; d < t.Shape.Length; d++)
                if (SymbolicDims.IsSymbolic(t.Shape[d]) && SymbolicDims.Decode(t.Shape[d]).BareSymbol is int s && _sources[s].Input < 0)
                    _sources[s] = (i, d);
        }
    }

    /// <summary>Number of symbols the graph uses.</summary>
    public int Count => _sources.Length;

    /// <summary>A binder for <paramref name="g"/>, or null when nothing in it (types, size nodes, fusion bodies) is symbolic.</summary>
    public static SymbolBinder? For(Graph g)
    {
        int count = SymbolCount(g);
        return count == 0 ? null : new SymbolBinder(g, count);
    }

    /// <summary>One more than the largest symbol index anywhere in <paramref name="g"/>.</summary>
    public static int SymbolCount(Graph g)
    {
        int count = 0;
        void See(JitType type)
        {
            if (type is TensorType t && t.IsSymbolic) count = Math.Max(count, SymbolicDims.SymbolCount(t.Shape.Concat(t.Strides)));
        }
        foreach (var v in g.Inputs) See(v.Type);
        foreach (var n in g.Nodes)
        {
            foreach (var o in n.Outputs) See(o.Type);
            if (SymbolicScalar.Is(n)) count = Math.Max(count, SymbolicScalar.Expression(n).SymbolCount);
            if (n.Subgraph is { } body) count = Math.Max(count, SymbolCount(body));
        }
        return count;
    }

    /// <summary>
    /// The symbols' values for a call on <paramref name="inputs"/>: <paramref name="given"/> when the caller bound
    /// them, else read from the inputs' sizes (an input missing or of another rank reads 0; the check of the
    /// inputs against their types reports it).
    /// </summary>
    public long[] Bind(IReadOnlyList<Tensor> inputs, long[]? given)
    {
        if (given is not null)
            return given.Length >= Count ? given : throw new InvalidOperationException($"JIT: the graph uses {Count} size symbols, {given.Length} were bound.");
        var values = new long[Count];
        for (int s = 0; s < Count; s++)
        {
            var (i, d) = _sources[s];
            if (i < 0)
                throw new InvalidOperationException($"JIT: size symbol s{s} is not the size of any input dim of this graph; it must be run with the sizes bound by its caller.");
            values[s] = i < inputs.Count && inputs[i] is { } t && d < t.Dim ? t.Shape[d] : 0;
        }
        return values;
    }
}

/// <summary>
/// An op of a symbolic graph produced sizes other than its type's formulas give at the call's sizes: the graph
/// does not describe this call (a size it was not traced at behaves differently), which is then traced anew.
/// </summary>
public sealed class SymbolicShapeException : InvalidOperationException
{
    internal SymbolicShapeException(Node node, Value value, Tensor output, long[] symbols) : base(
        $"JIT: {node.Kind} produced shape {Shapes.Format(output.Shape)}, but its symbolic type {SymbolicDims.FormatShape(value.TensorType!.Shape)} " +
        $"is {Shapes.Format(SymbolicDims.Evaluate(value.TensorType!.Shape, symbols))} at {string.Join(", ", symbols.Select((v, s) => $"s{s} = {v}"))}.")
    {
    }
}
