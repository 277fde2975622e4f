namespace Trace;

/// <summary>
/// A device's matrix products. The op (<c>aten::matmul</c>, <c>aten::linear</c> and its epilogue forms) has checked shapes
/// and dtypes, broadcast the batch dims and allocated the output; a kernel only computes into <c>r</c>.
/// </summary>
internal interface ILinalgKernels
{
    /// <summary>r[..., m, n] = a[..., m, k] · b[..., k, n] over the <paramref name="batchDims"/> leading dims (a and b strided, broadcast by zero strides; r contiguous); <paramref name="op"/> names the calling op in errors.</summary>
    void BatchedGemm(Tensor a, Tensor b, Tensor r, int batchDims, int m, int n, int k, string op);

    /// <summary>r (contiguous m×n) = epilogue(a·b + beta·r) for 2-D strided a, b; <paramref name="op"/> names the calling op in errors.</summary>
    void Gemm(Tensor a, Tensor b, Tensor r, int m, int n, int k, float beta, Kernels.GemmEpilogue epilogue, string op);
}
