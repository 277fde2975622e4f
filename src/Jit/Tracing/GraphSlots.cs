using System.Globalization;
using System.Text;

namespace Trace.Jit;

/// <summary>
/// A recorded graph split into its structure and its numbers, so that traces of one model at different sizes
/// can be compared: <see cref="Lines"/> hold the structure (op kinds, wiring, dtypes, ranks, every attribute
/// that is not a number), <see cref="Ints"/> every size, stride and int constant, <see cref="Floats"/> every
/// float constant, in one fixed walk order (graph inputs, then each node's attribute and output types).
/// Two traces have the same structure when their lines are equal; their numbers then correspond slot by slot.
/// The stride of a dim of size 1 is <see cref="Any"/>: it never affects which elements a tensor holds, and a view at
/// size 1 may have any stride there.
/// </summary>
internal sealed class GraphSlots
{
    /// <summary>The slot value of a stride that does not matter (its dim has size 1).</summary>
    public const long Any = long.MinValue;

    /// <summary>Where a number lives in the graph it was read from (for rewriting it into a symbolic size).</summary>
    public readonly record struct Place(Value? Value, bool Stride, int Index, Node? Constant);

    private GraphSlots(IReadOnlyList<string> lines, IEnumerable<long> ints, IEnumerable<double> floats, IReadOnlyList<Place> intPlaces,
        IReadOnlyList<Place> floatPlaces, IReadOnlyList<Tensor> constants)
    {
        Lines = lines;
        Ints = [.. ints];
        Floats = [.. floats];
        IntPlaces = intPlaces;
        FloatPlaces = floatPlaces;
        Constants = constants;
    }

    /// <summary>The structure, one line per input and node.</summary>
    public IReadOnlyList<string> Lines { get; }

    /// <summary>Sizes, strides and int constants.</summary>
    public long[] Ints { get; }

    /// <summary>Float constants.</summary>
    public double[] Floats { get; }

    /// <summary>Where each int slot lives.</summary>
    public IReadOnlyList<Place> IntPlaces { get; }

    /// <summary>Where each float slot lives.</summary>
    public IReadOnlyList<Place> FloatPlaces { get; }

    /// <summary>The tensor constants, in the order their nodes occur.</summary>
    public IReadOnlyList<Tensor> Constants { get; }

    /// <summary>Reads <paramref name="g"/> (a recorded graph: no fusion groups).</summary>
    public static GraphSlots Of(Graph g)
    {
        var lines = new List<string>();
        var ints = new List<long>();
        var floats = new List<double>();
        var intPlaces = new List<Place>();
        var floatPlaces = new List<Place>();
        var constants = new List<Tensor>();
        var ids = new Dictionary<Value, int>();
        string Type(Value v)
        {
            if (v.Type is not TensorType t) return v.Type.ToString();
            for (int k = 0; k < t.Shape.Length; k++) { ints.Add(t.Shape[k]); intPlaces.Add(new Place(v, false, k, null)); }
            for (int k = 0; k < t.Strides.Length; k++) { ints.Add(k < t.Shape.Length && t.Shape[k] == 1 ? Any : t.Strides[k]); intPlaces.Add(new Place(v, true, k, null)); }
            return $"{TensorType.DTypeName(t.DType)}[{t.Shape.Length}|{t.Strides.Length}, rg={(t.RequiresGrad ? 1 : 0)}, {t.Device}]";
        }
        foreach (var v in g.Inputs)
        {
            ids[v] = ids.Count;
            lines.Add($"input %{v.Name} : {Type(v)}");
        }
        foreach (var n in g.Nodes)
        {
            if (n.Subgraph is not null) throw new InvalidOperationException("JIT: only recorded graphs (no fusion groups) are compared across sizes.");
            var sb = new StringBuilder(n.Kind);
            if (n.HasAttribute)
            {
                sb.Append('[');
                switch (n.Attribute)
                {
                    case long l when n.Kind == "prim::Constant":
                        ints.Add(l);
                        intPlaces.Add(new Place(null, false, 0, n));
                        sb.Append("int");
                        break;
                    case double d when n.Kind == "prim::Constant":
                        floats.Add(d);
                        floatPlaces.Add(new Place(null, false, 0, n));
                        sb.Append("float");
                        break;
                    case TensorRef:
                        constants.Add(g.ConstantTensor(n));
                        sb.Append("tensor");
                        break;
                    default:
                        sb.Append(Printer.FormatAttribute(n.Attribute));
                        break;
                }
                sb.Append(']');
            }
            if (n.Replay is not null) sb.Append("{replay}");
            sb.Append('(').Append(string.Join(", ", n.Inputs.Select(v => ids.TryGetValue(v, out int i) ? i.ToString(CultureInfo.InvariantCulture) : "?"))).Append(')');
            foreach (var o in n.Outputs)
            {
                ids[o] = ids.Count;
                sb.Append(" -> ").Append(Type(o));
            }
            lines.Add(sb.ToString());
        }
        lines.Add("return (" + string.Join(", ", g.Outputs.Select(o => ids.TryGetValue(o, out int i) ? i.ToString(CultureInfo.InvariantCulture) : "?")) + ")");
        return new GraphSlots(lines, ints, floats, intPlaces, floatPlaces, constants);
    }

    /// <summary>
    /// This trace's numbers with <paramref name="template"/>'s structure, for a trace known to have it: what a
    /// specialization keeps of the traces it stands for (no reference to their graphs, no copy of the structure).
    /// </summary>
    public GraphSlots Compact(GraphSlots template) =>
        new(template.Lines, Ints, Floats, template.IntPlaces, template.FloatPlaces, template.Constants);

    /// <summary>Null when the two traces have one structure; else where they first differ.</summary>
    public string? StructureDifference(GraphSlots other)
    {
        for (int i = 0; i < Math.Min(Lines.Count, other.Lines.Count); i++)
            if (Lines[i] != other.Lines[i]) return $"line {i} is '{Lines[i]}' in one trace and '{other.Lines[i]}' in the other";
        if (Lines.Count != other.Lines.Count) return $"one trace has {Lines.Count} lines, the other {other.Lines.Count}";
        if (Ints.Length != other.Ints.Length || Floats.Length != other.Floats.Length) return "the traces have different numbers of sizes and constants";
        for (int i = 0; i < Constants.Count; i++)
            if (!PassUtil.SameTensor(Constants[i], other.Constants[i]))
                return $"tensor constant {i} ({Constants[i].DType.TorchName()} {Shapes.Format(Constants[i].Shape)}) differs between the traces (a tensor made from the sizes, or captured data that changed)";
        return null;
    }
}
