using System.Globalization;
using System.Text;

namespace Trace.Jit;

/// <summary>
/// Prints graphs in TorchScript's canonical text form, which <see cref="Parser"/> reads back to the
/// same text:
/// <code>
/// graph(%x : Float(64, 1000, strides=[1000, 1], requires_grad=0, device=cpu),
///       %fc1.weight : Float(100, 1000, strides=[1000, 1], requires_grad=1, device=cpu)):
///   %2 : Float(64, 100, strides=[100, 1], requires_grad=1, device=cpu) = aten::linear(%x, %fc1.weight, %fc1.bias)
///   return (%2)
/// </code>
/// </summary>
public static class Printer
{
    /// <summary>The whole graph.</summary>
    public static string Print(Graph g)
    {
        var groups = g.Nodes.Where(n => n.Subgraph is not null).ToList();
        var sb = new StringBuilder(PrintBody(g, groups));
        for (int i = 0; i < groups.Count; i++)
            sb.Append("with ").Append(groups[i].Kind).Append('_').Append(i).Append(" = ").Append(PrintBody(groups[i].Subgraph!, []));
        return sb.ToString();
    }

    private static string PrintBody(Graph g, List<Node> groups)
    {
        var sb = new StringBuilder("graph(");
        for (int i = 0; i < g.Inputs.Count; i++)
        {
            if (i > 0) sb.Append(",\n      ");
            sb.Append('%').Append(g.Inputs[i].Name).Append(" : ").Append(g.Inputs[i].Type);
        }
        sb.Append("):\n");
        foreach (var n in g.Nodes) sb.Append("  ").Append(PrintNode(n, groups.IndexOf(n))).Append('\n');
        sb.Append("  return (").Append(string.Join(", ", g.Outputs.Select(o => "%" + o.Name))).Append(")\n");
        return sb.ToString();
    }

    /// <summary>One node: <c>%3 : Type = kind[value=...](%a, %b)</c>.</summary>
    public static string PrintNode(Node n) => PrintNode(n, n.Subgraph is null ? -1 : n.Owner.Nodes.Where(m => m.Subgraph is not null).ToList().IndexOf(n));

    private static string PrintNode(Node n, int groupIndex)
    {
        var sb = new StringBuilder();
        sb.Append(string.Join(", ", n.Outputs.Select(o => $"%{o.Name} : {o.Type}")));
        if (n.Outputs.Count > 0) sb.Append(" = ");
        sb.Append(n.Kind);
        if (groupIndex >= 0) sb.Append('_').Append(groupIndex);
        if (n.HasAttribute) sb.Append("[value=").Append(FormatAttribute(n.Attribute)).Append(']');
        sb.Append('(').Append(string.Join(", ", n.Inputs.Select(v => "%" + v.Name))).Append(')');
        return sb.ToString();
    }

    /// <summary>Formats an attribute value: ints, floats (always with a '.' or exponent), bools as 0/1, quoted strings, lists, tensor refs.</summary>
    public static string FormatAttribute(object? value) => value switch
    {
        null => "None",
        bool b => b ? "1" : "0",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatDouble(d),
        string s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        long[] a => "[" + string.Join(", ", a.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]",
        double[] a => "[" + string.Join(", ", a.Select(FormatDouble)) + "]",
        TensorRef r => $"<Tensor:{r.Index}>",
        _ => throw new InvalidOperationException($"IR: cannot print attribute of type {value.GetType().Name}."),
    };

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') ? s.Replace("E", "e") : s + ".";
    }
}
