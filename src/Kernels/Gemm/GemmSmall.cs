using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Unblocked paths: the k = 0 / alpha = 0 scaling of C, and a direct loop for tiny problems and
/// vector-matrix / matrix-vector shapes.
/// </summary>
internal static unsafe class GemmSmall
{
    /// <summary>C = beta*C over an m×n view (beta = 0 writes zeros without reading C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleC<T>(int m, int n, T beta, T* c, nint ldc) where T : unmanaged, INumber<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + i * ldc, n);
            if (T.IsZero(beta))
            {
                row.Clear();
            }
            else
            {
                for (int j = 0; j < row.Length; j++) row[j] *= beta;
            }
        }
    }

    /// <summary>Columns of C accumulated per pass of the direct loop (its accumulator lives on the stack).</summary>
    private const int DirectChunk = 512;

    /// <summary>
    /// Unpacked loop for tiny problems and matrix-vector shapes (m or n of 1-2), where packing would cost
    /// more than it saves. Each row of C is accumulated as a sum of scaled rows of B, vectorized along n
    /// when B has unit column stride; when rows of A and columns of B are contiguous along k (a single column,
    /// or B transposed) each element is a vectorized dot product.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    public static void Direct<T>(int m, int n, int k, T alpha, T* a, nint ars, nint acs, T* b, nint brs, nint bcs,
        T beta, T* c, nint ldc) where T : unmanaged, INumber<T>
    {
        bool overwrite = T.IsZero(beta);
        if (acs == 1 && brs == 1 && (n == 1 || bcs != 1))
        {
            // Rows of A and columns of B both contiguous along k (a matrix-vector product, or x·Wᵀ with W read
            // transposed): vectorized dot products rather than a strided walk across B's rows.
            for (int i = 0; i < m; i++)
            {
                T* ci = c + i * ldc;
                for (int j = 0; j < n; j++)
                {
                    T dot = Dot(a + i * ars, b + j * bcs, k);
                    ci[j] = overwrite ? alpha * dot : alpha * dot + beta * ci[j];
                }
            }

            return;
        }

        T* acc = stackalloc T[DirectChunk];
        for (int j0 = 0; j0 < n; j0 += DirectChunk)
        {
            int w = Math.Min(DirectChunk, n - j0);
            for (int i = 0; i < m; i++)
            {
                T* aRow = a + i * ars;
                new Span<T>(acc, w).Clear();
                for (int p = 0; p < k; p++)
                {
                    T* bRow = b + p * brs + j0 * bcs;
                    if (bcs == 1) Axpy(aRow[p * acs], bRow, acc, w);
                    else
                    {
                        T aip = aRow[p * acs];
                        for (int j = 0; j < w; j++) acc[j] += aip * bRow[j * bcs];
                    }
                }

                T* cRow = c + i * ldc + j0;
                for (int j = 0; j < w; j++) cRow[j] = overwrite ? alpha * acc[j] : alpha * acc[j] + beta * cRow[j];
            }
        }
    }

    /// <summary>y[0..w] += s * x[0..w].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy<T>(T s, T* x, T* y, int w) where T : unmanaged, INumber<T>
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && w >= Vector256<T>.Count)
        {
            Vector256<T> vs = Vector256.Create(s);
            for (; j <= w - Vector256<T>.Count; j += Vector256<T>.Count)
            {
                Vector256.Store(Vector256.Load(y + j) + vs * Vector256.Load(x + j), y + j);
            }
        }

        for (; j < w; j++) y[j] += s * x[j];
    }

    /// <summary>Dot product of two contiguous vectors of length k.</summary>
    private static T Dot<T>(T* x, T* y, int k) where T : unmanaged, INumber<T>
    {
        int p = 0;
        T sum = T.Zero;
        if (Vector256.IsHardwareAccelerated && k >= 4 * Vector256<T>.Count)
        {
            int vl = Vector256<T>.Count;
            Vector256<T> s0 = Vector256<T>.Zero, s1 = s0, s2 = s0, s3 = s0;
            for (; p <= k - 4 * vl; p += 4 * vl)
            {
                s0 += Vector256.Load(x + p) * Vector256.Load(y + p);
                s1 += Vector256.Load(x + p + vl) * Vector256.Load(y + p + vl);
                s2 += Vector256.Load(x + p + 2 * vl) * Vector256.Load(y + p + 2 * vl);
                s3 += Vector256.Load(x + p + 3 * vl) * Vector256.Load(y + p + 3 * vl);
            }

            sum = Vector256.Sum((s0 + s1) + (s2 + s3));
        }

        for (; p < k; p++) sum += x[p] * y[p];
        return sum;
    }
}
