using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // Each writes into its first input and returns it. None records a gradient: autograd refuses in-place writes to tensors in its
    // graph (an error names the op), so they run on detached tensors, buffers and optimizer state.
    private const OpTraits Writes = InPlace | NonDifferentiable;

    private static IEnumerable<OpDef> InPlaceOps() =>
    [
        Def("aten::copy_(Tensor self, Tensor src) -> Tensor", Writes, a => a.T(0).Copy_(a.T(1))),
        Def("aten::add_(Tensor self, Tensor other) -> Tensor", Writes, a => Binary(a, static (x, y) => x.Add_(y))),
        Def("aten::sub_(Tensor self, Tensor other) -> Tensor", Writes, a => Binary(a, static (x, y) => x.Sub_(y))),
        Def("aten::mul_(Tensor self, Tensor other) -> Tensor", Writes, a => Binary(a, static (x, y) => x.Mul_(y))),
        Def("aten::div_(Tensor self, Tensor other) -> Tensor", Writes, a => Binary(a, static (x, y) => x.Div_(y))),
        Def("aten::clamp_(Tensor self, float? min, float? max) -> Tensor", Writes, a => a.T(0).Clamp_(a.OptD(1), a.OptD(2))),
        Def("aten::fill_(Tensor self, float value) -> Tensor", Writes, a => a.T(0).Fill_(a.D(1))),
    ];
}
