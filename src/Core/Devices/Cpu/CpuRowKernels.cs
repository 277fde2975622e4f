using Trace.Kernels;

namespace Trace;

/// <summary>The CPU's row kernels (softmax, layer norm, variance) over host arrays.</summary>
internal sealed class CpuRowKernels : IRowKernels
{
    public void Softmax(Tensor rows, Tensor r, int n, int len, bool log)
    {
        if (r.DType == DType.Float32) SoftmaxKernels.Rows(rows.Data<float>(), rows.StorageOffset, r.Data<float>(), n, len, log);
        else SoftmaxKernels.Rows(rows.Data<double>(), rows.StorageOffset, r.Data<double>(), n, len, log);
    }

    public void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int n, int len, double eps)
    {
        if (x.DType == DType.Float32)
            LayerNormKernels.Rows(x.Data<float>(), x.StorageOffset, Flat<float>(weight), Flat<float>(bias), y.Data<float>(),
                mean.Data<float>(), rstd.Data<float>(), n, len, (float)eps);
        else
            LayerNormKernels.Rows(x.Data<double>(), x.StorageOffset, Flat<double>(weight), Flat<double>(bias), y.Data<double>(),
                mean.Data<double>(), rstd.Data<double>(), n, len, eps);
    }

    /// <summary>
    /// A contiguous weight or bias as an array starting at element 0: the kernel reads from index 0, so a view that
    /// starts further into its storage (a narrow of a larger tensor) is copied out.
    /// </summary>
    private static T[]? Flat<T>(Tensor? t) where T : unmanaged =>
        t is null ? null : t.StorageOffset == 0 ? t.Data<T>() : t.Data<T>().AsSpan(t.StorageOffset, t.Numel).ToArray();

    public void Variance(Tensor rows, Tensor r, int n, int len, int correction, bool std)
    {
        if (r.DType == DType.Float32)
            MomentKernels.VarRows(rows.Data<float>(), rows.StorageOffset, n, len, correction, r.Data<float>(), std);
        else
            MomentKernels.VarRows(rows.Data<double>(), rows.StorageOffset, n, len, correction, r.Data<double>(), std);
    }

    public void LstmCell(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor hy, Tensor cy, Tensor workspace)
    {
        int b = hy.Size(0), h = hy.Size(1);
        if (hy.DType == DType.Float32)
            LstmCellKernels.Forward(Rows<float>(inputGates), Rows<float>(hiddenGates), Rows<float>(cx), Rows<float>(hy), Rows<float>(cy), Rows<float>(workspace), b, h);
        else
            LstmCellKernels.Forward(Rows<double>(inputGates), Rows<double>(hiddenGates), Rows<double>(cx), Rows<double>(hy), Rows<double>(cy), Rows<double>(workspace), b, h);
    }

    public void LstmCellBackward(Tensor? gradHy, Tensor? gradCy, Tensor? cx, Tensor cy, Tensor workspace, Tensor gradGates, Tensor gradCx)
    {
        int b = cy.Size(0), h = cy.Size(1);
        if (cy.DType == DType.Float32)
            LstmCellKernels.Backward(Rows<float>(gradHy), Rows<float>(gradCy), Rows<float>(cx), Rows<float>(cy), Rows<float>(workspace), Rows<float>(gradGates), Rows<float>(gradCx), b, h);
        else
            LstmCellKernels.Backward(Rows<double>(gradHy), Rows<double>(gradCy), Rows<double>(cx), Rows<double>(cy), Rows<double>(workspace), Rows<double>(gradGates), Rows<double>(gradCx), b, h);
    }

    /// <summary>A 2-D tensor's storage, offset and row stride (default: absent).</summary>
    private static LstmCellKernels.Rows<T> Rows<T>(Tensor? t) where T : unmanaged =>
        t is null ? default : new(t.Data<T>(), t.StorageOffset, t.Stride(0));
}
