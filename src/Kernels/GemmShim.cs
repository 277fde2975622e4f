namespace Trace.Kernels;

/// <summary>Temporary reference GEMM (replaced by the blocked kernel).</summary>
public static class Gemm
{
    /// <summary>C = alpha A B + beta C.</summary>
    public static void Sgemm(int m, int n, int k, float alpha, ReadOnlySpan<float> a, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int bRowStride, int bColStride, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * aRowStride + p * aColStride] * b[p * bRowStride + j * bColStride];
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }

    /// <summary>C = alpha A B + beta C.</summary>
    public static void Dgemm(int m, int n, int k, double alpha, ReadOnlySpan<double> a, int aRowStride, int aColStride,
        ReadOnlySpan<double> b, int bRowStride, int bColStride, double beta, Span<double> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += a[i * aRowStride + p * aColStride] * b[p * bRowStride + j * bColStride];
                c[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }

    /// <summary>Batched.</summary>
    public static void SgemmBatched(int batch, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int aBatchStride, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int bBatchStride, int bRowStride, int bColStride,
        float beta, Span<float> c, int cBatchStride, int ldc)
    {
        for (int i = 0; i < batch; i++)
            Sgemm(m, n, k, alpha, a[(i * aBatchStride)..], aRowStride, aColStride, b[(i * bBatchStride)..], bRowStride, bColStride, beta, c[(i * cBatchStride)..], ldc);
    }

    /// <summary>Batched.</summary>
    public static void DgemmBatched(int batch, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int aBatchStride, int aRowStride, int aColStride,
        ReadOnlySpan<double> b, int bBatchStride, int bRowStride, int bColStride,
        double beta, Span<double> c, int cBatchStride, int ldc)
    {
        for (int i = 0; i < batch; i++)
            Dgemm(m, n, k, alpha, a[(i * aBatchStride)..], aRowStride, aColStride, b[(i * bBatchStride)..], bRowStride, bColStride, beta, c[(i * cBatchStride)..], ldc);
    }
}
