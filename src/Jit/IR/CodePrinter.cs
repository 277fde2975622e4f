using System.Text;

namespace Trace.Jit;

/// <summary>Prints a graph as C#-like source (the <c>Code</c> view): one statement per op, constants inlined.</summary>
public static class CodePrinter
{
    /// <summary>The graph as a C#-like method named <paramref name="name"/>.</summary>
    public static string Print(Graph g, string name = "Forward")
    {
        var inline = new Dictionary<Value, string>();
        string Ref(Value v) => inline.TryGetValue(v, out var s) ? s : Identifier(v);
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(g.Outputs.Count == 1 ? "" : "[]").Append(' ').Append(Identifier(name)).Append('(')
          .Append(string.Join(", ", g.Inputs.Select(i => $"Tensor {Identifier(i)}"))).Append(")\n{\n");
        foreach (var n in g.Nodes)
        {
            switch (n.Kind)
            {
                case "prim::Constant":
                    inline[n.Output] = n.Attribute switch
                    {
                        TensorRef r => $"constants[{r.Index}]",
                        null => "null",
                        bool b => b ? "true" : "false",
                        string str => "\"" + str + "\"",
                        long[] a => "new[] { " + string.Join(", ", a) + " }",
                        _ => Printer.FormatAttribute(n.Attribute),
                    };
                    break;
                case SymbolicScalar.IntKind or SymbolicScalar.FloatKind:
                    inline[n.Output] = "(" + n.Attribute + ")";
                    break;
                case "prim::ListConstruct":
                    inline[n.Output] = "new[] { " + string.Join(", ", n.Inputs.Select(Ref)) + " }";
                    break;
                case "prim::ValueGuard":
                    sb.Append("    Guard(").Append(Ref(n.Inputs[0])).Append(" == ").Append(Printer.FormatAttribute(n.Attribute)).Append(");\n");
                    break;
                default:
                    var op = n.Kind.Contains("::") ? n.Kind.Replace("::", ".") : n.Kind;
                    var target = n.Outputs.Count == 1 ? Identifier(n.Output) : "(" + string.Join(", ", n.Outputs.Select(Identifier)) + ")";
                    sb.Append("    var ").Append(target).Append(" = ").Append(op).Append('(')
                      .Append(string.Join(", ", n.Inputs.Select(Ref))).Append(");\n");
                    break;
            }
        }
        sb.Append("    return ").Append(g.Outputs.Count == 1 ? Ref(g.Outputs[0]) : "new[] { " + string.Join(", ", g.Outputs.Select(Ref)) + " }").Append(";\n}\n");
        return sb.ToString();
    }

    private static string Identifier(Value v) => char.IsDigit(v.Name[0]) ? "t" + Identifier(v.Name) : Identifier(v.Name);

    private static string Identifier(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
}
