using Trace.Kernels;

namespace Trace;

// Unary float math defined by an op-table entry and a kernel struct alone: the eager kernel is the device's generic loop
// over the struct, and compiled fusion groups call the same struct, so fused and eager results agree bit for bit.
public sealed partial class Tensor
{
    /// <summary>SiLU (swish), x·σ(x), as <c>torch.nn.functional.silu</c>. Integer inputs give float32.</summary>
    public Tensor Silu() => Dispatch.Record("aten::silu", () => ElementwiseDispatch.UnaryFloating<SiluOp>(this, "aten::silu"), this, g =>
    {
        // PyTorch's silu_backward: g · σ(x) · (1 + x · (1 − σ(x))).
        var s = Sigmoid();
        return g.Mul(s.Mul(Mul(1.0 - s).Add(1.0)));
    }, this);

    /// <summary>log(1 + x), accurate for |x| near 0 where log(1 + x) would lose digits, as <c>torch.log1p</c>. Integer inputs give float32.</summary>
    public Tensor Log1p() => Dispatch.Record("aten::log1p", () => ElementwiseDispatch.UnaryFloating<Log1pOp>(this, "aten::log1p"), this, g => g.Div(Add(1.0)), this);
}
