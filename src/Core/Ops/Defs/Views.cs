using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // The output may share storage with the first input: views, and ops (to, contiguous) that may return their input.
    private static IEnumerable<OpDef> ViewsOps() =>
    [
        Def("aten::view(Tensor self, int[] size) -> Tensor", View, a => a.T(0).View(a.Ints(1))),
        Def("aten::reshape(Tensor self, int[] shape) -> Tensor", View, a => a.T(0).Reshape(a.Ints(1))),
        Def("aten::transpose(Tensor self, int dim0, int dim1) -> Tensor", View, a => a.T(0).Transpose(a.I(1), a.I(2))),
        Def("aten::permute(Tensor self, int[] dims) -> Tensor", View, a => a.T(0).Permute(a.Ints(1))),
        Def("aten::squeeze(Tensor self, int dim=None) -> Tensor", View, a => a.Count == 1 ? a.T(0).Squeeze() : a.T(0).Squeeze(a.I(1))),
        Def("aten::unsqueeze(Tensor self, int dim) -> Tensor", View, a => a.T(0).Unsqueeze(a.I(1))),
        Def("aten::expand(Tensor self, int[] size) -> Tensor", View, a => a.T(0).Expand(a.Ints(1))),
        Def("aten::narrow(Tensor self, int dim, int start, int length) -> Tensor", View, a => a.T(0).Narrow(a.I(1), a.I(2), a.I(3))),
        Def("aten::slice(Tensor self, int dim, int start, int end, int step) -> Tensor", View, a => a.T(0).Slice(a.I(1), a.I(2), a.I(3), a.I(4))),
        Def("aten::select(Tensor self, int dim, int index) -> Tensor", View, a => a.T(0).Select(a.I(1), a.I(2))),
        Def("aten::detach(Tensor self) -> Tensor", View | NonDifferentiable, a => a.T(0).Detach()),
        Def("aten::contiguous(Tensor self) -> Tensor", View, a => a.T(0).Contiguous()),
        Def("aten::to(Tensor self, ScalarType dtype) -> Tensor", View, a => a.T(0).To(a.DT(1))),
        Def("aten::clone(Tensor self) -> Tensor", FreshOutput, a => a.T(0).Clone(), @out: (a, r, _) => a.T(0).Clone(r)),
    ];
}
