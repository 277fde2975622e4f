using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>Every differentiable op's backward rule against finite differences in float64.</summary>
[TestClass]
public class GradCheckTests
{
    private static Tensor R(int seed, params int[] shape) => Reference.Random(new Random(seed), shape).RequiresGrad_();
    private static Tensor Pos(int seed, params int[] shape) => Reference.Random(new Random(seed), shape, DType.Float64, 0.5, 2).RequiresGrad_();

    /// <summary>Op name → (function of inputs, inputs). Broadcasting, views and non-contiguous inputs included.</summary>
    internal static readonly Dictionary<string, Func<(Func<Tensor[], Tensor> F, Tensor[] X)>> Cases = new()
    {
        ["add_broadcast"] = () => (x => x[0] + x[1], [R(1, 3, 1, 4), R(2, 2, 1)]),
        ["sub"] = () => (x => x[0] - x[1], [R(3, 2, 3), R(4, 3)]),
        ["mul_broadcast"] = () => (x => x[0] * x[1], [R(5, 4, 1), R(6, 1, 3)]),
        ["div"] = () => (x => x[0] / x[1], [R(7, 2, 3), Pos(8, 3)]),
        ["pow_tensor"] = () => (x => x[0].Pow(x[1]), [Pos(9, 2, 3), R(10, 2, 3)]),
        ["pow_scalar"] = () => (x => x[0].Pow(3.0), [R(11, 5)]),
        ["maximum"] = () => (x => x[0].Maximum(x[1]), [R(12, 3, 4), R(13, 4)]),
        ["minimum"] = () => (x => x[0].Minimum(x[1]), [R(14, 3, 4), R(15, 3, 1)]),
        ["scalar_ops"] = () => (x => (2.0 - x[0]) * 3.0 / (x[0] * x[0] + 1.0), [R(16, 6)]),
        ["neg"] = () => (x => -x[0], [R(17, 4)]),
        ["abs"] = () => (x => x[0].Abs(), [R(18, 7)]),
        ["exp"] = () => (x => x[0].Exp(), [R(19, 3, 2)]),
        ["log"] = () => (x => x[0].Log(), [Pos(20, 5)]),
        ["sqrt"] = () => (x => x[0].Sqrt(), [Pos(21, 5)]),
        ["rsqrt"] = () => (x => x[0].Rsqrt(), [Pos(22, 5)]),
        ["square"] = () => (x => x[0].Square(), [R(23, 5)]),
        ["tanh"] = () => (x => x[0].Tanh(), [R(24, 2, 4)]),
        ["sigmoid"] = () => (x => x[0].Sigmoid(), [R(25, 2, 4)]),
        ["relu"] = () => (x => x[0].Relu(), [R(26, 3, 5)]),
        ["gelu"] = () => (x => x[0].Gelu(), [R(27, 8)]),
        ["gelu_tanh"] = () => (x => x[0].Gelu(GeluApproximation.Tanh), [R(28, 8)]),
        ["erf"] = () => (x => x[0].Erf(), [R(29, 8)]),
        ["clamp"] = () => (x => x[0].Clamp(-0.5, 0.7), [R(30, 10)]),
        ["where"] = () => (x => Tensor.Where(x[0] > 0, x[0] * 2.0, x[1]), [R(31, 3, 4), R(32, 4)]),
        ["masked_fill"] = () => (x => x[0].MaskedFill(Tensor.From(new[] { true, false, true }), 5), [R(33, 2, 3)]),
        ["sum_all"] = () => (x => x[0].Sum(), [R(34, 3, 4)]),
        ["sum_dims_keepdim"] = () => (x => x[0].Sum([0, 2], keepdim: true), [R(35, 2, 3, 4)]),
        ["mean_dim"] = () => (x => x[0].Mean(1), [R(36, 3, 5)]),
        ["prod"] = () => (x => x[0].Prod(1), [R(37, 3, 4)]),
        ["prod_with_zeros"] = () => (x => x[0].Prod(1), [Tensor.From(new double[] { 1.5, 0, 2, 0.5, 0, 0, 3, 1, 0.25 }, [3, 3]).RequiresGrad_()]),
        ["max_all"] = () => (x => x[0].Max(), [R(38, 3, 4)]),
        ["amin_dims"] = () => (x => x[0].Amin([1]), [R(39, 3, 4)]),
        ["max_dim_values"] = () => (x => x[0].Max(1).Values, [R(40, 3, 4)]),
        ["min_dim_keepdim"] = () => (x => x[0].Min(0, keepdim: true).Values, [R(41, 3, 4)]),
        ["var"] = () => (x => x[0].Var([1]), [R(42, 3, 5)]),
        ["std"] = () => (x => x[0].Std(), [R(43, 6)]),
        ["logsumexp"] = () => (x => x[0].LogSumExp(1), [R(44, 3, 4)]),
        ["softmax"] = () => (x => x[0].Softmax(-1), [R(45, 2, 5)]),
        ["log_softmax"] = () => (x => x[0].LogSoftmax(0), [R(46, 4, 3)]),
        ["layer_norm"] = () => (x => x[0].LayerNorm([4], x[1], x[2]), [R(47, 3, 4), R(48, 4), R(49, 4)]),
        ["matmul_2d"] = () => (x => x[0].Matmul(x[1]), [R(50, 3, 4), R(51, 4, 2)]),
        ["matmul_batched_broadcast"] = () => (x => x[0].Matmul(x[1]), [R(52, 2, 1, 3, 4), R(53, 3, 4, 2)]),
        ["matmul_vec"] = () => (x => x[0].Matmul(x[1]), [R(54, 4), R(55, 4, 3)]),
        ["matmul_dot"] = () => (x => x[0].Matmul(x[1]), [R(56, 5), R(57, 5)]),
        ["matmul_transposed"] = () => (x => x[0].T.Matmul(x[1]), [R(58, 4, 3), R(59, 4, 2)]),
        ["linear"] = () => (x => Tensor.Linear(x[0], x[1], x[2]), [R(60, 2, 3, 4), R(61, 5, 4), R(62, 5)]),
        ["view_reshape"] = () => (x => x[0].View(6, 2).T.Reshape(3, 4) * x[0], [R(63, 3, 4)]),
        ["permute_transpose"] = () => (x => x[0].Permute(2, 0, 1).Transpose(0, 1) * 2.0, [R(64, 2, 3, 4)]),
        ["squeeze_unsqueeze"] = () => (x => x[0].Unsqueeze(1).Squeeze(2).Unsqueeze(0), [R(65, 3, 1)]),
        ["expand"] = () => (x => x[0].Expand(2, 3, 4) * x[1], [R(66, 3, 1), R(67, 2, 3, 4)]),
        ["narrow_slice_select"] = () => (x => x[0].Narrow(0, 1, 2).Slice(1, 0, null, 2) + x[0].Select(0, -1).Slice(0, 0, 5, 2), [R(68, 4, 5)]),
        ["indexer"] = () => (x => x[0][1.., ^1] * x[0][0, 1], [R(69, 3, 4)]),
        ["split_chunk"] = () => (x => x[0].Split(2)[1] * x[0].Chunk(3, 1)[0].Sum(), [R(70, 5, 3)]),
        ["cat_stack"] = () => (x => Tensor.Cat([x[0], x[1]], 1) * Tensor.Stack([x[0].Sum(1), x[1].Sum(1)], 1).Sum(1, keepdim: true), [R(71, 2, 3), R(72, 2, 2)]),
        ["gather"] = () => (x => x[0].Gather(1, Tensor.From(new long[] { 0, 2, 2, 1, 0, 0 }, [2, 3])), [R(73, 2, 4)]),
        ["index_select"] = () => (x => x[0].IndexSelect(0, Tensor.From(new long[] { 2, 0, 2 })), [R(74, 3, 2)]),
        ["tril_triu"] = () => (x => x[0].Tril(-1) + x[0].Triu(1) * 2.0, [R(75, 3, 4)]),
        ["contiguous_clone"] = () => (x => x[0].T.Contiguous().Clone() * 3.0, [R(76, 3, 2)]),
        ["flatten"] = () => (x => x[0].Flatten(1).Sum(0), [R(77, 2, 3, 2)]),
    };

    public static IEnumerable<object[]> Names() => Cases.Keys.Select(k => new object[] { k });

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void BackwardMatchesFiniteDifferences(string name)
    {
        var (f, x) = Cases[name]();
        Assert.IsTrue(Autograd.GradCheck(f, x), name);
    }

    [TestMethod]
    public void GradCheckDetectsAWrongBackward()
    {
        var x = R(80, 4);
        var ex = Assert.ThrowsExactly<GradCheckException>(() => Autograd.GradCheck(t => new WrongSquare().Apply(t[0]), [x]));
        StringAssert.Contains(ex.Message, "analytical");
        Assert.ThrowsExactly<ArgumentException>(() => Autograd.GradCheck(t => t[0] * 2.0, [Tensor.Ones(3).RequiresGrad_()]), "float32 inputs are refused");
    }

    /// <summary>A deliberately wrong rule: d(x²)/dx given as x instead of 2x.</summary>
    private sealed class WrongSquare : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0]);
            return x[0] * x[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * ctx.SavedTensors[0]];
    }
}
