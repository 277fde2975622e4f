using static Trace.Ops.OpTraits;

namespace Trace.Ops;

public static partial class OpTable
{
    // Convolution and pooling. The backward ops are what the forward ops' backward rules emit (PyTorch's names); each
    // is linear in its gradient, and its own backward is the forward pooling (or a gather at the max indices).
    private static IEnumerable<OpDef> ConvolutionOps() =>
    [
        Def("aten::im2col(Tensor self, int[] kernel_size, int[] dilation, int[] padding, int[] stride) -> Tensor", FreshOutput,
            a => a.T(0).Im2Col(a.Ints(1), a.Ints(2), a.Ints(3), a.Ints(4))),
        Def("aten::col2im(Tensor self, int[] output_size, int[] kernel_size, int[] dilation, int[] padding, int[] stride) -> Tensor", FreshOutput,
            a => a.T(0).Col2Im(a.Ints(1), a.Ints(2), a.Ints(3), a.Ints(4), a.Ints(5))),
        Def("aten::conv2d(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor", FreshOutput,
            a => Tensor.Conv2d(a.T(0), a.T(1), a.OptT(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6)),
            @out: (a, r, _) => Tensor.Conv2dOut(a.T(0), a.T(1), a.OptT(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6), relu: false, r)),
        // The fusion pass's Conv + bias + ReLU: the ReLU applied by the GEMM while each strip of the output is in cache.
        Def("trace::conv2d_relu(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor", FreshOutput,
            a => Tensor.Conv2dRelu(a.T(0), a.T(1), a.OptT(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6)),
            @out: (a, r, _) => Tensor.Conv2dOut(a.T(0), a.T(1), a.OptT(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6), relu: true, r)),
        // conv2d's weight gradient in one pass (each image's columns in cache, GEMM-accumulated); what conv2d's backward emits.
        Def("trace::conv2d_weight_backward(Tensor grad_output, Tensor input, Tensor weight, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor", FreshOutput,
            a => Tensor.Conv2dWeightBackward(a.T(0), a.T(1), a.T(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6)),
            @out: (a, r, _) => Tensor.Conv2dWeightBackward(a.T(0), a.T(1), a.T(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6), r)),
        // conv2d's input gradient in one pass (each image's column gradient in cache, folded back at once); what conv2d's backward emits.
        Def("trace::conv2d_input_backward(Tensor grad_output, Tensor input, Tensor weight, int[] stride, int[] padding, int[] dilation, int groups) -> Tensor", FreshOutput,
            a => Tensor.Conv2dInputBackward(a.T(0), a.T(1), a.T(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6)),
            @out: (a, r, _) => Tensor.Conv2dInputBackward(a.T(0), a.T(1), a.T(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6), r)),
        Def("aten::conv_transpose2d(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] output_padding, int groups, int[] dilation) -> Tensor", FreshOutput,
            a => Tensor.ConvTranspose2d(a.T(0), a.T(1), a.OptT(2), a.Ints(3), a.Ints(4), a.Ints(5), a.I(6), a.Ints(7))),
        DefN("aten::max_pool2d_with_indices(Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, bool ceil_mode) -> (Tensor, Tensor)", FreshOutput,
            a => Pair(a.T(0).MaxPool2dWithIndices(a.Ints(1), a.Ints(2), a.Ints(3), a.Ints(4), a.B(5))),
            @out: (a, r) => Pair(a.T(0).MaxPool2dWithIndices(a.Ints(1), a.Ints(2), a.Ints(3), a.Ints(4), a.B(5), r))),
        Def("aten::max_pool2d_with_indices_backward(Tensor grad_output, Tensor self, int[] kernel_size, int[] stride, int[] padding, int[] dilation, bool ceil_mode, Tensor indices) -> Tensor",
            FreshOutput, a => a.T(0).MaxPool2dBackward(a.T(1), a.Ints(2), a.Ints(3), a.Ints(4), a.Ints(5), a.B(6), a.T(7))),
        Def("aten::avg_pool2d(Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor", FreshOutput,
            a => a.T(0).AvgPool2d(a.Ints(1), a.Ints(2), a.Ints(3), a.B(4), a.B(5), a.OptI(6))),
        Def("aten::avg_pool2d_backward(Tensor grad_output, Tensor self, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
            FreshOutput, a => a.T(0).AvgPool2dBackward(a.T(1), a.Ints(2), a.Ints(3), a.Ints(4), a.B(5), a.B(6), a.OptI(7))),
        // Batch norm: inference form one op (the conv fold's pattern); training (batch statistics, running-stat updates) composed.
        Def("aten::batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps) -> Tensor",
            FreshOutput, a => Nn.Functional.BatchNorm(a.T(0), a.OptT(3), a.OptT(4), a.OptT(1), a.OptT(2), a.B(5), a.D(6), a.D(7))),
        Def("aten::adaptive_avg_pool2d(Tensor self, int[] output_size) -> Tensor", FreshOutput, a => a.T(0).AdaptiveAvgPool2d(a.Ints(1))),
        Def("aten::_adaptive_avg_pool2d_backward(Tensor grad_output, Tensor self) -> Tensor", FreshOutput, a => a.T(0).AdaptiveAvgPool2dBackward(a.T(1))),
    ];
}
