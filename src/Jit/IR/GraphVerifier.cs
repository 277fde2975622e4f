namespace Trace.Jit;

/// <summary>
/// Checks a graph's invariants, as TorchScript's <c>Graph::lint</c> does: SSA (each value defined once,
/// before its uses), use lists that match the actual uses, defined graph outputs, constants whose value
/// matches their type, int lists of ints, and tensor-typed op outputs. Run after every pass in tests
/// (<see cref="PassPipeline.Optimize(Graph, bool)"/> with <c>verify: true</c>).
/// </summary>
public static class GraphVerifier
{
    /// <summary>Throws <see cref="InvalidOperationException"/> describing the first broken invariant of <paramref name="g"/>.</summary>
    public static void Lint(Graph g)
    {
        ArgumentNullException.ThrowIfNull(g);
        var defined = new Dictionary<Value, string>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        void Define(Value v, string where)
        {
            if (defined.TryGetValue(v, out var first)) throw Fail($"%{v.Name} is defined twice ({first} and {where})");
            if (names.TryGetValue(v.Name, out var other)) throw Fail($"the name %{v.Name} is used by two values ({other} and {where})");
            defined[v] = where;
            names[v.Name] = where;
        }
        foreach (var v in g.Inputs)
        {
            if (v.Node is not null) throw Fail($"graph input %{v.Name} claims to be produced by {v.Node.Kind}");
            Define(v, "graph input");
        }
        var position = new Dictionary<Node, int>();
        for (int i = 0; i < g.Nodes.Count; i++)
            if (!position.TryAdd(g.Nodes[i], i)) throw Fail($"node {i} ({g.Nodes[i].Kind}) appears twice in the node list");
        var actualUses = new Dictionary<Value, List<Node>>();
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            string at = $"node {i} ({n.Kind})";
            if (n.Owner != g) throw Fail($"{at} belongs to another graph");
            foreach (var v in n.Inputs)
            {
                if (!defined.ContainsKey(v))
                {
                    throw Fail(v.Node is not null && position.TryGetValue(v.Node, out int later)
                        ? $"{at} uses %{v.Name} before its definition at node {later} ({v.Node.Kind})"
                        : $"{at} uses %{v.Name}, which is not defined in this graph");
                }
                if (!actualUses.TryGetValue(v, out var list)) actualUses[v] = list = [];
                list.Add(n);
            }
            foreach (var o in n.Outputs)
            {
                Define(o, at);
                if (o.Node != n) throw Fail($"{at} lists output %{o.Name}, whose producer is {o.Node?.Kind ?? "none (a graph input)"}");
            }
            CheckNode(g, n, at);
        }
        foreach (var v in defined.Keys) CheckUses(v, actualUses.GetValueOrDefault(v) ?? [], position);
        foreach (var o in g.Outputs)
            if (!defined.ContainsKey(o)) throw Fail($"graph output %{o.Name} is not defined in this graph");
    }

    private static void CheckUses(Value v, List<Node> actual, Dictionary<Node, int> position)
    {
        var listed = v.Uses.GroupBy(n => n).ToDictionary(x => x.Key, x => x.Count());
        var real = actual.GroupBy(n => n).ToDictionary(x => x.Key, x => x.Count());
        foreach (var (n, count) in listed)
        {
            string who = position.TryGetValue(n, out int i) ? $"node {i} ({n.Kind})" : $"{n.Kind}, which is not in the graph,";
            int reads = real.GetValueOrDefault(n);
            if (reads != count) throw Fail($"the use list of %{v.Name} names {who} {count} time(s), but it reads %{v.Name} {reads} time(s)");
        }
        foreach (var (n, count) in real)
            if (!listed.ContainsKey(n)) throw Fail($"node {position[n]} ({n.Kind}) reads %{v.Name} {count} time(s), but the use list of %{v.Name} does not name it");
    }

    private static void CheckNode(Graph g, Node n, string at)
    {
        switch (n.Kind)
        {
            case "prim::Constant":
                if (n.Inputs.Count != 0 || n.Outputs.Count != 1) throw Fail($"{at} must have no inputs and one output");
                CheckConstant(g, n, at);
                break;
            case SymbolicScalar.IntKind or SymbolicScalar.FloatKind:
                if (n.Inputs.Count != 0 || n.Outputs.Count != 1) throw Fail($"{at} must have no inputs and one output");
                if (!n.Output.Type.Equals(n.Kind == SymbolicScalar.IntKind ? JitType.Int : JitType.Float))
                    throw Fail($"{at} has output %{n.Output.Name} of type {n.Output.Type}; {n.Kind} yields {(n.Kind == SymbolicScalar.IntKind ? "int" : "float")}");
                try
                {
                    SymbolicScalar.Expression(n);
                }
                catch (InvalidOperationException e)
                {
                    throw Fail($"{at}: {e.Message.TrimEnd('.')}");
                }
                break;
            case "prim::ListConstruct":
                if (n.Outputs.Count != 1 || !n.Output.Type.Equals(JitType.IntList)) throw Fail($"{at} must have one output of type int[]");
                foreach (var v in n.Inputs)
                    if (!v.Type.Equals(JitType.Int)) throw Fail($"{at} has element %{v.Name} of type {v.Type}; int lists hold ints only");
                break;
            default:
                if (!n.Kind.Contains("::", StringComparison.Ordinal) || n.Kind.StartsWith("prim::", StringComparison.Ordinal)) break;
                foreach (var o in n.Outputs)
                    if (o.Type is not TensorType) throw Fail($"{at} has output %{o.Name} of type {o.Type}; op outputs must be specialized tensor types");
                break;
        }
    }

    private static void CheckConstant(Graph g, Node n, string at)
    {
        var type = n.Output.Type;
        object? a = n.Attribute;
        string value = n.HasAttribute ? Printer.FormatAttribute(a) : "no value";
        if (type is TensorType t)
        {
            if (!n.HasAttribute || a is not TensorRef r) throw Fail($"{at} of type {t} holds {value}, not a tensor reference");
            if (r.Index < 0 || r.Index >= g.TensorConstants.Count)
                throw Fail($"{at} refers to <Tensor:{r.Index}>, but the graph has {g.TensorConstants.Count} tensor constant(s)");
            var c = g.TensorConstants[r.Index];
            if (c.DType != t.DType || !c.Shape.SequenceEqual(t.Shape))
                throw Fail($"{at} is typed {TensorType.DTypeName(t.DType)}({string.Join(", ", t.Shape)}) but <Tensor:{r.Index}> is {TensorType.DTypeName(c.DType)}({string.Join(", ", c.Shape)})");
            return;
        }
        bool ok = type.ToString() switch
        {
            "int" => n.HasAttribute && a is long,
            "float" => n.HasAttribute && a is double,
            "bool" => n.HasAttribute && a is bool,
            "str" => n.HasAttribute && a is string,
            "int[]" => n.HasAttribute && a is long[],
            "NoneType" => !n.HasAttribute && a is null,
            _ => false,
        };
        if (!ok) throw Fail($"{at} of type {type} holds {value} ({(n.HasAttribute ? a?.GetType().Name ?? "null" : "no attribute")})");
    }

    private static InvalidOperationException Fail(string message) => new($"IR lint: {message}.");
}
