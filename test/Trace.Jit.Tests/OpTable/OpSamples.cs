namespace Trace.Jit.Tests;

/// <summary>
/// One sample call per differentiable op of the op table (OpInfo-style): float64 arguments in schema order, chosen away
/// from kinks (|x| ≥ 0.1 where relu/abs/clamp bend, positive where log and sqrt need it, no ties for maximum), so that
/// finite differences are meaningful. The registry test fails for an op that has neither a sample nor the
/// NonDifferentiable trait.
/// </summary>
internal static class OpSamples
{
    /// <summary>Float64 values in ±[lo, hi] (random signs), shaped.</summary>
    private static Tensor R(Generator g, double lo, double hi, params int[] shape)
    {
        var u = Tensor.Rand(shape, DType.Float64, g).Mul(hi - lo).Add(lo);
        var sign = Tensor.Rand(shape, DType.Float64, g).Gt(0.5).To(DType.Float64).Mul(2.0).Sub(1.0);
        return u.Mul(sign);
    }

    /// <summary>Away from 0: magnitudes in [0.1, 1].</summary>
    private static Tensor N(Generator g, params int[] shape) => R(g, 0.1, 1.0, shape);

    /// <summary>Positive: values in [0.5, 2].</summary>
    private static Tensor P(Generator g, params int[] shape) => Tensor.Rand(shape, DType.Float64, g).Mul(1.5).Add(0.5);

    private static Tensor Index(long[] values, params int[] shape) => shape.Length == 0 ? Tensor.From(values) : Tensor.From(values, shape);

    public static readonly Dictionary<string, Func<Generator, object?[]>> Cases = new()
    {
        ["aten::add"] = g => [N(g, 3, 4), N(g, 4)],
        ["aten::sub"] = g => [N(g, 3, 1), N(g, 1, 4)],
        ["aten::mul"] = g => [N(g, 3, 4), N(g, 3, 4)],
        ["aten::div"] = g => [N(g, 3, 4), P(g, 4)],
        ["aten::pow"] = g => [P(g, 5), N(g, 5)],
        ["aten::maximum"] = g => [Tensor.Arange(0.0, 6.0, 1.0, DType.Float64).Mul(0.3).Add(0.05), Tensor.Arange(0.0, 6.0, 1.0, DType.Float64).Mul(-0.3).Add(1.6)],
        ["aten::minimum"] = g => [Tensor.Arange(0.0, 6.0, 1.0, DType.Float64).Mul(0.3).Add(0.05), Tensor.Arange(0.0, 6.0, 1.0, DType.Float64).Mul(-0.3).Add(1.6)],
        ["aten::clamp"] = g => [Tensor.From(new[] { -0.9, -0.35, 0.1, 0.3, 0.7 }), -0.5, 0.5],
        ["aten::neg"] = g => [N(g, 4)],
        ["aten::abs"] = g => [N(g, 4)],
        ["aten::square"] = g => [N(g, 4)],
        ["aten::relu"] = g => [N(g, 6)],
        ["aten::exp"] = g => [N(g, 4)],
        ["aten::log"] = g => [P(g, 4)],
        ["aten::sqrt"] = g => [P(g, 4)],
        ["aten::rsqrt"] = g => [P(g, 4)],
        ["aten::tanh"] = g => [N(g, 4)],
        ["aten::sigmoid"] = g => [N(g, 4)],
        ["aten::erf"] = g => [N(g, 4)],
        ["aten::silu"] = g => [N(g, 5)],
        ["aten::log1p"] = g => [P(g, 4)],
        ["aten::gelu"] = g => [N(g, 5), "tanh"],
        ["aten::gelu_backward"] = g => [N(g, 5), N(g, 5), "none"],
        ["aten::where"] = g => [Tensor.From(new[] { true, false, true, false }), N(g, 4), N(g, 4)],
        ["aten::masked_fill"] = g => [N(g, 2, 3), Tensor.From(new[] { true, false, false, true, false, true }, [2, 3]), 0.25],
        ["aten::sum"] = g => [N(g, 2, 3, 4), new long[] { 0, 2 }, true],
        ["aten::prod"] = g => [N(g, 3, 4), new long[] { 1 }, false],
        ["aten::amax"] = g => [Tensor.Arange(0.0, 12.0, 1.0, DType.Float64).Reshape(3, 4).Mul(0.1), new long[] { 1 }, false],
        ["aten::amin"] = g => [Tensor.Arange(0.0, 12.0, 1.0, DType.Float64).Reshape(3, 4).Mul(0.1), new long[] { 0 }, true],
        ["aten::max"] = g => [Tensor.Arange(0.0, 12.0, 1.0, DType.Float64).Reshape(3, 4).Mul(-0.1), 1L, false],
        ["aten::min"] = g => [Tensor.Arange(0.0, 12.0, 1.0, DType.Float64).Reshape(3, 4).Mul(0.1)],
        ["aten::var"] = g => [N(g, 3, 5), new long[] { 1 }, 1L, false],
        ["aten::std"] = g => [N(g, 3, 5), new long[] { 0, 1 }, 0L, true],
        ["aten::softmax"] = g => [N(g, 3, 4), 1L],
        ["aten::log_softmax"] = g => [N(g, 3, 4), 0L],
        ["aten::layer_norm"] = g => [N(g, 3, 5), N(g, 5), N(g, 5), new long[] { 5 }, 1e-5],
        ["aten::matmul"] = g => [N(g, 2, 3, 4), N(g, 4, 2)],
        ["aten::linear"] = g => [N(g, 3, 4), N(g, 2, 4), N(g, 2)],
        ["trace::linear_relu"] = g => [N(g, 3, 4), N(g, 2, 4), Tensor.From(new[] { 5.0, -5.0 })],
        ["trace::linear_add"] = g => [N(g, 3, 4), N(g, 2, 4), N(g, 2), N(g, 3, 2)],
        ["aten::view"] = g => [N(g, 2, 6), new long[] { 3, 4 }],
        ["aten::reshape"] = g => [N(g, 2, 6).T, new long[] { 12 }],
        ["aten::transpose"] = g => [N(g, 2, 3, 4), 0L, 2L],
        ["aten::permute"] = g => [N(g, 2, 3, 4), new long[] { 2, 0, 1 }],
        ["aten::squeeze"] = g => [N(g, 2, 1, 3), 1L],
        ["aten::unsqueeze"] = g => [N(g, 2, 3), 1L],
        ["aten::expand"] = g => [N(g, 3, 1), new long[] { 2, 3, 4 }],
        ["aten::narrow"] = g => [N(g, 4, 5), 1L, 1L, 3L],
        ["aten::slice"] = g => [N(g, 6, 2), 0L, 1L, 6L, 2L],
        ["aten::select"] = g => [N(g, 3, 4), 1L, 2L],
        ["aten::contiguous"] = g => [N(g, 3, 4).T],
        ["aten::to"] = g => [N(g, 4), 7L],
        ["aten::clone"] = g => [N(g, 4)],
        ["aten::cat"] = g => [N(g, 2, 3), N(g, 2, 1), 1L],
        ["aten::gather"] = g => [N(g, 2, 3), Index([2, 0, 1, 1], 2, 2), 1L],
        ["aten::gather_backward"] = g => [N(g, 2, 2), Index([2, 0, 1, 1], 2, 2), new long[] { 2, 3 }, 1L],
        ["aten::index_select"] = g => [N(g, 2, 3), Index([2, 0, 2]), 1L],
        ["aten::index_select_backward"] = g => [N(g, 2, 3), Index([2, 0, 2]), new long[] { 2, 4 }, 1L],
        ["aten::slice_backward"] = g => [N(g, 2, 3), new long[] { 2, 6 }, 1L, 0L, 2L],
    };
}
