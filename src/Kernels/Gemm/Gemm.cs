using System.Numerics;
using System.Runtime.Intrinsics;

using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// General matrix multiply, C = alpha·A·B + beta·C, for float and double.
/// </summary>
/// <remarks>
/// A (m×k) and B (k×n) are addressed by arbitrary non-negative element strides: element (i, p) of A is
/// <c>a[i*aRowStride + p*aColStride]</c>, so transposed and sliced views need no copy. C (m×n) is
/// row-major with row stride <c>ldc</c> (column stride 1). When beta is zero C is write-only (existing
/// contents, NaN included, are ignored). C must not overlap A or B.
/// The implementation is BLIS-style: cache blocking, packing into micro-panels, and a register-blocked
/// Vector512 FMA micro-kernel (Vector256 when Vector512 is not hardware accelerated); large problems
/// use all processors.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Single-precision GEMM: C = epilogue(alpha·A·B + beta·C).</summary>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="k">Columns of A and rows of B.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A; element (i, p) at <c>i*aRowStride + p*aColStride</c>.</param>
    /// <param name="aRowStride">Element stride between rows of A.</param>
    /// <param name="aColStride">Element stride between columns of A.</param>
    /// <param name="b">B; element (p, j) at <c>p*bRowStride + j*bColStride</c>.</param>
    /// <param name="bRowStride">Element stride between rows of B.</param>
    /// <param name="bColStride">Element stride between columns of B.</param>
    /// <param name="beta">Scale of the existing C; zero means C is overwritten without being read.</param>
    /// <param name="c">C; element (i, j) at <c>i*ldc + j</c>.</param>
    /// <param name="ldc">Row stride of C (at least n when m &gt; 1).</param>
    /// <param name="epilogue">Applied to each strip of C after its final accumulation, while the strip is in cache.</param>
    /// <exception cref="ArgumentException">A size is negative or a span is too short for its sizes and strides.</exception>
    public static void Sgemm(int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int bRowStride, int bColStride,
        float beta, Span<float> c, int ldc, GemmEpilogue epilogue = GemmEpilogue.None)
    {
        if (Vector512.IsHardwareAccelerated) Run<float, GemmKernel512<float>>(m, n, k, alpha, a, aRowStride, aColStride, b, bRowStride, bColStride, beta, c, ldc, 0, epilogue);
        else Run<float, GemmKernel256<float>>(m, n, k, alpha, a, aRowStride, aColStride, b, bRowStride, bColStride, beta, c, ldc, 0, epilogue);
    }

    /// <summary>Double-precision GEMM: C = epilogue(alpha·A·B + beta·C).</summary>
    /// <inheritdoc cref="Sgemm" path="/param"/>
    /// <exception cref="ArgumentException">A size is negative or a span is too short for its sizes and strides.</exception>
    public static void Dgemm(int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int aRowStride, int aColStride,
        ReadOnlySpan<double> b, int bRowStride, int bColStride,
        double beta, Span<double> c, int ldc, GemmEpilogue epilogue = GemmEpilogue.None)
    {
        if (Vector512.IsHardwareAccelerated) Run<double, GemmKernel512<double>>(m, n, k, alpha, a, aRowStride, aColStride, b, bRowStride, bColStride, beta, c, ldc, 0, epilogue);
        else Run<double, GemmKernel256<double>>(m, n, k, alpha, a, aRowStride, aColStride, b, bRowStride, bColStride, beta, c, ldc, 0, epilogue);
    }

    /// <summary>
    /// Batched single-precision GEMM: for i in [0, batch), C_i = alpha·A_i·B_i + beta·C_i, where operand i
    /// starts at <c>i*aBatchStride</c> (resp. b, c). A batch stride of 0 broadcasts A or B to every entry.
    /// The C matrices must not overlap one another.
    /// </summary>
    /// <param name="batch">Number of independent products.</param>
    /// <param name="m">Rows of each A and C.</param>
    /// <param name="n">Columns of each B and C.</param>
    /// <param name="k">Columns of each A and rows of each B.</param>
    /// <param name="alpha">Scale of the products.</param>
    /// <param name="a">The A operands.</param>
    /// <param name="aBatchStride">Element offset between consecutive A operands (0 = shared).</param>
    /// <param name="aRowStride">Element stride between rows of A.</param>
    /// <param name="aColStride">Element stride between columns of A.</param>
    /// <param name="b">The B operands.</param>
    /// <param name="bBatchStride">Element offset between consecutive B operands (0 = shared).</param>
    /// <param name="bRowStride">Element stride between rows of B.</param>
    /// <param name="bColStride">Element stride between columns of B.</param>
    /// <param name="beta">Scale of the existing C; zero means C is overwritten without being read.</param>
    /// <param name="c">The C operands.</param>
    /// <param name="cBatchStride">Element offset between consecutive C operands.</param>
    /// <param name="ldc">Row stride of each C (at least n when m &gt; 1).</param>
    /// <exception cref="ArgumentException">A size is negative or a span is too short for its sizes and strides.</exception>
    public static void SgemmBatched(int batch, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int aBatchStride, int aRowStride, int aColStride,
        ReadOnlySpan<float> b, int bBatchStride, int bRowStride, int bColStride,
        float beta, Span<float> c, int cBatchStride, int ldc)
    {
        if (Vector512.IsHardwareAccelerated)
            RunBatched<float, GemmKernel512<float>>(batch, m, n, k, alpha, a, aBatchStride, aRowStride, aColStride, b, bBatchStride, bRowStride, bColStride, beta, c, cBatchStride, ldc);
        else
            RunBatched<float, GemmKernel256<float>>(batch, m, n, k, alpha, a, aBatchStride, aRowStride, aColStride, b, bBatchStride, bRowStride, bColStride, beta, c, cBatchStride, ldc);
    }

    /// <summary>
    /// Batched double-precision GEMM: for i in [0, batch), C_i = alpha·A_i·B_i + beta·C_i, where operand i
    /// starts at <c>i*aBatchStride</c> (resp. b, c). A batch stride of 0 broadcasts A or B to every entry.
    /// The C matrices must not overlap one another.
    /// </summary>
    /// <inheritdoc cref="SgemmBatched" path="/param"/>
    /// <exception cref="ArgumentException">A size is negative or a span is too short for its sizes and strides.</exception>
    public static void DgemmBatched(int batch, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int aBatchStride, int aRowStride, int aColStride,
        ReadOnlySpan<double> b, int bBatchStride, int bRowStride, int bColStride,
        double beta, Span<double> c, int cBatchStride, int ldc)
    {
        if (Vector512.IsHardwareAccelerated)
            RunBatched<double, GemmKernel512<double>>(batch, m, n, k, alpha, a, aBatchStride, aRowStride, aColStride, b, bBatchStride, bRowStride, bColStride, beta, c, cBatchStride, ldc);
        else
            RunBatched<double, GemmKernel256<double>>(batch, m, n, k, alpha, a, aBatchStride, aRowStride, aColStride, b, bBatchStride, bRowStride, bColStride, beta, c, cBatchStride, ldc);
    }

    /// <summary>
    /// Validated GEMM with an explicit micro-kernel and optional worker cap (0 = default); tests use it to
    /// cover the fallback kernel and to compare thread counts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Run<T, TK>(int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aRowStride, int aColStride, ReadOnlySpan<T> b, int bRowStride, int bColStride,
        T beta, Span<T> c, int ldc, int maxThreads = 0, GemmEpilogue epilogue = GemmEpilogue.None) where T : unmanaged, INumber<T> where TK : struct, IGemmKernel<T>
    {
        GemmArgs.Validate(false, 1, m, n, k, a.Length, 0, aRowStride, aColStride, b.Length, 0, bRowStride, bColStride, c.Length, 0, ldc);
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            GemmDriver<T, TK>.Run(m, n, k, alpha, pa, aRowStride, aColStride, pb, bRowStride, bColStride, beta, pc, ldc,
                maxThreads > 0 ? maxThreads : GemmTuning.MaxThreads, epilogue);
        }
    }

    /// <summary>Validated batched GEMM with an explicit micro-kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RunBatched<T, TK>(int batch, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int aBatchStride, int aRowStride, int aColStride,
        ReadOnlySpan<T> b, int bBatchStride, int bRowStride, int bColStride,
        T beta, Span<T> c, int cBatchStride, int ldc) where T : unmanaged, INumber<T> where TK : struct, IGemmKernel<T>
    {
        GemmArgs.Validate(true, batch, m, n, k, a.Length, aBatchStride, aRowStride, aColStride,
            b.Length, bBatchStride, bRowStride, bColStride, c.Length, cBatchStride, ldc);
        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            GemmBatchDriver<T, TK>.Run(batch, m, n, k, alpha, pa, aBatchStride, aRowStride, aColStride,
                pb, bBatchStride, bRowStride, bColStride, beta, pc, cBatchStride, ldc);
        }
    }
}
