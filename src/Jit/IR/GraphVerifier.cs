using Trace.Ops;

namespace Trace.Jit;

/// <summary>
/// Checks a graph's invariants, as TorchScript's <c>Graph::lint</c> does: SSA (each value defined once,
/// before its uses), use lists that match the actual uses, defined graph outputs, constants whose value
/// matches their type, int lists of ints, and tensor-typed op outputs — and that the executors can run it:
/// tensor inputs and outputs, well-formed tensor types (non-negative sizes, one non-negative stride per dim),
/// one output per node (none for a value guard, which holds the values it compares; three for
/// <c>aten::native_layer_norm</c> and two for <c>aten::max</c>/<c>aten::min</c> along a dim, see
/// <see cref="Trace.Ops.OpDef.OutputCount"/>), the arity and argument kinds of each op's schema, values only on constants and guards, and fusion groups whose body (checked
/// the same way; groups do not nest) matches their inputs and output. Run after every pass in tests
/// (<see cref="PassPipeline.Optimize(Graph, bool)"/> with <c>verify: true</c>).
/// </summary>
public static class GraphVerifier
{
    /// <summary>Throws <see cref="InvalidOperationException"/> describing the first broken invariant of <paramref name="g"/>.</summary>
    public static void Lint(Graph g)
    {
        ArgumentNullException.ThrowIfNull(g);
        LintScoped(g, scope: "");
    }

    /// <summary>Lints <paramref name="g"/>; <paramref name="scope"/> prefixes messages about a fusion-group body ("" for the graph itself).</summary>
    private static void LintScoped(Graph g, string scope)
    {
        var defined = new Dictionary<Value, string>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        void Define(Value v, string where)
        {
            if (defined.TryGetValue(v, out var first)) throw Fail(scope, $"%{v.Name} is defined twice ({first} and {where})");
            if (names.TryGetValue(v.Name, out var other)) throw Fail(scope, $"the name %{v.Name} is used by two values ({other} and {where})");
            defined[v] = where;
            names[v.Name] = where;
        }
        foreach (var v in g.Inputs)
        {
            if (v.Node is not null) throw Fail(scope, $"graph input %{v.Name} claims to be produced by {v.Node.Kind}");
            Define(v, "graph input");
            if (!IsTensor(v.Type)) throw Fail(scope, $"graph input %{v.Name} has type {v.Type}; graphs take tensors only");
            CheckType(v, "graph input", scope);
        }
        var position = new Dictionary<Node, int>();
        for (int i = 0; i < g.Nodes.Count; i++)
            if (!position.TryAdd(g.Nodes[i], i)) throw Fail(scope, $"node {i} ({g.Nodes[i].Kind}) appears twice in the node list");
        var actualUses = new Dictionary<Value, List<Node>>();
        for (int i = 0; i < g.Nodes.Count; i++)
        {
            var n = g.Nodes[i];
            string at = $"node {i} ({n.Kind})";
            if (n.Owner != g) throw Fail(scope, $"{at} belongs to another graph");
            foreach (var v in n.Inputs)
            {
                if (!defined.ContainsKey(v))
                {
                    throw Fail(scope, v.Node is not null && position.TryGetValue(v.Node, out int later)
                        ? $"{at} uses %{v.Name} before its definition at node {later} ({v.Node.Kind})"
                        : $"{at} uses %{v.Name}, which is not defined in this graph");
                }
                if (!actualUses.TryGetValue(v, out var list)) actualUses[v] = list = [];
                list.Add(n);
            }
            foreach (var o in n.Outputs)
            {
                Define(o, at);
                if (o.Node != n) throw Fail(scope, $"{at} lists output %{o.Name}, whose producer is {o.Node?.Kind ?? "none (a graph input)"}");
                CheckType(o, at + " output", scope);
            }
            CheckNode(g, n, at, scope);
        }
        foreach (var v in defined.Keys) CheckUses(v, actualUses.GetValueOrDefault(v) ?? [], position, scope);
        foreach (var o in g.Outputs)
        {
            if (!defined.ContainsKey(o)) throw Fail(scope, $"graph output %{o.Name} is not defined in this graph");
            if (!IsTensor(o.Type)) throw Fail(scope, $"graph output %{o.Name} has type {o.Type}; graphs return tensors only");
        }
    }

    /// <summary>A tensor type the executors can hold: non-negative or symbolic sizes, and one non-negative or symbolic stride per dim.</summary>
    private static void CheckType(Value v, string what, string scope)
    {
        if (v.Type is not TensorType t) return;
        for (int d = 0; d < t.Shape.Length; d++)
            if (t.Shape[d] < 0 && !SymbolicDims.IsCode(t.Shape[d])) throw Fail(scope, $"{what} %{v.Name} of type {t} has size {t.Shape[d]} in dim {d}; sizes are non-negative");
        if (t.Strides.Length != t.Shape.Length)
            throw Fail(scope, $"{what} %{v.Name} of type {t} has {t.Strides.Length} stride(s) for {t.Shape.Length} dim(s)");
        for (int d = 0; d < t.Strides.Length; d++)
            if (t.Strides[d] < 0 && !SymbolicDims.IsCode(t.Strides[d])) throw Fail(scope, $"{what} %{v.Name} of type {t} has stride {t.Strides[d]} in dim {d}; strides are non-negative");
    }

    private static bool IsTensor(JitType t) => t is TensorType || t.Equals(JitType.AnyTensor);

    private static void CheckUses(Value v, List<Node> actual, Dictionary<Node, int> position, string scope)
    {
        var listed = v.Uses.GroupBy(n => n).ToDictionary(x => x.Key, x => x.Count());
        var real = actual.GroupBy(n => n).ToDictionary(x => x.Key, x => x.Count());
        foreach (var (n, count) in listed)
        {
            string who = position.TryGetValue(n, out int i) ? $"node {i} ({n.Kind})" : $"{n.Kind}, which is not in the graph,";
            int reads = real.GetValueOrDefault(n);
            if (reads != count) throw Fail(scope, $"the use list of %{v.Name} names {who} {count} time(s), but it reads %{v.Name} {reads} time(s)");
        }
        foreach (var (n, count) in real)
            if (!listed.ContainsKey(n)) throw Fail(scope, $"node {position[n]} ({n.Kind}) reads %{v.Name} {count} time(s), but the use list of %{v.Name} does not name it");
    }

    private static void CheckNode(Graph g, Node n, string at, string scope)
    {
        if (n.HasAttribute && n.Kind is not ("prim::Constant" or "prim::ValueGuard") && !SymbolicScalar.Is(n))
            throw Fail(scope, $"{at} holds a value ({Printer.FormatAttribute(n.Attribute)}); only constants, size expressions and value guards do");
        if (n.Subgraph is not null && n.Kind != "prim::FusionGroup") throw Fail(scope, $"{at} has a body; only prim::FusionGroup nodes do");
        switch (n.Kind)
        {
            case "prim::Constant":
                if (n.Inputs.Count != 0 || n.Outputs.Count != 1) throw Fail(scope, $"{at} must have no inputs and one output");
                CheckConstant(g, n, at, scope);
                break;
            case SymbolicScalar.IntKind or SymbolicScalar.FloatKind:
                if (n.Inputs.Count != 0 || n.Outputs.Count != 1) throw Fail(scope, $"{at} must have no inputs and one output");
                if (!n.Output.Type.Equals(n.Kind == SymbolicScalar.IntKind ? JitType.Int : JitType.Float))
                    throw Fail(scope, $"{at} has output %{n.Output.Name} of type {n.Output.Type}; {n.Kind} yields {(n.Kind == SymbolicScalar.IntKind ? "int" : "float")}");
                try
                {
                    SymbolicScalar.Expression(n);
                }
                catch (InvalidOperationException e)
                {
                    throw Fail(scope, $"{at}: {e.Message.TrimEnd('.')}");
                }
                break;
            case "prim::ListConstruct":
                if (n.Outputs.Count != 1 || !n.Output.Type.Equals(JitType.IntList)) throw Fail(scope, $"{at} must have one output of type int[]");
                foreach (var v in n.Inputs)
                    if (!v.Type.Equals(JitType.Int)) throw Fail(scope, $"{at} has element %{v.Name} of type {v.Type}; int lists hold ints only");
                break;
            case "prim::ValueGuard":
                if (n.Inputs.Count != 1 || !IsTensor(n.Inputs[0].Type)) throw Fail(scope, $"{at} must read one tensor");
                if (n.Outputs.Count != 0) throw Fail(scope, $"{at} must have no outputs");
                if (!n.HasAttribute || n.Attribute is not double[]) throw Fail(scope, $"{at} has no value to compare with (a list of floats, value=[...])");
                break;
            case "prim::FusionGroup":
                CheckFusionGroup(g, n, at, scope);
                break;
            default:
                if (n.Kind.StartsWith("prim::", StringComparison.Ordinal)) throw Fail(scope, $"{at} is not a primitive the executors know");
                var (fewest, most) = n.Def?.OutputCount(n.Inputs.Count) ?? (1, 1);
                if (n.Outputs.Count < fewest || n.Outputs.Count > most)
                    throw Fail(scope, $"{at} has {(n.Outputs.Count == 0 ? "no outputs" : $"{n.Outputs.Count} outputs")}; {n.Kind} with {n.Inputs.Count} input(s) has {(fewest == most ? $"{fewest}" : $"{fewest} or {most}")}");
                if (n.Outputs.Count > 1 && n.Replay is not null)
                    throw Fail(scope, $"{at} has {n.Outputs.Count} outputs and a replay function; replays return one tensor");
                if (n.Def is { } def)
                {
                    if (!def.Schema.AllowsInputs(n.Inputs.Count))
                        throw Fail(scope, $"{at} takes {def.Schema.ArityText} input(s), got {n.Inputs.Count} ({def.Schema})");
                    for (int k = 0; k < n.Inputs.Count; k++)
                        if (def.Schema.ArgAt(k, n.Inputs.Count) is var arg && !Fits(arg, n.Inputs[k].Type))
                            throw Fail(scope, $"{at} argument {k} is %{n.Inputs[k].Name} of type {n.Inputs[k].Type}, but {def.Name} expects {arg}");
                }
                if (!n.Kind.Contains("::", StringComparison.Ordinal)) break;
                foreach (var o in n.Outputs)
                    if (o.Type is not TensorType) throw Fail(scope, $"{at} has output %{o.Name} of type {o.Type}; op outputs must be specialized tensor types");
                break;
        }
    }

    /// <summary>
    /// True when a value of type <paramref name="t"/> can bind to <paramref name="a"/>: None only where the schema allows it, a
    /// number where a Tensor is expected (it becomes a wrapped 0-dim tensor), an int where a float is.
    /// </summary>
    private static bool Fits(OpArg a, JitType t) => t.Equals(JitType.None) ? a.Nullable : a.Kind switch
    {
        ArgKind.Tensor => IsTensor(t) || t.Equals(JitType.Int) || t.Equals(JitType.Float) || t.Equals(JitType.Bool),
        ArgKind.TensorList => IsTensor(t),
        ArgKind.Int or ArgKind.ScalarType => t.Equals(JitType.Int),
        ArgKind.IntList => t.Equals(JitType.IntList),
        ArgKind.Float => t.Equals(JitType.Float) || t.Equals(JitType.Int),
        ArgKind.Bool => t.Equals(JitType.Bool),
        _ => t.Equals(JitType.Str),
    };

    /// <summary>A fusion group: a body (linted too; groups do not nest) taking the node's input types and returning its one output type.</summary>
    private static void CheckFusionGroup(Graph g, Node n, string at, string scope)
    {
        if (n.Subgraph is not { } body) throw Fail(scope, $"{at} has no body");
        if (scope.Length > 0 || body == g) throw Fail(scope, $"{at} is inside a fusion-group body; fusion groups do not nest");
        if (n.Outputs.Count != 1 || body.Outputs.Count != 1)
            throw Fail(scope, $"{at} has {n.Outputs.Count} output(s) and its body returns {body.Outputs.Count}; a fusion group returns one tensor");
        if (n.Inputs.Count != body.Inputs.Count) throw Fail(scope, $"{at} passes {n.Inputs.Count} input(s) to a body that takes {body.Inputs.Count}");
        for (int k = 0; k < n.Inputs.Count; k++)
            if (!n.Inputs[k].Type.Equals(body.Inputs[k].Type))
                throw Fail(scope, $"{at} passes %{n.Inputs[k].Name} of type {n.Inputs[k].Type} as body input %{body.Inputs[k].Name} of type {body.Inputs[k].Type}");
        if (!n.Output.Type.Equals(body.Outputs[0].Type))
            throw Fail(scope, $"{at} has output type {n.Output.Type} but its body returns %{body.Outputs[0].Name} of type {body.Outputs[0].Type}");
        LintScoped(body, $"in the body of {at}: ");
    }

    private static void CheckConstant(Graph g, Node n, string at, string scope)
    {
        var type = n.Output.Type;
        object? a = n.Attribute;
        string value = n.HasAttribute ? Printer.FormatAttribute(a) : "no value";
        if (type is TensorType t)
        {
            if (!n.HasAttribute || a is not TensorRef r) throw Fail(scope, $"{at} of type {t} holds {value}, not a tensor reference");
            if (r.Index < 0 || r.Index >= g.TensorConstants.Count)
                throw Fail(scope, $"{at} refers to <Tensor:{r.Index}>, but the graph has {g.TensorConstants.Count} tensor constant(s)");
            var c = g.TensorConstants[r.Index];
            if (c.DType != t.DType || !c.Shape.SequenceEqual(t.Shape))
                throw Fail(scope, $"{at} is typed {TensorType.DTypeName(t.DType)}({string.Join(", ", t.Shape)}) but <Tensor:{r.Index}> is {TensorType.DTypeName(c.DType)}({string.Join(", ", c.Shape)})");
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
        if (!ok) throw Fail(scope, $"{at} of type {type} holds {value} ({(n.HasAttribute ? a?.GetType().Name ?? "null" : "no attribute")})");
    }

    private static InvalidOperationException Fail(string scope, string message) => new($"IR lint: {scope}{message}.");
}
