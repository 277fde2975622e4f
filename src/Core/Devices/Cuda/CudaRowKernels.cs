using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA row kernels (<see cref="GpuRowKernels"/>: one group per row, shared-memory tree reductions): softmax,
/// log-softmax, layer norm with its saved mean and rstd, variance and standard deviation; float32 and float64.
/// </summary>
internal sealed class CudaRowKernels : IRowKernels
{
    public void Softmax(Tensor rows, Tensor r, int n, int len, bool log)
    {
        if (n == 0 || len == 0) return;
        var p = GpuRowArgs.Dense(n, len) with { XOffset = rows.StorageOffset, YOffset = r.StorageOffset, Flag = log ? 1 : 0 };
        if (r.DType == DType.Float32) GpuRowKernels.Softmax(CudaViews.Gpu(r), CudaViews.Of<float>(rows), CudaViews.Of<float>(r), p);
        else GpuRowKernels.Softmax(CudaViews.Gpu(r), CudaViews.Of<double>(rows), CudaViews.Of<double>(r), p);
    }

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int n, int len, double eps)
    {
        if (n == 0 || len == 0) return;
        var p = GpuRowArgs.Dense(n, len) with
        {
            XOffset = x.StorageOffset, YOffset = y.StorageOffset, Extra = (weight is null ? 0 : 1) | (bias is null ? 0 : 2), Eps = eps,
        };
        if (x.DType == DType.Float32) LayerNorm<float>(x, weight, bias, y, mean, rstd, n, p);
        else LayerNorm<double>(x, weight, bias, y, mean, rstd, n, p);
    }

    private static void LayerNorm<T>(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int n, in GpuRowArgs p) where T : unmanaged =>
        GpuRowKernels.LayerNorm(CudaViews.Gpu(x), CudaViews.Of<T>(x), CudaViews.Run<T>(weight), CudaViews.Run<T>(bias), CudaViews.Of<T>(y),
            CudaViews.Run<T>(mean), CudaViews.Run<T>(rstd), p);

    public void Variance(Tensor rows, Tensor r, int n, int len, int correction, bool std)
    {
        if (n == 0) return;
        if (len == 0)
        {
            // No elements: 0/0 (or 0/negative, clamped to 0) is NaN, as the CPU and PyTorch give.
            CudaKernels.Instance.Factory.Fill(r, double.NaN);
            return;
        }
        var p = GpuRowArgs.Dense(n, len) with { XOffset = rows.StorageOffset, YOffset = r.StorageOffset, YRowStride = 1, YStride = 0, Flag = std ? 1 : 0, Extra = correction };
        if (r.DType == DType.Float32) GpuRowKernels.Variance(CudaViews.Gpu(r), CudaViews.Of<float>(rows), CudaViews.Of<float>(r), p);
        else GpuRowKernels.Variance(CudaViews.Gpu(r), CudaViews.Of<double>(rows), CudaViews.Of<double>(r), p);
    }

    // The LSTM cell as the device's elementwise kernels (several passes where the CPU makes one).
    public void LstmCell(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor hy, Tensor cy, Tensor workspace) =>
        LstmCellMath.Forward(inputGates, hiddenGates, cx, hy, cy, workspace);

    public void LstmCellBackward(Tensor? gradHy, Tensor? gradCy, Tensor? cx, Tensor cy, Tensor workspace, Tensor gradGates, Tensor gradCx) =>
        LstmCellMath.Backward(gradHy, gradCy, cx, cy, workspace, gradGates, gradCx);
}
