using OnnxPb = global::Onnx;

namespace Trace.Jit;

/// <summary>
/// Writes one recorded forward graph as an ONNX <c>GraphProto</c>: call inputs become graph inputs (with their shapes),
/// parameters, buffers, lifted tensors and tensor constants become initializers, and every IR value keeps its IR name
/// (<c>input</c>, <c>0.weight</c>, <c>3</c>). Each node goes through <see cref="OnnxExportOps"/>; the names of helper
/// values it adds start with <c>onnx::</c>, which IR names never do. Non-tensor constants and int lists are folded into
/// the ONNX attributes and constant inputs that need them.
/// </summary>
internal sealed class OnnxExporter
{
    private readonly Graph _graph;
    private readonly Dictionary<Value, object?> _scalars = [];
    private readonly HashSet<Value> _live = [];
    private int _fresh;

    /// <summary>The graph being written.</summary>
    public OnnxPb.GraphProto Proto { get; } = new();

    /// <summary>The IR node being written (for error messages and helper names).</summary>
    public Node Current { get; private set; } = null!;

    private OnnxExporter(Graph graph) => _graph = graph;

    /// <summary>The ONNX graph of <paramref name="graph"/>: its first <paramref name="callInputs"/> inputs are graph inputs, the rest take <paramref name="values"/>.</summary>
    public static OnnxPb.GraphProto Write(Graph graph, string name, int callInputs, IReadOnlyList<Tensor> values)
    {
        var e = new OnnxExporter(graph);
        e.Proto.Name = name;
        for (int i = 0; i < graph.Inputs.Count; i++)
        {
            var v = graph.Inputs[i];
            if (i < callInputs) e.Proto.Input.Add(e.Info(v.Name, v));
            else e.Proto.Initializer.Add(OnnxTensors.ToProto(v.Name, values[i - callInputs]));
        }
        e.MarkLive();
        foreach (var n in graph.Nodes) e.WriteNode(n);
        e.WriteOutputs();
        return e.Proto;
    }

    private void MarkLive()
    {
        foreach (var o in _graph.Outputs) _live.Add(o);
        for (int i = _graph.Nodes.Count - 1; i >= 0; i--)
        {
            var n = _graph.Nodes[i];
            if (n.HasSideEffects || n.Outputs.Any(_live.Contains))
                foreach (var v in n.Inputs) _live.Add(v);
        }
    }

    /// <summary>True when a value is read by a later node or returned.</summary>
    public bool IsUsed(Value v) => _live.Contains(v);

    private void WriteNode(Node n)
    {
        Current = n;
        if (n.Kind == "prim::Constant")
        {
            if (n.Attribute is TensorRef) Proto.Initializer.Add(OnnxTensors.ToProto(n.Output.Name, _graph.ConstantTensor(n)));
            else _scalars[n.Output] = n.HasAttribute ? n.Attribute : null;
            return;
        }
        if (n.Kind == "prim::ListConstruct")
        {
            _scalars[n.Output] = n.Inputs.Select(v => Scalar(v) is long l ? l
                : throw Unsupported($"a list element %{v.Name} that is not a constant int")).ToArray();
            return;
        }
        if (!n.Outputs.Any(IsUsed) && !n.HasSideEffects) return;
        if (n.IsNondeterministic)
            throw new InvalidOperationException($"Onnx.Export: node %{n.Outputs[0].Name} = {n.Kind} draws random numbers (dropout in training mode?); " +
                "trace the model in eval mode (model.Eval()) to export it.");
        if (!OnnxExportOps.Table.TryGetValue(n.Kind, out var write)) throw Unsupported("this op");
        write(this, n);
        foreach (var o in n.Outputs)
            if (o.TensorType is not null && IsUsed(o) && !_graph.Outputs.Contains(o)) Proto.ValueInfo.Add(Info(o.Name, o));
    }

    private void WriteOutputs()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in _graph.Outputs)
        {
            if (v.TensorType is null) throw new NotSupportedException($"Onnx.Export: graph output %{v.Name} is a {v.Type}, not a tensor.");
            string name = v.Name;
            // ONNX outputs are distinct names produced by nodes: a returned input, initializer or repeated value goes through Identity.
            if (v.Node is null || v.Node.Kind == "prim::Constant" || !seen.Add(name))
            {
                name = $"onnx::Output_{Proto.Output.Count}";
                Add("Identity", [v.Name], [name], $"output{Proto.Output.Count}");
                seen.Add(name);
            }
            Proto.Output.Add(Info(name, v));
        }
    }

    /// <summary>Appends an ONNX node (named after the IR output it computes, plus <paramref name="suffix"/> for helper nodes).</summary>
    public OnnxPb.NodeProto Add(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string? suffix = null, params OnnxPb.AttributeProto[] attributes)
    {
        var node = new OnnxPb.NodeProto { OpType = opType, Name = $"{Current?.Outputs.FirstOrDefault()?.Name ?? "graph"}/{suffix ?? opType}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return node;
    }

    /// <summary>A new helper value name.</summary>
    public string Fresh(string hint) => $"onnx::{hint}_{_fresh++}";

    /// <summary>A helper int64 Constant node (1-D, or 0-dim with <paramref name="scalar"/>): sizes and axes, not initializers an importer would take for weights.</summary>
    public string Longs(long[] values, bool scalar = false)
    {
        string name = Fresh("Constant");
        Add("Constant", [], [name], name, Attr.Tensor("value", OnnxTensors.Longs("", values, scalar)));
        return name;
    }

    /// <summary>A helper 0-dim Constant node of <paramref name="dtype"/>.</summary>
    public string Scalar(double value, DType dtype)
    {
        string name = Fresh("Constant");
        Add("Constant", [], [name], name, Attr.Tensor("value", OnnxTensors.Scalar("", value, dtype)));
        return name;
    }

    /// <summary>The constant a non-tensor value holds (long, double, bool, string, long[] or null).</summary>
    public object? Scalar(Value v) => _scalars.TryGetValue(v, out var s) ? s
        : v.TensorType is null ? throw Unsupported($"the non-constant argument %{v.Name} ({v.Type})") : throw Unsupported($"a tensor %{v.Name} where a constant is needed");

    /// <summary>Input <paramref name="i"/> of <paramref name="n"/> as an int.</summary>
    public long L(Node n, int i) => Scalar(n.Inputs[i]) is long l ? l : throw Unsupported($"argument {i} (%{n.Inputs[i].Name}) is not a constant int");

    /// <summary>Input <paramref name="i"/> as a number.</summary>
    public double D(Node n, int i) => Scalar(n.Inputs[i]) switch { double d => d, long l => l, bool b => b ? 1 : 0, _ => throw Unsupported($"argument {i} (%{n.Inputs[i].Name}) is not a constant number") };

    /// <summary>Input <paramref name="i"/> as an int list (an int alone counts as a one-element list).</summary>
    public long[] Ints(Node n, int i) => Scalar(n.Inputs[i]) switch { long[] a => a, long l => [l], _ => throw Unsupported($"argument {i} (%{n.Inputs[i].Name}) is not a constant int list") };

    /// <summary>True when input <paramref name="i"/> is absent or None.</summary>
    public bool IsNone(Node n, int i) => i >= n.Inputs.Count || (n.Inputs[i].TensorType is null && _scalars.TryGetValue(n.Inputs[i], out var s) && s is null);

    /// <summary>
    /// The ONNX name of input <paramref name="i"/> as a tensor of <paramref name="dtype"/> (or its own dtype when null): a
    /// tensor value (cast when its dtype differs), or a number turned into a 0-dim initializer.
    /// </summary>
    public string T(Node n, int i, DType? dtype = null)
    {
        var v = n.Inputs[i];
        if (v.TensorType is { } tt)
        {
            if (dtype is not { } want || want == tt.DType) return v.Name;
            string cast = Fresh("Cast");
            Add("Cast", [v.Name], [cast], $"cast{i}", Attr.Int("to", OnnxTensors.ElemType(want)));
            return cast;
        }
        return Scalar(D(n, i), dtype ?? DTypeOf(n));
    }

    /// <summary>The dtype of the node's first output.</summary>
    public static DType DTypeOf(Node n) => n.Outputs[0].TensorType?.DType ?? DType.Float32;

    /// <summary>The rank of tensor input <paramref name="i"/>.</summary>
    public static int Rank(Node n, int i) => n.Inputs[i].TensorType?.Shape.Length ?? 0;

    /// <summary>The error for a node this exporter cannot write.</summary>
    public NotSupportedException Unsupported(string what) =>
        new($"Onnx.Export: {Current.Kind} at node %{Current.Outputs.FirstOrDefault()?.Name} is not supported ({what}); supported ops: {string.Join(", ", OnnxExportOps.Table.Keys.Order(StringComparer.Ordinal))}.");

    private OnnxPb.ValueInfoProto Info(string name, Value v)
    {
        var tt = v.TensorType ?? throw new NotSupportedException($"Onnx.Export: value %{v.Name} is a {v.Type}, not a tensor.");
        var shape = new OnnxPb.TensorShapeProto();
        foreach (int d in tt.Shape)
            shape.Dim.Add(d >= 0 ? new OnnxPb.TensorShapeProto.Types.Dimension { DimValue = d } : new OnnxPb.TensorShapeProto.Types.Dimension { DimParam = SymbolicDims.Format(d) });
        return new OnnxPb.ValueInfoProto
        {
            Name = name,
            Type = new OnnxPb.TypeProto { TensorType = new OnnxPb.TypeProto.Types.Tensor { ElemType = OnnxTensors.ElemType(tt.DType), Shape = shape } },
        };
    }
}

/// <summary>ONNX attribute builders.</summary>
internal static class Attr
{
    /// <summary>An INT attribute.</summary>
    public static OnnxPb.AttributeProto Int(string name, long v) => new() { Name = name, Type = OnnxPb.AttributeProto.Types.AttributeType.Int, I = v };

    /// <summary>A FLOAT attribute.</summary>
    public static OnnxPb.AttributeProto Float(string name, double v) => new() { Name = name, Type = OnnxPb.AttributeProto.Types.AttributeType.Float, F = (float)v };

    /// <summary>A TENSOR attribute.</summary>
    public static OnnxPb.AttributeProto Tensor(string name, OnnxPb.TensorProto v) => new() { Name = name, Type = OnnxPb.AttributeProto.Types.AttributeType.Tensor, T = v };

    /// <summary>An INTS attribute.</summary>
    public static OnnxPb.AttributeProto Ints(string name, IEnumerable<long> v)
    {
        var a = new OnnxPb.AttributeProto { Name = name, Type = OnnxPb.AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }
}
