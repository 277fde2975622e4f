using Trace.Kernels;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA convolution and pooling kernels (<see cref="GpuConv"/>). A convolution is im2col of the whole batch into a
/// scratch tensor, one batched GEMM per group (the weights broadcast over the images), then the bias and the epilogue
/// as elementwise launches.
/// </summary>
internal sealed class CudaConvKernels : IConvKernels
{
    public void Im2Col(Tensor x, Tensor cols, in Conv2dArgs a)
    {
        if (x.DType == DType.Float32) GpuConv.Im2Col(CudaViews.Gpu(x), CudaViews.Run<float>(x), CudaViews.Run<float>(cols), a);
        else GpuConv.Im2Col(CudaViews.Gpu(x), CudaViews.Run<double>(x), CudaViews.Run<double>(cols), a);
    }

    public void Col2Im(Tensor cols, Tensor x, in Conv2dArgs a)
    {
        if (x.DType == DType.Float32) GpuConv.Col2Im(CudaViews.Gpu(x), CudaViews.Run<float>(cols), CudaViews.Run<float>(x), a);
        else GpuConv.Col2Im(CudaViews.Gpu(x), CudaViews.Run<double>(cols), CudaViews.Run<double>(x), a);
    }

    public void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor y, in Conv2dArgs a, int groups, GemmEpilogue epilogue)
    {
        const string op = "aten::conv2d";
        int cout = w._shape[0], cog = cout / groups, k = a.ColRows / groups;
        var cols = new Tensor([a.N, a.ColRows, a.L], x.DType, x.Device, op: op);
        try
        {
            Im2Col(x, cols, a);
            var wb = w.AsStrided([a.N, groups, cog, k], [0, cog * k, k, 1], w.StorageOffset);
            var cb = cols.AsStrided([a.N, groups, k, a.L], [a.ColRows * a.L, k * a.L, a.L, 1], 0);
            var yb = y.AsStrided([a.N, groups, cog, a.L], [cout * a.L, cog * a.L, a.L, 1], y.StorageOffset);
            CudaKernels.Instance.Linalg.BatchedGemm(wb, cb, yb, 2, cog, a.L, k, op);
        }
        finally
        {
            cols.Storage.Dispose();
        }
        if (bias is not null) ElementwiseDispatch.Binary(BinaryKind.Add, y, bias.AsStrided([cout, 1, 1], [1, 0, 0], bias.StorageOffset), op, into: y);
        if (epilogue == GemmEpilogue.Relu) ElementwiseDispatch.Unary(UnaryKind.Relu, y, op, into: y);
        else if (epilogue != GemmEpilogue.None) throw new NotSupportedException($"{op}: the {epilogue} epilogue is not a convolution epilogue.");
    }

    public void Conv2dWeightGrad(Tensor g, Tensor x, Tensor dw, in Conv2dArgs a, int groups)
    {
        // im2col of the batch, one batched GEMM of per-image products (N, groups, Cout/groups, k), then their sum over the images.
        const string op = "trace::conv2d_weight_backward";
        int cout = dw._shape[0], cog = cout / groups, k = a.ColRows / groups;
        var cols = new Tensor([a.N, a.ColRows, a.L], x.DType, x.Device, op: op);
        var products = new Tensor([a.N, groups, cog, k], x.DType, x.Device, op: op);
        try
        {
            Im2Col(x, cols, a);
            var gb = g.AsStrided([a.N, groups, cog, a.L], [cout * a.L, cog * a.L, a.L, 1], g.StorageOffset);
            var ct = cols.AsStrided([a.N, groups, a.L, k], [a.ColRows * a.L, k * a.L, 1, a.L], 0);
            CudaKernels.Instance.Linalg.BatchedGemm(gb, ct, products, 2, cog, k, a.L, op);
            CudaKernels.Instance.Reductions.Reduce(ReduceKind.Sum, products.AsStrided([a.N, cout * k], [cout * k, 1], 0), [true, false],
                dw.AsStrided([cout * k], [1], dw.StorageOffset));
        }
        finally
        {
            cols.Storage.Dispose();
            products.Storage.Dispose();
        }
    }

    public void Conv2dInputGrad(Tensor g, Tensor w, Tensor dx, in Conv2dArgs a, int groups)
    {
        // One batched GEMM per group of W_groupᵀ · g_n,group into the batch's column gradients (the weights broadcast), then col2im.
        const string op = "trace::conv2d_input_backward";
        int cout = w._shape[0], cog = cout / groups, k = a.ColRows / groups;
        var cols = new Tensor([a.N, a.ColRows, a.L], dx.DType, dx.Device, op: op);
        try
        {
            var wt = w.AsStrided([a.N, groups, k, cog], [0, cog * k, 1, k], w.StorageOffset);
            var gb = g.AsStrided([a.N, groups, cog, a.L], [cout * a.L, cog * a.L, a.L, 1], g.StorageOffset);
            var cb = cols.AsStrided([a.N, groups, k, a.L], [a.ColRows * a.L, k * a.L, a.L, 1], 0);
            CudaKernels.Instance.Linalg.BatchedGemm(wt, gb, cb, 2, k, a.L, cog, op);
            Col2Im(cols, dx, a);
        }
        finally
        {
            cols.Storage.Dispose();
        }
    }

    public void MaxPool2d(Tensor x, Tensor y, Tensor indices, in Pool2dArgs a)
    {
        if (x.DType == DType.Float32) GpuConv.MaxPool(CudaViews.Gpu(x), CudaViews.Run<float>(x), CudaViews.Run<float>(y), CudaViews.Run<long>(indices), a);
        else GpuConv.MaxPool(CudaViews.Gpu(x), CudaViews.Run<double>(x), CudaViews.Run<double>(y), CudaViews.Run<long>(indices), a);
    }

    public void MaxPool2dBackward(Tensor g, Tensor indices, Tensor gx, in Pool2dArgs a)
    {
        if (g.DType == DType.Float32) GpuConv.MaxPoolBackward(CudaViews.Gpu(g), CudaViews.Run<float>(g), CudaViews.Run<long>(indices), CudaViews.Run<float>(gx), a);
        else GpuConv.MaxPoolBackward(CudaViews.Gpu(g), CudaViews.Run<double>(g), CudaViews.Run<long>(indices), CudaViews.Run<double>(gx), a);
    }

    public void AvgPool2d(Tensor x, Tensor y, in Pool2dArgs a)
    {
        if (x.DType == DType.Float32) GpuConv.AvgPool(CudaViews.Gpu(x), CudaViews.Run<float>(x), CudaViews.Run<float>(y), a);
        else GpuConv.AvgPool(CudaViews.Gpu(x), CudaViews.Run<double>(x), CudaViews.Run<double>(y), a);
    }

    public void AvgPool2dBackward(Tensor g, Tensor gx, in Pool2dArgs a)
    {
        if (g.DType == DType.Float32) GpuConv.AvgPoolBackward(CudaViews.Gpu(g), CudaViews.Run<float>(g), CudaViews.Run<float>(gx), a);
        else GpuConv.AvgPoolBackward(CudaViews.Gpu(g), CudaViews.Run<double>(g), CudaViews.Run<double>(gx), a);
    }
}
