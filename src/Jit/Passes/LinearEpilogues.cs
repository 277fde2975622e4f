namespace Trace.Jit;

// Linear epilogues: the op after a linear is done by the linear's GEMM instead of a pass over its output.
//
// Needs: the cleanup passes; run before fusion (which would otherwise take the relu or the add). Leaves the
// bypassed nodes dead: run DCE after.
//   relu(linear(x, w, b))          → trace::linear_relu(x, w, b)     (the GEMM clamps each strip of C while it is in cache)
//   gelu(linear(x, w, b), approx)  → trace::linear_gelu(x, w, b, approx)  (likewise; floating dtypes — in training the
//                                     linear's output is saved for gelu's backward, so this fires in inference graphs)
//   linear(x, w, b) + r, r + lin    → trace::linear_add(x, w, b, r)   (r is written into C before the GEMM accumulates)
// Only when the linear's output has that one use and is not returned; r must have the output's shape and dtype
// (it is the GEMM's starting C, so it does not broadcast).
//
// Before:
//   %3 : Float(4, 8) = aten::linear(%x, %w, %b)
//   %4 : Float(4, 8) = aten::relu(%3)
// After (%3, %4 left for DCE):
//   %5 : Float(4, 8) = trace::linear_relu(%x, %w, %b)

/// <summary>Folds a relu, a GELU or a residual add that follows a linear into the linear's GEMM.</summary>
public sealed class LinearEpilogues : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "epilogue";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            // Only rewrite results that are used (bypassed nodes stay dead until DCE, and a second run changes nothing).
            if (n.Outputs.Count != 1 || n.Output.TensorType is not { } t || (n.Output.Uses.Count == 0 && !g.Outputs.Contains(n.Output))) continue;
            if (n.Kind == "aten::relu" && n.Inputs.Count == 1 && SoleLinear(g, n.Inputs[0], t) is { } lin)
            {
                Replace(g, n, "trace::linear_relu", lin.Inputs);
                changed = true;
            }
            else if (n.Kind == "aten::gelu" && n.Inputs.Count == 2 && n.Inputs[1].Node is { Kind: "prim::Constant", Attribute: "none" or "tanh" }
                && t.DType.IsFloatingPoint() && SoleLinear(g, n.Inputs[0], t) is { } linGelu)
            {
                Replace(g, n, "trace::linear_gelu", [.. linGelu.Inputs, n.Inputs[1]]);
                changed = true;
            }
            else if (n.Kind == "aten::add" && n.Inputs.Count == 2)
            {
                for (int side = 0; side < 2; side++)
                {
                    var residual = n.Inputs[1 - side];
                    if (SoleLinear(g, n.Inputs[side], t) is not { } linear || residual.TensorType is not { } rt ||
                        !rt.Shape.SequenceEqual(t.Shape) || rt.DType != t.DType || residual == n.Inputs[side]) continue;
                    Replace(g, n, "trace::linear_add", [.. linear.Inputs, residual]);
                    changed = true;
                    break;
                }
            }
        }
        return changed;
    }

    /// <summary>The linear producing <paramref name="v"/> when <paramref name="v"/> is used once, not returned, and typed like the result.</summary>
    private static Node? SoleLinear(Graph g, Value v, TensorType result) =>
        v.Node is { Kind: "aten::linear" } lin && lin.Inputs.Count == 3 && v.Uses.Count == 1 && !g.Outputs.Contains(v) &&
        v.TensorType is { } vt && vt.Shape.SequenceEqual(result.Shape) && vt.DType == result.DType ? lin : null;

    private static void Replace(Graph g, Node n, string kind, IEnumerable<Value> inputs)
    {
        var fused = g.Insert(g.Nodes.IndexOf(n), kind, inputs, n.Output.Type);
        g.ReplaceAllUses(n.Output, fused.Output);
    }
}
