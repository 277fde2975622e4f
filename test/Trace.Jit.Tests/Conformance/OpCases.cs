using Trace.Ops;

namespace Trace.Jit.Tests;

/// <summary>
/// One small traced function per op of the op table: its recorded graph (forward and, for ops that only
/// a backward rule emits, the traced backward) contains that kind. Inputs are float64 and valid for the op (positive
/// where it needs them). Kinds that only a pass emits are graph cases of <see cref="BackendConformance"/>. Constants are made
/// on the inputs' device, so the same cases run on CUDA tensors (<see cref="CudaOpCaseTests"/>).
/// </summary>
internal static class OpCases
{
    public sealed record Case(Func<Tensor[], Tensor> F, Func<Generator, Tensor[]> Inputs);

    private static Tensor R(Generator g, params int[] shape) => Tensor.Randn(shape, DType.Float64, g);

    /// <summary>Values in [0.5, 2.5): valid for log, sqrt, rsqrt and pow bases.</summary>
    private static Tensor P(Generator g, params int[] shape) => Tensor.Rand(shape, DType.Float64, g).Mul(2.0).Add(0.5);

    private static Case Unary(Func<Tensor, Tensor> f, bool positive = false) =>
        new(x => f(x[0]), g => [positive ? P(g, 3, 4) : R(g, 3, 4)]);

    private static Case Binary(Func<Tensor, Tensor, Tensor> f) => new(x => f(x[0], x[1]), g => [R(g, 3, 4), R(g, 4)]);

    /// <summary>A comparison or logical op as a where's condition, so that the result is floating and has gradients.</summary>
    private static Case Condition(Func<Tensor, Tensor, Tensor> c) => new(x => Tensor.Where(c(x[0], x[1]), x[0], x[1] * 2.0), g => [R(g, 3, 4), R(g, 4)]);

    /// <summary>An in-place op on a detached intermediate, added to the input (gradients flow through the input).</summary>
    private static Case InPlace(Func<Tensor, Tensor, Tensor> f) => new(x => f(x[0].Detach().Mul(1.0), x[1].Detach()) + x[0], g => [R(g, 3, 4), R(g, 3, 4)]);

    private static Tensor Index(params long[] values) => Tensor.From(values);

    /// <summary>
    /// A constant made on the CPU, on <paramref name="like"/>'s device (unchanged on the CPU, so traces are as before): copied
    /// there directly, unreported, so that a trace captures it as a constant of that device (a traced <c>To(device)</c> is refused).
    /// </summary>
    private static Tensor On(Tensor like, Tensor constant) => like.Device == constant.Device ? constant : CudaTransfer.Move(constant, like.Device);

    /// <summary>Calls an op through its op-table entry on tensor arguments.</summary>
    private static Tensor Entry(string op, Tensor[] args) => OpTable.Get(op).Eval(new OpArgs(op, [.. args]))[0];

    /// <summary>
    /// Two LSTM cells, one with hidden gates and a state, one without (zero state): the loss reads both cells' h' and the first's
    /// c', so the traced backward runs <c>trace::lstm_cell_backward</c> with and without a c' gradient and a cx.
    /// </summary>
    private static Case LstmCell() => new(x =>
    {
        var full = Entries("trace::lstm_cell", [x[0], x[1], x[2]]);
        var zeroState = Entries("trace::lstm_cell", [x[1], null, null]);
        return full[0] + full[1].Square() + zeroState[0] * 1.5;
    }, g => [R(g, 3, 8), R(g, 3, 8), R(g, 3, 2)]);

    /// <summary>All outputs of an op through its op-table entry (null for an absent optional tensor).</summary>
    private static Tensor[] Entries(string op, Tensor?[] args) => OpTable.Get(op).Eval(new OpArgs(op, [.. args]));

    public static readonly Dictionary<string, Case> Cases = new()
    {
        ["aten::add"] = Binary((a, b) => a + b + 1.5),
        ["aten::sub"] = Binary((a, b) => a - b - 0.5),
        ["aten::mul"] = Binary((a, b) => a * b * 3.0),
        ["aten::div"] = Binary((a, b) => a / (b.Abs() + 1.0) / 2.0),
        ["aten::pow"] = new(x => x[0].Pow(x[1]) + x[0].Pow(1.5), g => [P(g, 3, 4), R(g, 4)]),
        ["aten::maximum"] = Binary((a, b) => a.Maximum(b)),
        ["aten::minimum"] = Binary((a, b) => a.Minimum(b)),
        ["aten::clamp"] = Unary(a => a.Clamp(-0.5, 0.75) + a.Clamp(max: 0.2)),
        ["aten::neg"] = Unary(a => a.Neg()),
        ["aten::abs"] = Unary(a => a.Abs()),
        ["aten::exp"] = Unary(a => a.Exp()),
        ["aten::log"] = Unary(a => a.Log(), positive: true),
        ["aten::sqrt"] = Unary(a => a.Sqrt(), positive: true),
        ["aten::rsqrt"] = Unary(a => a.Rsqrt(), positive: true),
        ["aten::square"] = Unary(a => a.Square()),
        ["aten::tanh"] = Unary(a => a.Tanh()),
        ["aten::sigmoid"] = Unary(a => a.Sigmoid()),
        ["aten::relu"] = Unary(a => a.Relu()),
        ["aten::erf"] = Unary(a => a.Erf()),
        ["aten::silu"] = Unary(a => a.Silu()),
        ["aten::log1p"] = Unary(a => a.Log1p(), positive: true),
        ["aten::gelu"] = Unary(a => a.Gelu() + a.Gelu(GeluApproximation.Tanh)),
        ["aten::gelu_backward"] = Unary(a => a.Gelu(GeluApproximation.Tanh) * a.Gelu()),
        ["aten::eq"] = Condition((a, b) => a.Eq(a.Relu())),
        ["aten::ne"] = Condition((a, b) => a.Ne(b.Relu())),
        ["aten::lt"] = Condition((a, b) => a.Lt(b)),
        ["aten::le"] = Condition((a, b) => a.Le(b)),
        ["aten::gt"] = Condition((a, b) => a.Gt(b)),
        ["aten::ge"] = Condition((a, b) => a.Ge(b)),
        ["aten::logical_and"] = Condition((a, b) => a.Gt(0.0).LogicalAnd(b.Lt(0.5))),
        ["aten::logical_or"] = Condition((a, b) => a.Gt(0.0).LogicalOr(b.Lt(0.5))),
        ["aten::logical_xor"] = Condition((a, b) => a.Gt(0.0).LogicalXor(b.Lt(0.5))),
        ["aten::logical_not"] = Condition((a, b) => a.Gt(b).LogicalNot()),
        ["aten::where"] = Condition((a, b) => a.Gt(b)),
        ["aten::sum"] = Unary(a => a.Sum([1], keepdim: true) + a.Sum()),
        ["aten::prod"] = Unary(a => a.Prod(1, keepdim: true)),
        ["aten::amax"] = Unary(a => a.Amax([0])),
        ["aten::amin"] = Unary(a => a.Amin([1], keepdim: true)),
        ["aten::max"] = Unary(a => a.Max(1).Values + a.Max()),
        ["aten::min"] = Unary(a => a.Min(0, keepdim: true).Values + a.Min()),
        ["aten::argmax"] = Unary(a => a * a.Argmax(1, keepdim: true).To(DType.Float64)),
        ["aten::argmin"] = Unary(a => a * a.Argmin(0, keepdim: true).To(DType.Float64)),
        ["aten::var"] = Unary(a => a.Var([1])),
        ["aten::std"] = Unary(a => a.Std([0], correction: 0)),
        ["aten::softmax"] = Unary(a => a.Softmax(-1)),
        ["aten::log_softmax"] = Unary(a => a.LogSoftmax(0)),
        ["trace::lstm_cell"] = LstmCell(),
        ["trace::lstm_cell_backward"] = LstmCell(),
        ["aten::native_layer_norm"] = new(x => x[0].LayerNorm([4], x[1], x[2]), g => [R(g, 3, 4), R(g, 4), R(g, 4)]),
        ["aten::any"] = Unary(a => Tensor.Where(a.Gt(1.0).Any(), a, -a)),
        ["aten::all"] = Unary(a => Tensor.Where(a.Gt(-1.0).All(), a, -a)),
        ["aten::matmul"] = new(x => x[0].Matmul(x[1]), g => [R(g, 2, 3, 4), R(g, 4, 5)]),
        ["aten::linear"] = new(x => Tensor.Linear(x[0], x[1], x[2]), g => [R(g, 3, 4), R(g, 5, 4), R(g, 5)]),
        // Epilogue ops are made by a pass (graph cases check that); called through their table entries here, they record themselves.
        ["trace::linear_relu"] = new(x => Entry("trace::linear_relu", x), g => [R(g, 3, 4), R(g, 5, 4), R(g, 5)]),
        ["trace::linear_gelu"] = new(x => OpTable.Get("trace::linear_gelu").Eval(new OpArgs("trace::linear_gelu", [x[0], x[1], x[2], "tanh"]))[0], g => [R(g, 3, 4), R(g, 5, 4), R(g, 5)]),
        ["trace::linear_add"] = new(x => Entry("trace::linear_add", x), g => [R(g, 3, 4), R(g, 5, 4), R(g, 5), R(g, 3, 5)]),
        // Convolution and pooling: small odd geometries (stride, padding, groups); each backward op is what its forward's rule emits.
        ["aten::im2col"] = new(x => x[0].Im2Col([2, 3], [1, 1], [1, 0], [2, 1]), g => [R(g, 2, 2, 4, 5)]),
        ["aten::col2im"] = new(x => x[0].Col2Im([4, 5], [2, 2], [1, 1], [0, 0], [1, 1]), g => [R(g, 1, 8, 12)]),
        ["aten::conv2d"] = new(x => Tensor.Conv2d(x[0], x[1], x[2], [2, 1], [1], [1], 2), g => [R(g, 2, 4, 5, 4), R(g, 6, 2, 3, 2), R(g, 6)]),
        ["trace::conv2d_relu"] = new(x => OpTable.Get("trace::conv2d_relu").Eval(new OpArgs("trace::conv2d_relu", [x[0], x[1], x[2], new long[] { 1 }, new long[] { 1 }, new long[] { 1 }, 1L]))[0],
            g => [R(g, 2, 3, 4, 4), R(g, 4, 3, 3, 3), R(g, 4)]),
        ["trace::conv2d_weight_backward"] = new(x => OpTable.Get("trace::conv2d_weight_backward").Eval(new OpArgs("trace::conv2d_weight_backward",
                [x[0], x[1], x[2], new long[] { 2, 1 }, new long[] { 1 }, new long[] { 1 }, 2L]))[0],
            g => [R(g, 2, 6, 3, 5), R(g, 2, 4, 5, 4), R(g, 6, 2, 3, 2)]),
        ["trace::conv2d_input_backward"] = new(x => OpTable.Get("trace::conv2d_input_backward").Eval(new OpArgs("trace::conv2d_input_backward",
                [x[0], x[1], x[2], new long[] { 2, 1 }, new long[] { 1 }, new long[] { 1 }, 2L]))[0],
            g => [R(g, 2, 6, 3, 5), R(g, 2, 4, 5, 4), R(g, 6, 2, 3, 2)]),
        ["aten::conv_transpose2d"] = new(x => Tensor.ConvTranspose2d(x[0], x[1], x[2], [2], [1], [1], 1, [1]), g => [R(g, 2, 3, 3, 4), R(g, 3, 2, 3, 3), R(g, 2)]),
        ["aten::max_pool2d_with_indices"] = Unary(a => a.Reshape(1, 2, 2, 3).MaxPool2d([2], [1], [1])),
        ["aten::max_pool2d_with_indices_backward"] = Unary(a => a.Reshape(1, 1, 3, 4).MaxPool2d([2, 3], [1, 1]).Square()),
        ["aten::avg_pool2d"] = Unary(a => a.Reshape(1, 2, 2, 3).AvgPool2d([2], [1], [1], true, false)),
        ["aten::avg_pool2d_backward"] = Unary(a => a.Reshape(1, 1, 3, 4).AvgPool2d([2, 3], [1, 1]).Square()),
        // Inference batch norm; the running statistics are buffers (constants here), not differentiable inputs.
        ["aten::batch_norm"] = new(x => Nn.Functional.BatchNorm(x[0], On(x[0], Tensor.From(new[] { 0.3, -0.2 })), On(x[0], Tensor.From(new[] { 0.8, 1.7 })), x[1], x[2]),
            g => [R(g, 3, 2, 2), R(g, 2), R(g, 2)]),
        ["aten::adaptive_avg_pool2d"] = Unary(a => a.Reshape(1, 1, 3, 4).AdaptiveAvgPool2d([2, 3])),
        ["aten::_adaptive_avg_pool2d_backward"] = Unary(a => a.Reshape(1, 1, 3, 4).AdaptiveAvgPool2d([2])),
        ["aten::view"] = Unary(a => a.View(2, 6) * 2.0),
        ["aten::reshape"] = Unary(a => a.T.Reshape(6, 2)),
        ["aten::transpose"] = Unary(a => a.Transpose(0, 1) * 2.0),
        ["aten::permute"] = Unary(a => a.Permute(1, 0) * 2.0),
        ["aten::squeeze"] = Unary(a => a.Unsqueeze(0).Squeeze(0) + a.Unsqueeze(2).Squeeze()),
        ["aten::unsqueeze"] = Unary(a => a.Unsqueeze(1) * 2.0),
        ["aten::expand"] = Unary(a => a.Unsqueeze(0).Expand(2, 3, 4) * 2.0),
        ["aten::narrow"] = Unary(a => a.Narrow(1, 1, 2) * 2.0),
        ["aten::slice"] = Unary(a => a.Slice(1, 0, 4, 2) * 2.0),
        ["aten::select"] = Unary(a => a.Select(0, 1) * 2.0),
        ["aten::slice_backward"] = Unary(a => a.Slice(1, 1, 3, 1).Square()),
        ["aten::clone"] = Unary(a => a.Clone() * 2.0),
        ["aten::contiguous"] = Unary(a => a.T.Contiguous() * 2.0),
        ["aten::detach"] = Unary(a => a.Detach() * a),
        ["aten::to"] = Unary(a => a.To(DType.Float32).To(DType.Float64) * a),
        ["aten::cat"] = new(x => Tensor.Cat([x[0], x[1]], 1), g => [R(g, 2, 2), R(g, 2, 3)]),
        ["aten::gather"] = Unary(a => a.Gather(1, On(a, Tensor.From(new long[] { 2, 0, 1, 1, 3, 3 }, [3, 2])))),
        ["aten::gather_backward"] = Unary(a => a.Gather(1, On(a, Tensor.From(new long[] { 2, 0, 1, 1, 3, 3 }, [3, 2]))).Square()),
        ["aten::index_select"] = Unary(a => a.IndexSelect(1, On(a, Index(1, 1, 3)))),
        ["aten::index_select_backward"] = Unary(a => a.IndexSelect(0, On(a, Index(2, 0, 2))).Square()),
        ["aten::masked_fill"] = Unary(a => a.MaskedFill(a.Lt(0.0), -1.0)),
        ["aten::floor"] = Unary(a => a.Mul(3.0).Floor() + a),
        ["aten::round"] = Unary(a => a.Mul(3.0).Round() + a.Round(1) + a),
        ["aten::cumsum"] = Unary(a => a.Cumsum(1) + a.Cumsum(0).Square()),
        ["aten::sort"] = Unary(a => a.Sort(1).Values.Square() + a.Sort(0, descending: true).Values),
        ["aten::topk"] = Unary(a => a.Topk(2, 1).Values.Square() + a.Topk(2, 1, largest: false).Values),
        // Draws differ between runs: multiplied by zero, the result is deterministic but the op still runs.
        ["aten::multinomial"] = Unary(a => a + a.Abs().Add(0.1).Multinomial(2).To(DType.Float64).Sum(1, keepdim: true).Mul(0.0)),
        ["aten::linalg_vector_norm"] = Unary(a => a.Norm().Add(a.Norm(3, [1], keepdim: true)) + a.Norm(1, [0])),
        ["aten::scatter"] = new(x => x[0].Scatter(1, On(x[0], Tensor.From(new long[] { 2, 0, 1, 3, 3, 0 }, [3, 2])), x[1]).Square()
            + x[0].Scatter(0, On(x[0], Tensor.From(new long[] { 1, 2 }, [1, 2])), 0.5), g => [R(g, 3, 4), R(g, 3, 3)]),
        ["aten::scatter_add"] = new(x => x[0].ScatterAdd(1, On(x[0], Tensor.From(new long[] { 2, 2, 1, 3, 3, 0 }, [3, 2])), x[1]).Square(), g => [R(g, 3, 4), R(g, 3, 2)]),
        ["aten::index_add"] = new(x => x[0].IndexAdd(0, On(x[0], Index(2, 0, 2)), x[1], alpha: 0.5).Square(), g => [R(g, 3, 4), R(g, 3, 4)]),
        ["aten::masked_select"] = Unary(a => a.MaskedSelect(a.Gt(0.0)).Square().Sum() + a),
        ["aten::masked_scatter"] = new(x => x[0].MaskedScatter(x[0].Lt(0.0), x[1]).Square(), g => [R(g, 3, 4), R(g, 12)]),
        ["aten::copy_"] = InPlace((h, y) => h.Copy_(y)),
        ["aten::add_"] = InPlace((h, y) => h.Add_(y)),
        ["aten::sub_"] = InPlace((h, y) => h.Sub_(y)),
        ["aten::mul_"] = InPlace((h, y) => h.Mul_(y)),
        ["aten::div_"] = InPlace((h, y) => h.Div_(2.0)),
        ["aten::clamp_"] = InPlace((h, y) => h.Clamp_(-0.5, 0.5)),
        ["aten::fill_"] = InPlace((h, y) => h.Fill_(3.0)),
        ["aten::zeros"] = Unary(a => a + Tensor.Zeros([3, 4], DType.Float64, a.Device)),
        ["aten::full"] = Unary(a => a * Tensor.Full([4], 0.5, DType.Float64, a.Device)),
        ["aten::arange"] = Unary(a => a * Tensor.Arange(0, 4, 1, a.Device).To(DType.Float64)),
        // Random draws differ between runs: multiplied by zero, the result is deterministic but the op still runs.
        ["aten::rand"] = Unary(a => a + Tensor.Rand([4], DType.Float64, device: a.Device).Mul(0.0)),
        ["aten::randn"] = Unary(a => a + Tensor.Randn([4], DType.Float64, device: a.Device).Mul(0.0)),
        ["aten::randint"] = Unary(a => a + Tensor.Randint(0, 3, [4], device: a.Device).To(DType.Float64).Mul(0.0)),
    };
}
