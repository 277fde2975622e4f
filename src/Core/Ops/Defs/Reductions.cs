using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private static IEnumerable<OpDef> ReductionsOps() =>
    [
        Def("aten::sum(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Sum(a.Ints(1), a.B(2)), @out: (a, r, _) => a.T(0).Sum(a.Ints(1), a.B(2), r)),
        Def("aten::prod(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Prod(a.Ints(1), a.B(2))),
        Def("aten::amax(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Amax(a.Ints(1), a.B(2))),
        Def("aten::amin(Tensor self, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Amin(a.Ints(1), a.B(2))),
        // max(x) reduces everything to one tensor; max(x, dim, keepdim) returns (values, indices) — older IR holds its values alone.
        DefN("aten::max(Tensor self, int dim=None, bool keepdim=None) -> (Tensor, Tensor)", Reduction | FreshOutput,
            a => a.Count == 1 ? [a.T(0).Max()] : Pair(a.T(0).Max(a.I(1), a.B(2))), ExtremumOutputs),
        DefN("aten::min(Tensor self, int dim=None, bool keepdim=None) -> (Tensor, Tensor)", Reduction | FreshOutput,
            a => a.Count == 1 ? [a.T(0).Min()] : Pair(a.T(0).Min(a.I(1), a.B(2))), ExtremumOutputs),
        Def("aten::argmax(Tensor self, int dim, bool keepdim) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Argmax(a.I(1), a.B(2))),
        Def("aten::argmin(Tensor self, int dim, bool keepdim) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Argmin(a.I(1), a.B(2))),
        Def("aten::var(Tensor self, int[] dim, int correction, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Var(a.Ints(1), a.I(2), a.B(3))),
        Def("aten::std(Tensor self, int[] dim, int correction, bool keepdim) -> Tensor", Reduction | FreshOutput, a => a.T(0).Std(a.Ints(1), a.I(2), a.B(3))),
        Def("aten::any(Tensor self) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).Any()),
        Def("aten::all(Tensor self) -> Tensor", Reduction | NonDifferentiable, a => a.T(0).All()),
        Def("aten::softmax(Tensor self, int dim) -> Tensor", FreshOutput | Transcendental, a => a.T(0).Softmax(a.I(1)), @out: (a, r, _) => a.T(0).SoftmaxOp(a.I(1), log: false, r)),
        Def("aten::log_softmax(Tensor self, int dim) -> Tensor", FreshOutput | Transcendental, a => a.T(0).LogSoftmax(a.I(1)), @out: (a, r, _) => a.T(0).SoftmaxOp(a.I(1), log: true, r)),
        // Layer norm with its statistics (mean, rstd: the leading dims, normalized dims of size 1), which its backward reads.
        DefN("aten::native_layer_norm(Tensor input, int[] normalized_shape, Tensor? weight, Tensor? bias, float eps) -> (Tensor, Tensor, Tensor)", FreshOutput,
            a => Triple(a.T(0).NativeLayerNorm(a.Ints(1), a.OptT(2), a.OptT(3), a.D(4))), @out: (a, r) => Triple(a.T(0).NativeLayerNorm(a.Ints(1), a.OptT(2), a.OptT(3), a.D(4), r))),
    ];

    private static Tensor[] Pair(ValuesIndices r) => [r.Values, r.Indices];

    private static Tensor[] Triple((Tensor, Tensor, Tensor) r) => [r.Item1, r.Item2, r.Item3];

    private static (int, int) ExtremumOutputs(int inputs) => inputs == 1 ? (1, 1) : (1, 2);
}
