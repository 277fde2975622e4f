using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Trace.Kernels;

/// <summary>
/// Exact integer matrix products (int64, int32): C = A·B (+ C) computed in the element type, wrapping around on
/// overflow as PyTorch's (and C's) integer arithmetic does — never through floating point, where products and sums
/// beyond 2^53 would be rounded. Blocked over k and j so that a strip of B stays in cache; rows split across cores.
/// </summary>
public static class IntegerGemm
{
    private const int KBlock = 256, NBlock = 512;

    /// <summary>
    /// C[i, j] (+)= Σ_p A[i, p]·B[p, j] for an m×k A read at <paramref name="a"/>[i·ars + p·acs], a k×n B at
    /// <paramref name="b"/>[p·brs + j·bcs] and a row-major m×n C with row stride <paramref name="ldc"/>;
    /// <paramref name="accumulate"/> adds to C's contents instead of overwriting them.
    /// </summary>
    public static void Run<T>(int m, int n, int k, ReadOnlySpan<T> a, int ars, int acs, ReadOnlySpan<T> b, int brs, int bcs,
        Span<T> c, int ldc, bool accumulate) where T : unmanaged, IBinaryInteger<T>
    {
        if (m <= 0 || n <= 0) return;
        if (!accumulate)
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (k <= 0) return;
        unsafe
        {
            fixed (T* pa = a, pb = b, pc = c)
            {
                var (ua, ub, uc) = ((nint)pa, (nint)pb, (nint)pc);
                // Each row of C is independent: split rows across workers once there is enough work for several.
                long work = (long)n * k;
                int grain = (int)Math.Clamp((1L << 18) / Math.Max(work, 1), 1, m);
                ParallelRange.Run(m, grain, (i0, i1) => Rows((T*)ua, ars, acs, (T*)ub, brs, bcs, (T*)uc, ldc, i0, i1, n, k));
            }
        }
    }

    private static unsafe void Rows<T>(T* a, int ars, int acs, T* b, int brs, int bcs, T* c, int ldc, int i0, int i1, int n, int k)
        where T : unmanaged, IBinaryInteger<T>
    {
        // B's strip for one (p, j) block, packed row-major so that the inner loop reads and writes contiguously.
        var strip = new T[Math.Min(KBlock, k) * Math.Min(NBlock, n)];
        for (int j0 = 0; j0 < n; j0 += NBlock)
        {
            int nb = Math.Min(NBlock, n - j0);
            for (int p0 = 0; p0 < k; p0 += KBlock)
            {
                int kb = Math.Min(KBlock, k - p0);
                for (int p = 0; p < kb; p++)
                    for (int j = 0; j < nb; j++)
                        strip[p * nb + j] = b[(nint)(p0 + p) * brs + (nint)(j0 + j) * bcs];
                for (int i = i0; i < i1; i++)
                {
                    var row = new Span<T>(c + (nint)i * ldc + j0, nb);
                    for (int p = 0; p < kb; p++)
                    {
                        T aip = a[(nint)i * ars + (nint)(p0 + p) * acs];
                        if (aip == T.Zero) continue;
                        AddScaled(row, aip, strip.AsSpan(p * nb, nb));
                    }
                }
            }
        }
    }

    /// <summary>row[j] += s·x[j], lane by lane in the element type (wrapping on overflow).</summary>
    private static void AddScaled<T>(Span<T> row, T s, ReadOnlySpan<T> x) where T : unmanaged, IBinaryInteger<T>
    {
        int n = row.Length, j = 0;
        ref T r = ref MemoryMarshal.GetReference(row);
        ref T q = ref MemoryMarshal.GetReference(x);
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vs = new Vector<T>(s);
            for (; j <= n - Vector<T>.Count; j += Vector<T>.Count)
            {
                ref T rj = ref Unsafe.Add(ref r, j);
                Vector.StoreUnsafe(Vector.LoadUnsafe(ref rj) + vs * Vector.LoadUnsafe(ref Unsafe.Add(ref q, j)), ref rj);
            }
        }
        for (; j < n; j++) Unsafe.Add(ref r, j) += s * Unsafe.Add(ref q, j);
    }
}
