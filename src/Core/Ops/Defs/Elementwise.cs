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
        Def("aten::add(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Add(y)), @out: BinaryOut(BinaryKind.Add)),
        Def("aten::sub(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Sub(y)), @out: BinaryOut(BinaryKind.Sub)),
        Def("aten::mul(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Mul(y)), @out: BinaryOut(BinaryKind.Mul)),
        Def("aten::div(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Div(y)), @out: BinaryOut(BinaryKind.Div)),
        Def("aten::pow(Tensor self, Tensor exponent) -> Tensor", Elementwise | FreshOutput | Transcendental, a => Binary(a, static (x, y) => x.Pow(y)), @out: BinaryOut(BinaryKind.Pow)),
        Def("aten::maximum(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Maximum(y)), typeof(MaxOp<>), BinaryOut(BinaryKind.Maximum)),
        Def("aten::minimum(Tensor self, Tensor other) -> Tensor", Pointwise | Cheap, a => Binary(a, static (x, y) => x.Minimum(y)), typeof(MinOp<>), BinaryOut(BinaryKind.Minimum)),
        Def("aten::clamp(Tensor self, float? min, float? max) -> Tensor", Pointwise | Cheap, a => a.T(0).Clamp(a.OptD(1), a.OptD(2))),
        Def("aten::neg(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Neg(), @out: UnaryOut(UnaryKind.Neg)),
        Def("aten::abs(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Abs(), typeof(AbsOp<>), UnaryOut(UnaryKind.Abs)),
        Def("aten::square(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Square(), @out: UnaryOut(UnaryKind.Square)),
        Def("aten::relu(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Relu(), typeof(ReluOp<>), UnaryOut(UnaryKind.Relu)),
        Def("aten::exp(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Exp(), typeof(ExpOp), UnaryOut(UnaryKind.Exp)),
        Def("aten::log(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Log(), typeof(LogOp), UnaryOut(UnaryKind.Log)),
        Def("aten::sqrt(Tensor self) -> Tensor", Pointwise, a => a.T(0).Sqrt(), typeof(SqrtOp), UnaryOut(UnaryKind.Sqrt)),
        Def("aten::rsqrt(Tensor self) -> Tensor", Pointwise, a => a.T(0).Rsqrt(), typeof(RsqrtOp), UnaryOut(UnaryKind.Rsqrt)),
        Def("aten::tanh(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Tanh(), typeof(TanhOp), UnaryOut(UnaryKind.Tanh)),
        Def("aten::sigmoid(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Sigmoid(), typeof(SigmoidOp), UnaryOut(UnaryKind.Sigmoid)),
        Def("aten::erf(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Erf(), typeof(ErfOp), UnaryOut(UnaryKind.Erf)),
        Def("aten::silu(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Silu(), typeof(SiluOp), UnaryOut<SiluOp>()),
        Def("aten::log1p(Tensor self) -> Tensor", Pointwise | Transcendental, a => a.T(0).Log1p(), typeof(Log1pOp), UnaryOut<Log1pOp>()),
        Def("aten::floor(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Floor(), typeof(FloorOp), UnaryOut<FloorOp>()),
        Def("aten::round(Tensor self) -> Tensor", Pointwise | Cheap, a => a.T(0).Round(), typeof(RoundOp), UnaryOut<RoundOp>()),
        Def("aten::gelu(Tensor self, str approximate) -> Tensor", Pointwise | Transcendental, a => a.T(0).Gelu(Approximation(a, 1)), @out: (a, r, op) =>
            Dispatch.Out(new OpCall(op, a.S(1)), r, [a.T(0)], () =>
                ElementwiseDispatch.Unary(Approximation(a, 1) == GeluApproximation.Tanh ? UnaryKind.GeluTanh : UnaryKind.Gelu, a.T(0), op, r))),
        Def("aten::gelu_backward(Tensor grad_output, Tensor self, str approximate) -> Tensor", Pointwise | Transcendental,
            a => a.T(0).GeluBackward(a.T(1), Approximation(a, 2)), @out: (a, r, _) => a.T(0).GeluBackward(a.T(1), Approximation(a, 2), r)),
        Def("aten::eq(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Eq(y)), @out: CompareOut(CompareKind.Eq)),
        Def("aten::ne(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Ne(y)), @out: CompareOut(CompareKind.Ne)),
        Def("aten::lt(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Lt(y)), @out: CompareOut(CompareKind.Lt)),
        Def("aten::le(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Le(y)), @out: CompareOut(CompareKind.Le)),
        Def("aten::gt(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Gt(y)), @out: CompareOut(CompareKind.Gt)),
        Def("aten::ge(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.Ge(y)), @out: CompareOut(CompareKind.Ge)),
        Def("aten::logical_and(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalAnd(y)), @out: CompareOut(CompareKind.And)),
        Def("aten::logical_or(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalOr(y)), @out: CompareOut(CompareKind.Or)),
        Def("aten::logical_xor(Tensor self, Tensor other) -> Tensor", Comparison, a => Binary(a, static (x, y) => x.LogicalXor(y)), @out: CompareOut(CompareKind.Xor)),
        Def("aten::logical_not(Tensor self) -> Tensor", Comparison, a => a.T(0).LogicalNot()),
        Def("aten::where(Tensor condition, Tensor self, Tensor other) -> Tensor", Pointwise | Cheap,
            a => Tensor.Where(a.T(0), WhereOperands(a).X, WhereOperands(a).Y), @out: (a, r, op) =>
            {
                var (c, (x, y)) = (a.T(0), WhereOperands(a));
                return Dispatch.Out(op, r, [c, x, y], () => ElementwiseDispatch.Where(c, x, y, op, r));
            }),
        Def("aten::masked_fill(Tensor self, Tensor mask, float value) -> Tensor", Pointwise | Cheap, a => a.T(0).MaskedFill(a.T(1), a.D(2))),
    ];

    /// <summary>where's value operands, either of which may be a number (made a tensor like the other).</summary>
    private static (Tensor X, Tensor Y) WhereOperands(OpArgs a) => a.IsTensor(1) ? (a.T(1), a.TS(2, a.T(1))) : (a.TS(1, a.T(2)), a.T(2));

    private static GeluApproximation Approximation(OpArgs a, int i) => a.S(i) switch
    {
        "tanh" => GeluApproximation.Tanh,
        "none" => GeluApproximation.None,
        var s => throw new ArgumentException($"{a.Op}: approximate must be 'none' or 'tanh', got '{s}'."),
    };
}
