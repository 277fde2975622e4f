namespace Trace.Jit;

// Mask before max pooling's backward: a mask by the pooled tensor's own values applied to max pooling's input gradient
// is applied to the (smaller) pooled gradient instead.
//
// Needs: nothing; run before fusion (it matches the unfused le/where). Leaves the bypassed nodes dead: run DCE after.
// In a train step of conv → relu → max_pool, relu's backward masks the pooling's input gradient by relu's output y:
// where(y ≤ c, 0, max_pool2d_with_indices_backward(g, y, …, idx)) — a pass over the full-size input gradient. That
// gradient is zero except at each window's arg-max p = idx[w], where it is the sum of the g[w] of the windows choosing p;
// and the pooled value of such a window is out[w] = y[p]. So masking each g[w] by out[w] ≤ c before the scatter gives the
// same tensor (also for NaN: out[w] is then the NaN at p, and NaN ≤ c is false on both sides), over a tensor a quarter
// of the size for 2×2 pooling. Only a fill value of 0 qualifies (positions no window chose stay 0), only when the
// pooling's indices come from max_pool2d_with_indices of that same y, and only when the backward has no other use.
//
// Before:
//   %a : Float(64, 32, 13, 13), %idx : Long(64, 32, 13, 13) = aten::max_pool2d_with_indices(%y, %k, %s, %p, %d, %ceil)
//   %b : Float(64, 32, 26, 26) = aten::max_pool2d_with_indices_backward(%g, %y, %k, %s, %p, %d, %ceil, %idx)
//   %m : Bool(64, 32, 26, 26) = aten::le(%y, %zero)
//   %r : Float(64, 32, 26, 26) = aten::where(%m, %zero, %b)
// After (%b, %m, %r left for DCE):
//   %m2 : Bool(64, 32, 13, 13) = aten::le(%a, %zero)
//   %g2 : Float(64, 32, 13, 13) = aten::where(%m2, %zero, %g)
//   %r2 : Float(64, 32, 26, 26) = aten::max_pool2d_with_indices_backward(%g2, %y, %k, %s, %p, %d, %ceil, %idx)

/// <summary>Moves a mask by max pooling's input values from the pooling's input gradient to its (smaller) output gradient.</summary>
public sealed class MaskBeforeMaxPoolBackward : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "maskpool";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (n.Kind != "aten::where" || n.Inputs.Count != 3 || n.Outputs.Count != 1 || PassUtil.NumberConstant(n.Inputs[1]) != 0) continue;
            if (n.Inputs[0].Node is not { Kind: "aten::le", Inputs.Count: 2 } le || !PassUtil.IsConstant(le.Inputs[1])) continue;
            var b = n.Inputs[2];
            if (b.Node is not { Kind: "aten::max_pool2d_with_indices_backward", Inputs.Count: 8 } back || b.Uses.Count != 1 || g.Outputs.Contains(b)) continue;
            var y = le.Inputs[0];
            var idx = back.Inputs[7];
            if (!ReferenceEquals(back.Inputs[1], y) || idx.Node is not { Kind: "aten::max_pool2d_with_indices" } pool || !ReferenceEquals(pool.Inputs[0], y)
                || !ReferenceEquals(pool.Outputs[1], idx)) continue;
            // Same geometry by construction (the indices are that pooling's); checked anyway, as values or the same constants.
            bool sameArgs = true;
            for (int i = 1; i <= 5; i++) sameArgs &= SameArgument(pool.Inputs[i], back.Inputs[i + 1]);
            if (!sameArgs) continue;
            var pooled = pool.Outputs[0];
            var grad = back.Inputs[0];
            if (pooled.TensorType is not { } pt || grad.TensorType is not { } gt) continue;
            int at = g.Nodes.IndexOf(n);
            var mask = g.Insert(at++, "aten::le", [pooled, le.Inputs[1]], new TensorType(DType.Bool, pt.Shape, pt.Strides, false, pt.Device));
            var masked = g.Insert(at++, "aten::where", [mask.Output, n.Inputs[1], grad], new TensorType(gt.DType, gt.Shape, gt.Strides, false, gt.Device));
            var scattered = g.Insert(at, "aten::max_pool2d_with_indices_backward", [masked.Output, .. back.Inputs.Skip(1)], n.Output.Type);
            g.ReplaceAllUses(n.Output, scattered.Output);
            changed = true;
        }
        return changed;
    }

    /// <summary>The same value, or constants (int lists, bools) that are equal.</summary>
    private static bool SameArgument(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (PassUtil.IntList(a) is { } la && PassUtil.IntList(b) is { } lb) return la.SequenceEqual(lb);
        return a.Node is { Kind: "prim::Constant" } ca && b.Node is { Kind: "prim::Constant" } cb && Equals(ca.Attribute, cb.Attribute);
    }
}
