using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private const OpTraits Maker = Factory | NonDifferentiable;

    private static IEnumerable<OpDef> FactoriesOps() =>
    [
        Def("aten::zeros(int[] size, ScalarType dtype) -> Tensor", Maker | FreshOutput, a => Tensor.Zeros(a.Ints(0), a.DT(1))),
        Def("aten::full(int[] size, float fill_value, ScalarType dtype) -> Tensor", Maker | FreshOutput, a => Tensor.Full(a.Ints(0), a.D(1), a.DT(2))),
        Def("aten::arange(int start, int end, int step) -> Tensor", Maker | FreshOutput, a => Tensor.Arange(a.L(0), a.L(1), a.L(2))),
        Def("aten::rand(int[] size, ScalarType dtype) -> Tensor", Maker | OpTraits.Random, a => Tensor.Rand(a.Ints(0), a.DT(1))),
        Def("aten::randn(int[] size, ScalarType dtype) -> Tensor", Maker | OpTraits.Random, a => Tensor.Randn(a.Ints(0), a.DT(1))),
        Def("aten::randint(int low, int high, int[] size) -> Tensor", Maker | OpTraits.Random, a => Tensor.Randint(a.L(0), a.L(1), a.Ints(2))),
    ];
}
