namespace Trace.Jit;

// Matmul sum to one matmul: Σᵢ Xᵢᵀ·Bᵢ over pieces of one contraction is one GEMM over their concatenation.
//
// Needs: nothing; run before fusion (it matches aten::add trees). Leaves the bypassed nodes dead: run DCE after.
// A weight used at several places gets one gradient per use, summed: an unrolled recurrent layer's weight_hh gets
// Σₜ dGₜᵀ·hₜ₋₁ — L small GEMMs (each packing its operands again) and L−1 passes over the weight-sized sum. When every
// leaf of an add tree is matmul(permute(Xᵢ, [1, 0]), Bᵢ) of 2-D operands with the same M, N and dtype, the sum equals
// cat(X)ᵀ·cat(B) with the pieces stacked along the contraction dim K: one GEMM with K = ΣKᵢ, and two copies of the
// (much smaller) operands. Each leaf and inner add must have no other use (they are bypassed, not copied).
//
// Before:
//   %5 : Float(4, 3) = aten::permute(%x0, %p)          (%x0 : (2, 4), %b0 : (2, 3))
//   %6 : Float(4, 3) = aten::matmul(%5, %b0)
//   %7 : Float(4, 3) = aten::permute(%x1, %p)          (%x1 : (5, 4), %b1 : (5, 3))
//   %8 : Float(4, 3) = aten::matmul(%7, %b1)
//   %9 : Float(4, 3) = aten::add(%6, %8)
// After (%5 … %9 left for DCE):
//   %10 : Float(7, 4) = aten::cat(%x0, %x1, %zero)
//   %11 : Float(7, 3) = aten::cat(%b0, %b1, %zero)
//   %12 : Float(4, 7) = aten::permute(%10, %p)
//   %13 : Float(4, 3) = aten::matmul(%12, %11)

/// <summary>Replaces sums of transposed-operand matmuls (Σ Xᵢᵀ·Bᵢ) by one matmul over the concatenated operands.</summary>
public sealed class MatmulSumToOneMatmul : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "mmsum";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (n.Kind != "aten::add" || n.Inputs.Count != 2 || n.Output.Uses.Count == 0 && !g.Outputs.Contains(n.Output)) continue;
            if (n.Output.TensorType is not { Shape: [int m, int nCols] } t || m < 0 || nCols < 0) continue;
            // Only a tree's root: an inner add rewritten first would leave a matmul over a cat for every level above it.
            if (n.Output.Uses is [{ Kind: "aten::add", Inputs.Count: 2 } user] && user.Output.Type.Equals(n.Output.Type) && !g.Outputs.Contains(n.Output)) continue;
            var leaves = new List<Node>();
            if (!Collect(n, n, leaves, g) || leaves.Count < 2 || !leaves.All(l => Fits(l, t))) continue;
            int at = g.Nodes.IndexOf(n);
            var xs = leaves.Select(l => l.Inputs[0].Node!.Inputs[0]).ToList();
            var bs = leaves.Select(l => l.Inputs[1]).ToList();
            int k = xs.Sum(x => x.TensorType!.Shape[0]);
            var zero = g.InsertConstant(at++, 0L);
            var catX = g.Insert(at++, "aten::cat", [.. xs, zero], Contiguous(t, k, m));
            var catB = g.Insert(at++, "aten::cat", [.. bs, zero], Contiguous(t, k, nCols));
            var perm = g.InsertConstant(at++, new long[] { 1, 0 });
            var xt = g.Insert(at++, "aten::permute", [catX.Output, perm], new TensorType(t.DType, [m, k], [1, m], t.RequiresGrad, t.Device));
            var mm = g.Insert(at, "aten::matmul", [xt.Output, catB.Output], t);
            g.ReplaceAllUses(n.Output, mm.Output);
            changed = true;
        }
        return changed;
    }

    private static TensorType Contiguous(TensorType like, int rows, int cols) => new(like.DType, [rows, cols], [cols, 1], like.RequiresGrad, like.Device);

    /// <summary>matmul(permute(X, [1, 0]), B) with X (K, M) and B (K, N) of the sum's dtype and concrete sizes.</summary>
    private static bool Fits(Node leaf, TensorType sum)
    {
        if (leaf.Inputs[0].Node is not { Kind: "aten::permute" } p || p.Inputs.Count != 2 || PassUtil.IntList(p.Inputs[1]) is not [1, 0]) return false;
        if (p.Inputs[0].TensorType is not { Shape: [int kx, int mx] } x || leaf.Inputs[1].TensorType is not { Shape: [int kb, int nb] } b) return false;
        return kx >= 0 && kx == kb && mx == sum.Shape[0] && nb == sum.Shape[1] && x.DType == sum.DType && b.DType == sum.DType
            && leaf.Output.TensorType is { } o && o.DType == sum.DType && o.Shape.SequenceEqual(sum.Shape);
    }

    /// <summary>Gathers the matmul leaves of an add tree whose inner nodes are used only inside the tree.</summary>
    private static bool Collect(Node root, Node n, List<Node> leaves, Graph g)
    {
        foreach (var v in n.Inputs)
        {
            if (v.Node is not { } p || v.Uses.Count != 1 || g.Outputs.Contains(v)) return false;
            if (p.Kind == "aten::matmul" && p.Inputs.Count == 2) leaves.Add(p);
            else if (p.Kind == "aten::add" && p.Inputs.Count == 2 && p.Output.Type.Equals(root.Output.Type)) { if (!Collect(root, p, leaves, g)) return false; }
            else return false;
        }
        return true;
    }
}
