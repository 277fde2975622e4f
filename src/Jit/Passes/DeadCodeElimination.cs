namespace Trace.Jit;

// Dead code elimination: removes nodes none of whose outputs is used, transitively.
//
// Needs: nothing; run it last, after the passes that leave dead nodes behind (peephole, constprop, cse).
// Keeps: nodes with side effects (prim::ValueGuard), and in-place ops (kind ending in '_') that mutate a
// value that is still live: their first input, followed up through ops whose output may alias their first
// input (earlier in-place ops, views such as aten::view/transpose), is a graph input, or is read by another
// live node, or is returned.
//
// Before:
//   graph(%x : Float(2, strides=[1], requires_grad=0, device=cpu)):
//     %1 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::exp(%x)
//     %2 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::relu(%1)
//     %3 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::tanh(%x)
//     return (%3)
// After:
//   graph(%x : Float(2, strides=[1], requires_grad=0, device=cpu)):
//     %3 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::tanh(%x)
//     return (%3)

/// <summary>Removes nodes whose outputs are unused, keeping guards and in-place ops on live values.</summary>
public sealed class DeadCodeElimination : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "dce";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        var live = new HashSet<Node>();
        var returned = new HashSet<Value>(g.Outputs);
        bool grew = true;
        while (grew)
        {
            grew = false;
            for (int i = g.Nodes.Count - 1; i >= 0; i--)
            {
                var n = g.Nodes[i];
                if (live.Contains(n) || !IsLive(n, live, returned)) continue;
                live.Add(n);
                grew = true;
            }
        }
        bool changed = false;
        for (int i = g.Nodes.Count - 1; i >= 0; i--)
        {
            var n = g.Nodes[i];
            if (live.Contains(n)) continue;
            g.Remove(n);
            changed = true;
        }
        return changed;
    }

    private static bool IsLive(Node n, HashSet<Node> live, HashSet<Value> returned)
    {
        if (n.HasSideEffects) return true;
        if (n.Outputs.Any(o => returned.Contains(o) || o.Uses.Any(live.Contains))) return true;
        return PassUtil.IsInPlace(n) && n.Inputs.Count > 0 && MutatesLiveValue(n, live, returned);
    }

    /// <summary>Whether the value <paramref name="n"/> mutates (its first input, through earlier in-place ops) is observable.</summary>
    private static bool MutatesLiveValue(Node n, HashSet<Node> live, HashSet<Value> returned)
    {
        var v = n.Inputs[0];
        while (true)
        {
            if (v.Node is null) return true; // a graph input: the caller sees the mutation
            if (returned.Contains(v) || v.Uses.Any(u => u != n && live.Contains(u))) return true;
            if (!PassUtil.MayAliasFirstInput(v.Node) || v.Node.Inputs.Count == 0) return false;
            n = v.Node;
            v = n.Inputs[0];
        }
    }
}
