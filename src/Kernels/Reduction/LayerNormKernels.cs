using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Layer normalization over contiguous rows: per row the mean and 1/sqrt(biased variance + eps), both computed in
/// float64 by <see cref="MomentKernels.Row(ReadOnlySpan{float})"/> (so a large common offset and large magnitudes
/// are not lost), then y = (x − mean)·rstd·w + b. Rows are split across cores for large inputs.
/// </summary>
public static class LayerNormKernels
{
    /// <summary>
    /// Normalizes <paramref name="rows"/> rows of <paramref name="length"/> elements of <paramref name="x"/>
    /// (from <paramref name="offset"/>) into <paramref name="y"/>; writes each row's mean and rstd (rounded to T).
    /// <paramref name="weight"/>/<paramref name="bias"/> (length elements) are optional.
    /// </summary>
    public static void Rows<T>(T[] x, int offset, T[]? weight, T[]? bias, T[] y, T[] mean, T[] rstd, int rows, int length, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows == 0) return;
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / 4 / Math.Max(length, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var row = x.AsSpan(offset + r * length, length);
                var outRow = y.AsSpan(r * length, length);
                var (m, m2) = typeof(T) == typeof(float)
                    ? MomentKernels.Row(MemoryMarshal.Cast<T, float>(row))
                    : MomentKernels.Row(MemoryMarshal.Cast<T, double>(row));
                double rs = 1 / Math.Sqrt(m2 / length + double.CreateTruncating(eps));
                // (x − mean)·rstd with mean rounded to T: x − m is exact near the mean, and the rounding of the mean
                // is put back as the constant (m − mean)·rstd (0 in float64).
                T mt = T.CreateTruncating(m), rt = T.CreateTruncating(rs);
                mean[r] = mt;
                rstd[r] = rt;
                Normalize(row, outRow, mt, rt, T.CreateTruncating((m - double.CreateTruncating(mt)) * rs));
                if (weight is not null) SpanKernels.Binary<T, MulOp<T>>(outRow, weight, outRow);
                if (bias is not null) SpanKernels.Binary<T, AddOp<T>>(outRow, bias, outRow);
            }
        });
    }

    /// <summary>y = (x − mean)·scale − shift, lane by lane (the same operations in every lane and the tail).</summary>
    private static void Normalize<T>(ReadOnlySpan<T> x, Span<T> y, T mean, T scale, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Length, i = 0;
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var (m, s, c) = (Vector512.Create(mean), Vector512.Create(scale), Vector512.Create(shift));
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                ((Vector512.LoadUnsafe(ref rx, (nuint)i) - m) * s - c).StoreUnsafe(ref ry, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var (m, s, c) = (Vector256.Create(mean), Vector256.Create(scale), Vector256.Create(shift));
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                ((Vector256.LoadUnsafe(ref rx, (nuint)i) - m) * s - c).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = (Unsafe.Add(ref rx, i) - mean) * scale - shift;
    }
}
