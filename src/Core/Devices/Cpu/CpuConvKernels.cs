using Trace.Kernels;

namespace Trace;

/// <summary>The CPU convolution and pooling kernels (<see cref="Im2Col"/>, <see cref="Conv2dCpu"/>, <see cref="Pool2dCpu"/>) over the tensors' host arrays.</summary>
internal sealed class CpuConvKernels : IConvKernels
{
    public void Im2Col(Tensor x, Tensor cols, in Conv2dArgs a)
    {
        if (x.DType == DType.Float32) Kernels.Im2Col.Forward<float>(Span<float>(x), Span<float>(cols), a);
        else Kernels.Im2Col.Forward<double>(Span<double>(x), Span<double>(cols), a);
    }

    public void Col2Im(Tensor cols, Tensor x, in Conv2dArgs a)
    {
        if (x.DType == DType.Float32)
        {
            Span<float>(x).Clear();
            Kernels.Im2Col.Backward<float>(Span<float>(cols), Span<float>(x), a);
        }
        else
        {
            Span<double>(x).Clear();
            Kernels.Im2Col.Backward<double>(Span<double>(cols), Span<double>(x), a);
        }
    }

    public void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor y, in Conv2dArgs a, int groups, GemmEpilogue epilogue)
    {
        int cout = w._shape[0];
        if (x.DType == DType.Float32)
            Conv2dCpu.Forward<float>(Span<float>(x), Span<float>(w), bias is null ? default : Span<float>(bias), Span<float>(y), a, cout, groups, epilogue);
        else
            Conv2dCpu.Forward<double>(Span<double>(x), Span<double>(w), bias is null ? default : Span<double>(bias), Span<double>(y), a, cout, groups, epilogue);
    }

    public void Conv2dWeightGrad(Tensor g, Tensor x, Tensor dw, in Conv2dArgs a, int groups)
    {
        int cout = dw._shape[0];
        if (x.DType == DType.Float32) Conv2dCpu.WeightGrad<float>(Span<float>(g), Span<float>(x), Span<float>(dw), a, cout, groups);
        else Conv2dCpu.WeightGrad<double>(Span<double>(g), Span<double>(x), Span<double>(dw), a, cout, groups);
    }

    public void Conv2dInputGrad(Tensor g, Tensor w, Tensor dx, in Conv2dArgs a, int groups)
    {
        int cout = w._shape[0];
        if (dx.DType == DType.Float32) Conv2dCpu.InputGrad<float>(Span<float>(g), Span<float>(w), Span<float>(dx), a, cout, groups);
        else Conv2dCpu.InputGrad<double>(Span<double>(g), Span<double>(w), Span<double>(dx), a, cout, groups);
    }

    public void MaxPool2d(Tensor x, Tensor y, Tensor indices, in Pool2dArgs a)
    {
        if (x.DType == DType.Float32) Pool2dCpu.MaxForward<float>(Span<float>(x), Span<float>(y), Span<long>(indices), a);
        else Pool2dCpu.MaxForward<double>(Span<double>(x), Span<double>(y), Span<long>(indices), a);
    }

    public void MaxPool2dBackward(Tensor g, Tensor indices, Tensor gx, in Pool2dArgs a)
    {
        if (g.DType == DType.Float32)
        {
            Span<float>(gx).Clear();
            Pool2dCpu.MaxBackward<float>(Span<float>(g), Span<long>(indices), Span<float>(gx), a);
        }
        else
        {
            Span<double>(gx).Clear();
            Pool2dCpu.MaxBackward<double>(Span<double>(g), Span<long>(indices), Span<double>(gx), a);
        }
    }

    public void AvgPool2d(Tensor x, Tensor y, in Pool2dArgs a)
    {
        if (x.DType == DType.Float32) Pool2dCpu.AvgForward<float>(Span<float>(x), Span<float>(y), a);
        else Pool2dCpu.AvgForward<double>(Span<double>(x), Span<double>(y), a);
    }

    public void AvgPool2dBackward(Tensor g, Tensor gx, in Pool2dArgs a)
    {
        if (g.DType == DType.Float32) Pool2dCpu.AvgBackward<float>(Span<float>(g), Span<float>(gx), a);
        else Pool2dCpu.AvgBackward<double>(Span<double>(g), Span<double>(gx), a);
    }

    /// <summary>A contiguous tensor's elements.</summary>
    private static Span<T> Span<T>(Tensor t) where T : unmanaged => t.Data<T>().AsSpan(t.StorageOffset, t.Numel);
}
