using Trace.Kernels;

namespace Trace;

/// <summary>
/// A device's convolution and pooling kernels (float32, float64). Every tensor is dense and contiguous (callers make
/// it so) and laid out NCHW; geometry in <see cref="Conv2dArgs"/> and <see cref="Pool2dArgs"/>, already checked.
/// </summary>
internal interface IConvKernels
{
    /// <summary>cols (N, C·KH·KW, OH·OW) = im2col(x (N, C, H, W)).</summary>
    void Im2Col(Tensor x, Tensor cols, in Conv2dArgs a);

    /// <summary>x (N, C, H, W), overwritten = col2im(cols): each column element added to the input it was read from.</summary>
    void Col2Im(Tensor cols, Tensor x, in Conv2dArgs a);

    /// <summary>y (N, Cout, OH, OW) = epilogue(conv2d(x, w (Cout, C/groups, KH, KW)) + bias).</summary>
    void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor y, in Conv2dArgs a, int groups, GemmEpilogue epilogue);

    /// <summary>dw (Cout, C/groups, KH, KW), overwritten = conv2d's weight gradient for the output gradient g (N, Cout, OH, OW) of input x.</summary>
    void Conv2dWeightGrad(Tensor g, Tensor x, Tensor dw, in Conv2dArgs a, int groups);

    /// <summary>dx (N, C, H, W), overwritten = conv2d's input gradient for the output gradient g (N, Cout, OH, OW) and weight w.</summary>
    void Conv2dInputGrad(Tensor g, Tensor w, Tensor dx, in Conv2dArgs a, int groups);

    /// <summary>y and indices (int64) of shape (planes, OH, OW) = max pooling of x (planes, H, W).</summary>
    void MaxPool2d(Tensor x, Tensor y, Tensor indices, in Pool2dArgs a);

    /// <summary>gx (planes, H, W), overwritten = max pooling's backward: each g added at its window's index.</summary>
    void MaxPool2dBackward(Tensor g, Tensor indices, Tensor gx, in Pool2dArgs a);

    /// <summary>y (planes, OH, OW) = (adaptive) average pooling of x (planes, H, W).</summary>
    void AvgPool2d(Tensor x, Tensor y, in Pool2dArgs a);

    /// <summary>gx (planes, H, W), overwritten = (adaptive) average pooling's backward.</summary>
    void AvgPool2dBackward(Tensor g, Tensor gx, in Pool2dArgs a);
}
