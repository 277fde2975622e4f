using Trace.Kernels;
using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // Pointwise math that compiled code fuses: fresh output, one kernel struct per op where the math is not an operator.
    private const OpTraits Pointwise = Elementwise | FreshOutput | Fusible;
    private const OpTraits Comparison = Pointwise | Cheap | NonDifferentiable;

    private static IEnumerable<OpDef> ElementwiseOps() =>
    [
        Def("aten::add(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Add(y))),
        Def("aten::sub(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Sub(y))),
        Def("aten::mul(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Mul(y))),
        Def("aten::div(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Div(y))),
        Def("aten::pow(Tensor self, Tensor exponent) -> Tensor", Elementwise | FreshOutput | Transcendental, a => Binary(a, static (x, y) => x.Pow(y))),
        Def("aten::maximum(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Maximum(y)), typeof(MaxOp<>)),
        Def("aten::minimum(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Minimum(y)), typeof(MinOp<>)),
        Def("aten::clamp(Tensor self, float? min, float? max) -> Tensor", Pointwise | Cheap, a => a.T(0).Clamp(a.OptD(1), a.OptD(2))),
        Def("aten::neg(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Neg()),
        Def("aten::abs(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Abs(), typeof(AbsOp<>)),
        Def("aten::square(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Square()),
        Def("aten::relu(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Relu(), typeof(ReluOp<>)),
        Def("aten::exp(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Exp(), typeof(ExpOp)),
        Def("aten::log(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Log(), typeof(LogOp)),
        Def("aten::sqrt(Tensor self) -> Tensor", Pointwise, a => a.T(0).Sqrt(), typeof(SqrtOp)),
        Def("aten::rsqrt(Tensor self) -> Tensor", Pointwise, a => a.T(0).Rsqrt(), typeof(RsqrtOp)),
        Def("aten::tanh(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Tanh(), typeof(TanhOp)),
        Def("aten::sigmoid(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Sigmoid(), typeof(SigmoidOp)),
        Def("aten::erf(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Erf(), typeof(ErfOp)),
        Def("aten::silu(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Silu(), typeof(SiluOp)),
        Def("aten::log1p(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Log1p(), typeof(Log1pOp)),
        Def("aten::gelu(Tensor self, str approximate) -> Tensor", Pointwise | Transcendental, a => a.T(0).Gelu(Approximation(a, 1))),
        Def("aten::gelu_backward(Tensor grad_output, Tensor self, str approximate) -> Tensor", Pointwise | Transcendental,
            a => a.T(0).GeluBackward(a.T(1), Approximation(a, 2))),
        Def("aten::eq(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Eq(y))),
        Def("aten::ne(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Ne(y))),
        Def("aten::lt(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Lt(y))),
        Def("aten::le(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Le(y))),
        Def("aten::gt(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Gt(y))),
        Def("aten::ge(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Ge(y))),
        Def("aten::logical_and(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalAnd(y))),
        Def("aten::logical_or(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalOr(y))),
        Def("aten::logical_xor(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalXor(y))),
        Def("aten::logical_not(Tensor self) -> Tensor", Comparison, a => a.T(0).LogicalNot()),
        Def("aten::where(Tensor condition, Tensor self, Tensor other) -> Tensor", Pointwise | Cheap,
            a => a.IsTensor(1) ? Tensor.Where(a.T(0), a.T(1), a.TS(2, a.T(1))) : Tensor.Where(a.T(0), a.TS(1, a.T(2)), a.T(2))),
        Def("aten::masked_fill(Tensor self, Tensor mask, float value) -> Tensor", Pointwise | Cheap, a => a.T(0).MaskedFill(a.T(1), a.D(2))),
    ];

    private static GeluApproximation Approximation(OpArgs a, int i) => a.S(i) switch
    {
        "tanh" => GeluApproximation.Tanh,
        "none" => GeluApproximation.None,
        var s => throw new ArgumentException($"{a.Op}: approximate must be 'none' or 'tanh', got '{s}'."),
    };
}
