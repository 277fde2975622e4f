namespace Trace.Jit;

// Inference batch norm folded into the convolution (or linear layer) before it: the normalization is an affine map per
// output channel, so it moves into that layer's weight and bias — computed in the graph from the live parameters and
// running statistics, a few parameter-sized ops instead of a pass over the activations.
//
// Needs: the cleanup passes; run before the conv/linear epilogues so that a relu after the batch norm still fuses into
// the convolution. Leaves the bypassed nodes dead: run DCE after.
//   s  = rsqrt(running_var + eps) · bn.weight
//   W' = W · s (per output channel)       b' = (b − running_mean) · s + bn.bias
//   batch_norm(conv2d(x, W, b, …), bn.weight, bn.bias, mean, var, training=False, momentum, eps) → conv2d(x, W', b', …)
// Only for the inference form (training=False, both running statistics present), when the layer's output has that one
// use and is not returned (a training graph that saves it for the backward keeps both ops). A linear layer folds only
// when its output is 2-D (N, C): batch norm's channel dim is then the layer's output features.
//
// Before:
//   %10 : Float(2, 8, 8, 8) = aten::conv2d(%input, %0.weight, %0.bias, %2, %5, %2, %0)
//   %14 : Float(2, 8, 8, 8) = aten::batch_norm(%10, %1.weight, %1.bias, %1.running_mean, %1.running_var, %11, %12, %13)
// After (%10, %14 left for DCE):
//   %16 : Float(8) = aten::add(%1.running_var, %15)
//   %17 : Float(8) = aten::rsqrt(%16)
//   %18 : Float(8) = aten::mul(%17, %1.weight)
//   %24 : Float(8, 1, 1, 1) = aten::reshape(%18, %23)
//   %25 : Float(8, 3, 3, 3) = aten::mul(%0.weight, %24)
//   %26 : Float(8) = aten::sub(%0.bias, %1.running_mean)
//   %27 : Float(8) = aten::mul(%26, %18)
//   %28 : Float(8) = aten::add(%27, %1.bias)
//   %29 : Float(2, 8, 8, 8) = aten::conv2d(%input, %25, %28, %2, %5, %2, %0)

/// <summary>Folds an inference-mode batch norm into the 2-D convolution or linear layer that produces its input.</summary>
public sealed class BatchNormFolding : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "batchnorm-fold";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        foreach (var bn in g.Nodes.ToList())
            changed |= TryFold(g, bn);
        return changed;
    }

    private static bool TryFold(Graph g, Node bn)
    {
        if (bn.Kind != "aten::batch_norm" || bn.Inputs.Count != 8 || bn.Outputs.Count != 1) return false;
        if (bn.Output.Uses.Count == 0 && !g.Outputs.Contains(bn.Output)) return false;   // already folded (left for DCE)
        if (bn.Inputs[5].Node is not { Kind: "prim::Constant", Attribute: false }) return false;
        if (PassUtil.NumberConstant(bn.Inputs[7]) is not { } eps) return false;
        var (gamma, beta, mean, var) = (bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]);
        if (mean.Type is not TensorType meanType || var.Type is not TensorType) return false;
        var y = bn.Inputs[0];
        if (y.Uses.Count != 1 || g.Outputs.Contains(y) || y.Type is not TensorType yType) return false;
        if (y.Node is not { } layer || !(layer.Kind == "aten::conv2d" && layer.Inputs.Count == 7 ||
                                         layer.Kind == "aten::linear" && layer.Inputs.Count == 3 && yType.Shape.Length == 2)) return false;
        var (w, b) = (layer.Inputs[1], layer.Inputs[2]);
        if (w.Type is not TensorType wType || wType.Shape[0] != meanType.Shape[0]) return false;

        bool rg = bn.Output.Type is TensorType { RequiresGrad: true };
        int c = wType.Shape[0];
        var channel = new TensorType(wType.DType, [c], [1], rg, wType.Device);
        int at = g.Nodes.IndexOf(bn);
        Value Op(string kind, JitType type, params Value[] inputs) => g.Insert(at++, kind, inputs, type).Output;

        var scale = Op("aten::rsqrt", channel, Op("aten::add", channel, var, g.InsertConstant(at++, eps)));
        if (gamma.Type is TensorType) scale = Op("aten::mul", channel, scale, gamma);
        var dims = Enumerable.Range(0, wType.Shape.Length).Select(d => g.InsertConstant(at++, d == 0 ? c : 1)).ToList();
        var column = g.Insert(at++, "prim::ListConstruct", dims, JitType.IntList).Output;
        int[] columnShape = [c, .. Enumerable.Repeat(1, wType.Shape.Length - 1)];
        var scaleColumn = Op("aten::reshape", new TensorType(wType.DType, columnShape, Shapes.ContiguousStrides(columnShape), rg, wType.Device), scale, column);
        var weight = Op("aten::mul", new TensorType(wType.DType, wType.Shape, Shapes.ContiguousStrides(wType.Shape), rg, wType.Device), w, scaleColumn);
        var shifted = b.Type is TensorType ? Op("aten::sub", channel, b, mean) : Op("aten::neg", channel, mean);
        var bias = Op("aten::mul", channel, shifted, scale);
        if (beta.Type is TensorType) bias = Op("aten::add", channel, bias, beta);

        var folded = g.Insert(at, layer.Kind, [layer.Inputs[0], weight, bias, .. layer.Inputs.Skip(3)], bn.Output.Type);
        g.ReplaceAllUses(bn.Output, folded.Output);
        return true;
    }
}
