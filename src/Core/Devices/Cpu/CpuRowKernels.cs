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
}
