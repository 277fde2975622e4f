using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private static IEnumerable<OpDef> ReductionsOps() =>
    [
        Def("aten::sum(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Sum(a.Ints(1), a.B(2))),
        Def("aten::prod(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Prod(a.Ints(1), a.B(2))),
        Def("aten::amax(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Amax(a.Ints(1), a.B(2))),
        Def("aten::amin(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Amin(a.Ints(1), a.B(2))),
        Def("aten::max(Tensor self, int dim=None, bool keepdim=None) -> Tensor", Reduction,
            a => a.Count == 1 ? a.T(0).Max() : a.T(0).Max(a.I(1), a.B(2)).Values),
        Def("aten::min(Tensor self, int dim=None, bool keepdim=None) -> Tensor", Reduction,
            a => a.Count == 1 ? a.T(0).Min() : a.T(0).Min(a.I(1), a.B(2)).Values),
        Def("aten::argmax(Tensor self, int dim, bool keepdim) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Argmax(a.I(1), a.B(2))),
        Def("aten::argmin(Tensor self, int dim, bool keepdim) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Argmin(a.I(1), a.B(2))),
        Def("aten::var(Tensor self, int[] dim, int correction, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Var(a.Ints(1), a.I(2), a.B(3))),
        Def("aten::std(Tensor self, int[] dim, int correction, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Std(a.Ints(1), a.I(2), a.B(3))),
        Def("aten::any(Tensor self) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Any()),
        Def("aten::all(Tensor self) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).All()),
        Def("aten::softmax(Tensor self, int dim) -> Tensor", FreshOutput | Transcendental, a => a.T(0).Softmax(a.I(1))),
        Def("aten::log_softmax(Tensor self, int dim) -> Tensor", FreshOutput | Transcendental, a => a.T(0).LogSoftmax(a.I(1))),
        Def("aten::layer_norm(Tensor input, Tensor? weight, Tensor? bias, int[] normalized_shape, float eps) -> Tensor", FreshOutput,
            a => a.T(0).LayerNorm(a.Ints(3), a.OptT(1), a.OptT(2), a.D(4))),
    ];
}
