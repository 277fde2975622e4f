using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private static IEnumerable<OpDef> IndexingOps() =>
    [
        // Arguments in PyTorch's order (the tracer interleaves tensors and the rest by the schema); cat's tensors, then the dim.
        Def("aten::cat(Tensor[] tensors, int dim) -> Tensor", FreshOutput, a => Tensor.Cat(a.Tensors(0, a.Count - 1), a.I(a.Count - 1)),
            @out: (a, r, _) => Tensor.Cat(a.Tensors(0, a.Count - 1), a.I(a.Count - 1), r)),
        Def("aten::gather(Tensor self, int dim, Tensor index) -> Tensor", FreshOutput, a => a.T(0).Gather(a.I(1), a.T(2))),
        Def("aten::gather_backward(Tensor grad, Tensor index, int[] self_sizes, int dim) -> Tensor", FreshOutput,
            a => a.T(0).GatherBackward(a.Ints(2), a.I(3), a.T(1))),
        Def("aten::index_select(Tensor self, int dim, Tensor index) -> Tensor", FreshOutput, a => a.T(0).IndexSelect(a.I(1), a.T(2))),
        Def("aten::index_select_backward(Tensor grad, int[] self_sizes, int dim, Tensor index) -> Tensor", FreshOutput,
            a => a.T(0).IndexSelectBackward(a.Ints(1), a.I(2), a.T(3))),
        Def("aten::slice_backward(Tensor grad, int[] input_sizes, int dim, int start, int step) -> Tensor", FreshOutput,
            a => a.T(0).SliceBackward(a.Ints(1), a.I(2), a.I(3), a.I(4)),
            @out: (a, r, _) => a.T(0).SliceBackward(a.Ints(1), a.I(2), a.I(3), a.I(4), r)),
    ];
}
