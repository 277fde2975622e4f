using System.Text;

namespace Trace.Jit;

/// <summary>
/// Prints a graph in Graphviz's DOT language (<see cref="Graph.ToDot"/>), to be rendered with
/// <c>dot -Tsvg graph.dot -o graph.svg</c>. Graph inputs are ellipses (parameters that require grad shaded), each node
/// a box labelled with its op kind (and constant value) and its outputs' names and types (<c>Float(64, 100)</c>), one
/// edge per input of a node, from the value's producer, and the outputs double ellipses:
/// <code>
/// digraph "forward" {
///   input_0 [label="%x\nFloat(64, 1000)", shape=ellipse, ...];
///   node_0 [label="aten::linear\n%0 : Float(64, 100)", shape=box, ...];
///   input_0 -> node_0;
///   subgraph cluster_0 {
///     label="prim::FusionGroup_0";
///     g0_input_0 [...]; g0_node_0 [...]; g0_input_0 -> g0_node_0;
///   }
///   output_0 [label="return %3\nFloat(64, 100)", ...];
/// }
/// </code>
/// A node with a body (<c>prim::FusionGroup</c>) is drawn as <c>subgraph cluster_N</c> (numbered in order of
/// appearance; at the top level N is the <c>_N</c> that <see cref="Printer"/> prints) holding its body's inputs and nodes;
/// the group's inputs flow into the body's inputs, and its consumers read from the body node producing each output.
/// Node ids: <c>input_i</c>, <c>node_k</c> (k = index in <see cref="Graph.Nodes"/>) and <c>output_j</c> in the graph;
/// <c>gN_input_i</c> and <c>gN_node_k</c> inside cluster N.
/// </summary>
public static class DotPrinter
{
    /// <summary>The DOT text of <paramref name="graph"/>, as a digraph named <paramref name="name"/>.</summary>
    public static string Print(Graph graph, string name = "graph")
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(name);
        var p = new Emitter();
        p.Line("digraph " + Quote(name) + " {");
        p.Line("  rankdir=TB;");
        p.Line("  node [fontname=\"Helvetica\", fontsize=10];");
        p.Line("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];");
        p.EmitGraph(graph, "", "  ");
        for (int j = 0; j < graph.Outputs.Count; j++)
        {
            var v = graph.Outputs[j];
            p.Line($"  output_{j} [label={Quote("return %" + v.Name + "\n" + ShortType(v.Type))}, shape=ellipse, peripheries=2];");
            p.Edge("  ", v, $"output_{j}");
        }
        p.Line("}");
        return p.Text.ToString();
    }

    /// <summary>
    /// <paramref name="text"/> as a quoted DOT string: backslashes and double quotes escaped, line breaks as <c>\n</c>
    /// (centred lines), and <c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c> as the entities <c>&amp;amp;</c>, <c>&amp;lt;</c>, <c>&amp;gt;</c>:
    /// Graphviz decodes entities in every label, so a literal <c>&amp;amp;</c> would otherwise show as <c>&amp;</c>. An escaped
    /// backslash keeps Graphviz from reading <c>\N</c>, <c>\G</c> etc. as substitutions.
    /// </summary>
    public static string Quote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': break;
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>A value's type as the graph shows it: <c>Float(64, 100)</c> (dtype and sizes, the device when not the CPU), or <c>int</c>.</summary>
    public static string ShortType(JitType type) => type is TensorType t
        ? $"{TensorType.DTypeName(t.DType)}({string.Join(", ", t.Shape.Select(SymbolicDims.Format))}{(t.Device == Device.Cpu ? "" : ", device=" + t.Device)})"
        : type.ToString();

    /// <summary>A node's label: its kind (with <c>[value=...]</c> for constants and guards), then one line per output.</summary>
    public static string Label(Node node)
    {
        var sb = new StringBuilder(node.Kind);
        if (node.HasAttribute) sb.Append("[value=").Append(Printer.FormatAttribute(node.Attribute)).Append(']');
        foreach (var o in node.Outputs) sb.Append('\n').Append('%').Append(o.Name).Append(" : ").Append(ShortType(o.Type));
        return sb.ToString();
    }

    private sealed class Emitter
    {
        private readonly Dictionary<Value, string> _source = [];
        private int _clusters;

        public StringBuilder Text { get; } = new();

        public void Line(string s) => Text.Append(s).Append('\n');

        private string Source(Value v) => _source.TryGetValue(v, out var s) ? s
            : throw new InvalidOperationException($"Graph.ToDot: %{v.Name} is used but is neither a graph input nor the output of an earlier node.");

        public void Edge(string indent, Value from, string to)
        {
            string src = Source(from);
            bool several = from.Node is { Outputs.Count: > 1 };
            Line($"{indent}{src} -> {to}{(several ? " [label=" + Quote("%" + from.Name) + "]" : "")};");
        }

        /// <summary>Draws <paramref name="g"/>'s inputs and nodes, with ids starting <paramref name="prefix"/>.</summary>
        public void EmitGraph(Graph g, string prefix, string indent)
        {
            for (int i = 0; i < g.Inputs.Count; i++)
            {
                var v = g.Inputs[i];
                string id = $"{prefix}input_{i}";
                bool param = v.TensorType?.RequiresGrad == true;
                Line($"{indent}{id} [label={Quote("%" + v.Name + "\n" + ShortType(v.Type))}, shape=ellipse, style=filled, fillcolor=\"{(param ? "#fff2cc" : "#dde8f5")}\"];");
                _source[v] = id;
            }
            var groups = g.Nodes.Where(n => n.Subgraph is not null).ToList();
            for (int k = 0; k < g.Nodes.Count; k++)
            {
                var n = g.Nodes[k];
                if (n.Subgraph is { } body) EmitGroup(n, body, n.Kind + "_" + groups.IndexOf(n), indent);
                else EmitNode(n, $"{prefix}node_{k}", indent);
            }
        }

        private void EmitNode(Node n, string id, string indent)
        {
            bool constant = n.Kind == "prim::Constant";
            string style = constant ? "shape=box, style=\"rounded,dashed\", fontsize=8" : "shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\"";
            Line($"{indent}{id} [label={Quote(Label(n))}, {style}];");
            foreach (var v in n.Inputs) Edge(indent, v, id);
            foreach (var o in n.Outputs) _source[o] = id;
        }

        private void EmitGroup(Node n, Graph body, string title, string indent)
        {
            if (body.Inputs.Count != n.Inputs.Count || body.Outputs.Count != n.Outputs.Count)
                throw new InvalidOperationException($"Graph.ToDot: {title} has {n.Inputs.Count} input(s) and {n.Outputs.Count} output(s), " +
                    $"but its body has {body.Inputs.Count} and {body.Outputs.Count}.");
            int c = _clusters++;
            string prefix = $"g{c}_";
            string inner = indent + "  ";
            Line($"{indent}subgraph cluster_{c} {{");
            Line($"{inner}label={Quote(title)};");
            Line($"{inner}style=\"rounded,filled\"; fillcolor=\"#eef7ee\"; color=\"#6aa84f\"; fontname=\"Helvetica\"; fontsize=10;");
            EmitGraph(body, prefix, inner);
            Line($"{indent}}}");
            for (int i = 0; i < n.Inputs.Count; i++) Edge(indent, n.Inputs[i], $"{prefix}input_{i}");
            for (int j = 0; j < n.Outputs.Count; j++) _source[n.Outputs[j]] = Source(body.Outputs[j]);
        }
    }
}
