using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    private const OpTraits Maker = Factory | NonDifferentiable;

    private static IEnumerable<OpDef> FactoriesOps() =>
    [
        // The device is the last argument, as text ("cpu", "cuda:0"); left out, the CPU (graphs printed before it existed).
        Def("aten::zeros(int[] size, ScalarType dtype, str device=None) -> Tensor", Maker | FreshOutput, a => Tensor.Zeros(a.Ints(0), a.DT(1), DeviceArg(a, 2))),
        Def("aten::full(int[] size, float fill_value, ScalarType dtype, str device=None) -> Tensor", Maker | FreshOutput, a => Tensor.Full(a.Ints(0), a.D(1), a.DT(2), DeviceArg(a, 3))),
        Def("aten::arange(int start, int end, int step, str device=None) -> Tensor", Maker | FreshOutput, a => Tensor.Arange(a.L(0), a.L(1), a.L(2), DeviceArg(a, 3))),
        Def("aten::rand(int[] size, ScalarType dtype, str device=None) -> Tensor", Maker | OpTraits.Random, a => Tensor.Rand(a.Ints(0), a.DT(1), device: DeviceArg(a, 2))),
        Def("aten::randn(int[] size, ScalarType dtype, str device=None) -> Tensor", Maker | OpTraits.Random, a => Tensor.Randn(a.Ints(0), a.DT(1), device: DeviceArg(a, 2))),
        Def("aten::randint(int low, int high, int[] size, str device=None) -> Tensor", Maker | OpTraits.Random, a => Tensor.Randint(a.L(0), a.L(1), a.Ints(2), device: DeviceArg(a, 3))),
    ];

    /// <summary>A factory's device argument <paramref name="i"/>: the CPU when the call leaves it out.</summary>
    private static Device DeviceArg(OpArgs a, int i) => i < a.Count ? Device.Parse(a.S(i)) : Device.Cpu;
}
