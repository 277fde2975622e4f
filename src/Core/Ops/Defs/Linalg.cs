using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private static IEnumerable<OpDef> LinalgOps() =>
    [
        Def("aten::matmul(Tensor self, Tensor other) -> Tensor", FreshOutput, a => a.T(0).Matmul(a.T(1)), @out: (a, r, _) => a.T(0).Matmul(a.T(1), r)),
        Def("aten::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", FreshOutput, a => Tensor.Linear(a.T(0), a.T(1), a.OptT(2)), @out: (a, r, _) => Tensor.Linear(a.T(0), a.T(1), a.OptT(2), r)),
        // Epilogue forms the fusion passes make: the activation or residual is applied while each strip of the GEMM result is in cache.
        Def("trace::linear_relu(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor", FreshOutput, a => Tensor.LinearRelu(a.T(0), a.T(1), a.OptT(2)),
            @out: (a, r, _) => Tensor.LinearRelu(a.T(0), a.T(1), a.OptT(2), r)),
        Def("trace::linear_gelu(Tensor input, Tensor weight, Tensor? bias, str approximate) -> Tensor", FreshOutput | Transcendental,
            a => Tensor.LinearGelu(a.T(0), a.T(1), a.OptT(2), Approximation(a, 3)), @out: (a, r, _) => Tensor.LinearGelu(a.T(0), a.T(1), a.OptT(2), Approximation(a, 3), r)),
        Def("trace::linear_add(Tensor input, Tensor weight, Tensor? bias, Tensor other) -> Tensor", FreshOutput,
            a => Tensor.LinearAdd(a.T(0), a.T(1), a.OptT(2), a.T(3)), @out: (a, r, _) => Tensor.LinearAdd(a.T(0), a.T(1), a.OptT(2), a.T(3), r)),
    ];
}
