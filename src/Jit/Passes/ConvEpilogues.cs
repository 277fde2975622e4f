namespace Trace.Jit;

// Convolution epilogues: the ReLU after a convolution is done by the convolution's GEMM, while each strip of the
// output is in cache, instead of a pass over the output — the lecture's fused Conv+ReLU graph.
//
// Needs: the cleanup passes; run before fusion (which would otherwise take the relu). Leaves the bypassed nodes dead:
// run DCE after.
//   relu(conv2d(x, w, b, stride, padding, dilation, groups)) → trace::conv2d_relu(x, w, b, stride, padding, dilation, groups)
// Only when the convolution's output has that one use and is not returned (relu's backward reads relu's output, which
// the fused op returns, so this fires in training graphs too).
//
// Before:
//   %5 : Float(64, 32, 26, 26) = aten::conv2d(%x, %conv1.weight, %conv1.bias, %1, %2, %1, %3)
//   %6 : Float(64, 32, 26, 26) = aten::relu(%5)
// After (%5, %6 left for DCE):
//   %7 : Float(64, 32, 26, 26) = trace::conv2d_relu(%x, %conv1.weight, %conv1.bias, %1, %2, %1, %3)

/// <summary>Folds a relu that follows a 2-D convolution into the convolution.</summary>
public sealed class ConvEpilogues : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "conv-epilogue";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (n.Kind != "aten::relu" || n.Inputs.Count != 1 || n.Outputs.Count != 1 || (n.Output.Uses.Count == 0 && !g.Outputs.Contains(n.Output))) continue;
            var v = n.Inputs[0];
            if (v.Node is not { Kind: "aten::conv2d" } conv || conv.Inputs.Count != 7 || v.Uses.Count != 1 || g.Outputs.Contains(v)) continue;
            var fused = g.Insert(g.Nodes.IndexOf(n), "trace::conv2d_relu", conv.Inputs, n.Output.Type);
            g.ReplaceAllUses(n.Output, fused.Output);
            changed = true;
        }
        return changed;
    }
}
