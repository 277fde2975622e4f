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

    /// <summary>
    /// The largest integer not above each element, as <c>torch.floor</c> (integer tensors come back as a copy). Its gradient
    /// is zero everywhere, as PyTorch's.
    /// </summary>
    public Tensor Floor() => !IsFloatingPoint ? Clone()
        : Dispatch.Record("aten::floor", () => ElementwiseDispatch.UnaryFloating<FloorOp>(this, "aten::floor"), this, g => g.ZerosLike());

    /// <summary>
    /// Each element rounded to the nearest integer, halves to even (0.5 → 0, 2.5 → 2), as <c>torch.round</c> (integer tensors
    /// come back as a copy). Its gradient is zero everywhere, as PyTorch's.
    /// </summary>
    public Tensor Round() => !IsFloatingPoint ? Clone()
        : Dispatch.Record("aten::round", () => ElementwiseDispatch.UnaryFloating<RoundOp>(this, "aten::round"), this, g => g.ZerosLike());

    /// <summary>
    /// Rounded to <paramref name="decimals"/> decimal places (halves to even), as <c>torch.round(x, decimals=d)</c>: x·10^d
    /// rounded, divided by 10^d (for negative d: x/10^-d rounded, times 10^-d), so results carry that product's rounding.
    /// </summary>
    public Tensor Round(int decimals)
    {
        if (decimals == 0) return Round();
        if (!IsFloatingPoint) throw new ArgumentException($"aten::round: decimals={decimals} is only supported for floating-point inputs, got {DType.TorchName()} (shape {Shapes.Format(_shape)}).");
        double scale = Math.Pow(10, Math.Abs(decimals));
        return decimals > 0 ? Mul(scale).Round().Div(scale) : Div(scale).Round().Mul(scale);
    }
}
