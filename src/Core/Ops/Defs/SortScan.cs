using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // Ops along one dim with their own sort and scan kernels (ISortScanKernels), and the vector norm (a reduction whose
    // backward is PyTorch's, zero at the zero vector, rather than what its composite would give).
    private static IEnumerable<OpDef> SortScanOps() =>
    [
        Def("aten::cumsum(Tensor self, int dim) -> Tensor", FreshOutput, a => a.T(0).Cumsum(a.I(1))),
        DefN("aten::sort(Tensor self, int dim, bool descending) -> (Tensor, Tensor)", FreshOutput, a => Pair(a.T(0).Sort(a.I(1), a.B(2)))),
        DefN("aten::topk(Tensor self, int k, int dim, bool largest, bool sorted) -> (Tensor, Tensor)", FreshOutput,
            a => Pair(a.T(0).Topk(a.I(1), a.I(2), a.B(3), a.B(4)))),
        // Draws from the default generator by name; a call with its own generator replays through that generator.
        Def("aten::multinomial(Tensor self, int num_samples, bool replacement) -> Tensor", FreshOutput | OpTraits.Random | NonDifferentiable,
            a => a.T(0).Multinomial(a.I(1), a.B(2))),
        Def("aten::linalg_vector_norm(Tensor self, float ord, int[] dim, bool keepdim) -> Tensor", Reduction | FreshOutput,
            a => a.T(0).Norm(a.D(1), a.Ints(2), a.B(3))),
    ];

    // Scatters and masked selection: a copy of the input with values written at indexed or masked positions (the in-place
    // forms are these followed by copy_), and the masked elements gathered into a 1-D tensor whose length is data.
    private static IEnumerable<OpDef> ScatterOps() =>
    [
        // src may be a number (scatter's value overload), as the other operand of a binary op.
        Def("aten::scatter(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", FreshOutput, a => a.T(0).Scatter(a.I(1), a.T(2), a.TS(3, a.T(0)))),
        Def("aten::scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor", FreshOutput, a => a.T(0).ScatterAdd(a.I(1), a.T(2), a.T(3))),
        Def("aten::index_add(Tensor self, int dim, Tensor index, Tensor source, float alpha) -> Tensor", FreshOutput,
            a => a.T(0).IndexAdd(a.I(1), a.T(2), a.T(3), a.D(4))),
        Def("aten::masked_select(Tensor self, Tensor mask) -> Tensor", FreshOutput, a => a.T(0).MaskedSelect(a.T(1))),
        Def("aten::masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor", FreshOutput, a => a.T(0).MaskedScatter(a.T(1), a.T(2))),
    ];
}
