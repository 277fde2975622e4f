namespace Trace.Jit;

// Slice gradients to cat: a sum of slice_backward results that tile a dim exactly is a concatenation.
//
// Needs: nothing; run before fusion (it matches aten::add trees). Leaves the bypassed nodes dead: run DCE after.
// The backward of split/chunk/narrow pieces (e.g. attention's q, k, v cut from one qkv projection) is one
// slice_backward per piece — a zero tensor of the full shape with the piece's gradient written in — summed
// by adds: k+1 passes over the full-size tensor. When the pieces use step 1, the same dim and the same
// full shape (which may be symbolic, except along that dim), and their ranges cover that dim exactly once, the sum
// equals cat of the pieces in range order, one pass. Each slice_backward and inner add must have no other use (they are bypassed, not copied).
//
// Before:
//   %5 : Float(2, 6, ...) = aten::slice_backward(%g0, %shape, %dim, %zero, %one)     (columns 0..2)
//   %6 : Float(2, 6, ...) = aten::slice_backward(%g1, %shape, %dim, %three, %one)    (columns 3..5)
//   %7 : Float(2, 6, ...) = aten::add(%6, %5)
// After (%5, %6, %7 left for DCE):
//   %8 : Float(2, 6, ...) = aten::cat(%g0, %g1, %dim)

/// <summary>Replaces sums of slice_backward results that tile one dim exactly by one aten::cat.</summary>
public sealed class SliceGradientsToCat : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "slicecat";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (n.Kind != "aten::add" || n.Inputs.Count != 2 || n.Output.Uses.Count == 0 && !g.Outputs.Contains(n.Output)) continue;
            var leaves = new List<Node>();
            if (!Collect(n, n, leaves, g) || leaves.Count < 2) continue;
            if (Tiling(leaves, n.Output.Type) is not { } ordered) continue;
            int at = g.Nodes.IndexOf(n);
            var dim = ordered[0].Inputs[2];
            var cat = g.Insert(at, "aten::cat", [.. ordered.Select(l => l.Inputs[0]), dim], n.Output.Type);
            g.ReplaceAllUses(n.Output, cat.Output);
            changed = true;
        }
        return changed;
    }

    /// <summary>Gathers the slice_backward leaves of an add tree whose inner nodes are used only inside the tree.</summary>
    private static bool Collect(Node root, Node n, List<Node> leaves, Graph g)
    {
        foreach (var v in n.Inputs)
        {
            if (v.Node is not { } p || v.Uses.Count != 1 || g.Outputs.Contains(v)) return false;
            if (p.Kind == "aten::slice_backward" && p.Inputs.Count == 5) leaves.Add(p);
            else if (p.Kind == "aten::add" && p.Inputs.Count == 2 && p.Output.Type.Equals(root.Output.Type)) { if (!Collect(root, p, leaves, g)) return false; }
            else return false;
        }
        return true;
    }

    /// <summary>The leaves in range order when they share shape, dim and step 1 and tile the dim exactly; otherwise null.</summary>
    private static List<Node>? Tiling(List<Node> leaves, JitType outType)
    {
        if (outType is not TensorType t) return null;
        // Sizes may be symbolic (codes) except along the tiled dim, whose pieces are summed here.
        var shape = PassUtil.SizeList(leaves[0].Inputs[1]);
        if (shape is null || !shape.SequenceEqual(t.Shape.Select(s => (long)s)) || PassUtil.IntConstant(leaves[0].Inputs[2]) is not long dim) return null;
        dim = dim < 0 ? dim + shape.Length : dim;
        if (dim < 0 || dim >= shape.Length) return null;
        var pieces = new List<(long Start, long Length, Node Node)>();
        foreach (var l in leaves)
        {
            if (l.Inputs[0].TensorType is not { } gt || gt.DType != t.DType || PassUtil.SizeList(l.Inputs[1]) is not { } s || !s.SequenceEqual(shape)) return null;
            if (PassUtil.IntConstant(l.Inputs[2]) is not long d || (d < 0 ? d + shape.Length : d) != dim) return null;
            if (PassUtil.IntConstant(l.Inputs[4]) != 1 || PassUtil.IntConstant(l.Inputs[3]) is not long start) return null;
            if (gt.Shape[(int)dim] < 0) return null;
            pieces.Add((start, gt.Shape[(int)dim], l));
        }
        pieces.Sort((a, b) => a.Start.CompareTo(b.Start));
        long next = 0;
        foreach (var (start, length, _) in pieces)
        {
            if (start != next) return null;
            next += length;
        }
        return next == shape[dim] ? pieces.Select(p => p.Node).ToList() : null;
    }
}
