using System.Globalization;

namespace Trace.Jit;

/// <summary>
/// A TorchScript-style SSA graph: named inputs, nodes in execution order, outputs. Tensor constants
/// (values captured while tracing) live in <see cref="TensorConstants"/> and print as <c>&lt;Tensor:i&gt;</c>.
/// </summary>
public sealed class Graph
{
    private int _nextId;
    private readonly HashSet<string> _names = [];

    /// <summary>Graph inputs (user inputs first, then parameters/buffers by dotted name).</summary>
    public List<Value> Inputs { get; } = [];

    /// <summary>Nodes in execution order.</summary>
    public List<Node> Nodes { get; } = [];

    /// <summary>Graph outputs.</summary>
    public List<Value> Outputs { get; } = [];

    /// <summary>Tensor values of <c>prim::Constant[value=&lt;Tensor:i&gt;]</c> nodes.</summary>
    public List<Tensor> TensorConstants { get; } = [];

    /// <summary>Adds a graph input with a debug name (made unique with a suffix if taken).</summary>
    public Value AddInput(string name, JitType type)
    {
        var v = new Value(Unique(name), type, null);
        Inputs.Add(v);
        return v;
    }

    /// <summary>Appends a node of <paramref name="kind"/> reading <paramref name="inputs"/>, with one output per type.</summary>
    public Node Append(string kind, IEnumerable<Value> inputs, params JitType[] outputTypes) =>
        Insert(Nodes.Count, kind, inputs, outputTypes);

    /// <summary>Inserts a node at position <paramref name="index"/>.</summary>
    public Node Insert(int index, string kind, IEnumerable<Value> inputs, params JitType[] outputTypes)
    {
        var n = new Node(this, kind);
        foreach (var v in inputs)
        {
            n.Inputs.Add(v);
            v.Uses.Add(n);
        }
        foreach (var t in outputTypes) n.Outputs.Add(new Value(Unique(null), t, n));
        Nodes.Insert(index, n);
        return n;
    }

    /// <summary>Adds a node with explicit output names (the parser keeps printed names).</summary>
    internal Node AppendNamed(string kind, IEnumerable<Value> inputs, IEnumerable<(string Name, JitType Type)> outputs)
    {
        var n = new Node(this, kind);
        foreach (var v in inputs)
        {
            n.Inputs.Add(v);
            v.Uses.Add(n);
        }
        foreach (var (name, type) in outputs) n.Outputs.Add(new Value(Reserve(name), type, n));
        Nodes.Add(n);
        return n;
    }

    /// <summary>Inserts a constant node before <paramref name="index"/> (long, double, bool, string, long[], null, or a Tensor).</summary>
    public Value InsertConstant(int index, object? value)
    {
        JitType type;
        object? attr = value;
        switch (value)
        {
            case null: type = JitType.None; break;
            case bool: type = JitType.Bool; break;
            case int or long: type = JitType.Int; attr = Convert.ToInt64(value, CultureInfo.InvariantCulture); break;
            case float or double: type = JitType.Float; attr = Convert.ToDouble(value, CultureInfo.InvariantCulture); break;
            case string: type = JitType.Str; break;
            case long[]: type = JitType.IntList; break;
            case Tensor t:
                TensorConstants.Add(t);
                type = TensorType.Of(t);
                attr = new TensorRef(TensorConstants.Count - 1);
                break;
            default: throw new ArgumentException($"IR: unsupported constant of type {value.GetType().Name}.");
        }
        var n = Insert(index, "prim::Constant", [], type);
        n.Attribute = attr;
        n.HasAttribute = value is not null;
        return n.Output;
    }

    /// <summary>Appends a constant node.</summary>
    public Value AppendConstant(object? value) => InsertConstant(Nodes.Count, value);

    /// <summary>Points every use of <paramref name="old"/> (and graph outputs) at <paramref name="replacement"/>.</summary>
    public void ReplaceAllUses(Value old, Value replacement)
    {
        foreach (var user in old.Uses.ToList())
            for (int i = 0; i < user.Inputs.Count; i++)
                if (user.Inputs[i] == old) user.ReplaceInput(i, replacement);
        for (int i = 0; i < Outputs.Count; i++)
            if (Outputs[i] == old) Outputs[i] = replacement;
    }

    /// <summary>Removes a node whose outputs are unused.</summary>
    public void Remove(Node n)
    {
        if (n.Outputs.Any(o => o.Uses.Count > 0 || Outputs.Contains(o)))
            throw new InvalidOperationException($"IR: cannot remove {n.Kind}: its outputs are still used.");
        foreach (var v in n.Inputs) v.Uses.Remove(n);
        Nodes.Remove(n);
    }

    /// <summary>The value a tensor constant node refers to.</summary>
    public Tensor ConstantTensor(Node n) => n.Attribute is TensorRef r
        ? (uint)r.Index < (uint)TensorConstants.Count ? TensorConstants[r.Index]
            : throw new InvalidOperationException($"IR: {n} refers to <Tensor:{r.Index}>, but the graph has {TensorConstants.Count} tensor constant(s).")
        : throw new InvalidOperationException($"IR: {n} is not a tensor constant.");

    /// <summary>The canonical text (see <see cref="Printer"/>).</summary>
    public override string ToString() => Printer.Print(this);

    /// <summary>The graph in Graphviz's DOT language, fusion groups as clusters (see <see cref="DotPrinter"/>); render with <c>dot -Tsvg</c>.</summary>
    public string ToDot(string name = "graph") => DotPrinter.Print(this, name);

    /// <summary>A deep copy (nodes, values, names; tensor constants are shared).</summary>
    public Graph Clone() => Parser.Parse(ToString(), TensorConstants, this);

    private string Unique(string? hint)
    {
        if (hint is not null && _names.Add(hint)) return hint;
        string baseName = hint ?? "";
        while (true)
        {
            string candidate = hint is null ? (_nextId++).ToString(CultureInfo.InvariantCulture) : $"{baseName}.{_nextId++}";
            if (_names.Add(candidate)) return candidate;
        }
    }

    private string Reserve(string name)
    {
        if (!_names.Add(name)) throw new FormatException($"IR: value %{name} is defined twice.");
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int id) && id >= _nextId) _nextId = id + 1;
        return name;
    }

    internal Value AddNamedInput(string name, JitType type)
    {
        var v = new Value(Reserve(name), type, null);
        Inputs.Add(v);
        return v;
    }
}

/// <summary>Reference to <see cref="Graph.TensorConstants"/>[<see cref="Index"/>], printed <c>&lt;Tensor:i&gt;</c>.</summary>
public readonly record struct TensorRef(int Index);
