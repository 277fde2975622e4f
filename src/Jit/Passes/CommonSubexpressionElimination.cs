using System.Text;

namespace Trace.Jit;

// Common subexpression elimination: a node with the same kind, the same inputs, the same attribute and the
// same output types as an earlier node is replaced by that earlier node's outputs.
//
// Needs: nothing. Leaves the duplicates dead and unused: run DCE after it.
// Skips: nondeterministic ops (aten::rand...), in-place ops, guards, custom-function nodes (their replay
// closure cannot be compared), and nodes whose output an in-place op may write to. An in-place op is a
// barrier: nodes before it are not merged with nodes after it, since it may have changed what they read.
// Tensor constants are equal when dtype, shape and values (bit for bit) are equal.
//
// Before:
//   graph(%x : Float(2, strides=[1], requires_grad=0, device=cpu)):
//     %1 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::exp(%x)
//     %2 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::exp(%x)
//     %3 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::mul(%1, %2)
//     return (%3)
// After (%2 is left for DCE):
//   graph(%x : Float(2, strides=[1], requires_grad=0, device=cpu)):
//     %1 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::exp(%x)
//     %2 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::exp(%x)
//     %3 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::mul(%1, %1)
//     return (%3)

/// <summary>Replaces later duplicates of a deterministic node by the earlier node's outputs.</summary>
public sealed class CommonSubexpressionElimination : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "cse";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        var mutated = PassUtil.MutatedValues(g);
        var seen = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (PassUtil.IsInPlace(n))
            {
                seen.Clear();
                continue;
            }
            if (!Mergeable(n, mutated)) continue;
            var key = Key(n);
            if (!seen.TryGetValue(key, out var candidates)) seen[key] = candidates = [];
            var earlier = candidates.FirstOrDefault(c => SameAttribute(g, c, n));
            if (earlier is null)
            {
                candidates.Add(n);
                continue;
            }
            for (int i = 0; i < n.Outputs.Count; i++)
            {
                if (n.Outputs[i].Uses.Count == 0 && !g.Outputs.Contains(n.Outputs[i])) continue;
                g.ReplaceAllUses(n.Outputs[i], earlier.Outputs[i]);
                changed = true;
            }
        }
        return changed;
    }

    private static bool Mergeable(Node n, HashSet<Value> mutated) =>
        n.Outputs.Count > 0 && !n.IsNondeterministic && !n.HasSideEffects && n.Replay is null && n.Subgraph is null &&
        !n.Outputs.Any(mutated.Contains);

    /// <summary>Kind, printed attribute (tensor constants by dtype and shape only), inputs and output types.</summary>
    private static string Key(Node n)
    {
        var sb = new StringBuilder(n.Kind);
        if (n.HasAttribute)
            sb.Append('[').Append(n.Attribute is TensorRef ? "tensor" : Printer.FormatAttribute(n.Attribute)).Append(']');
        sb.Append('(');
        foreach (var v in n.Inputs) sb.Append('%').Append(v.Name).Append(',');
        sb.Append(")->");
        foreach (var o in n.Outputs) sb.Append(o.Type).Append(';');
        return sb.ToString();
    }

    private static bool SameAttribute(Graph g, Node a, Node b) =>
        a.Attribute is not TensorRef ra || b.Attribute is not TensorRef rb
            ? true
            : ra == rb || PassUtil.SameTensor(g.TensorConstants[ra.Index], g.TensorConstants[rb.Index]);
}
