using System.Numerics;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Layer normalization over contiguous rows: per row the mean and 1/sqrt(biased variance + eps) (two-pass,
/// so large offsets don't cancel), then y = (x − mean)·rstd·w + b in one vectorized pass. Rows are split
/// across cores for large inputs.
/// </summary>
public static class LayerNormKernels
{
    /// <summary>
    /// Normalizes <paramref name="rows"/> rows of <paramref name="length"/> elements of <paramref name="x"/>
    /// (from <paramref name="offset"/>) into <paramref name="y"/>; writes each row's mean and rstd.
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
                T m = SpanReduce.Reduce<T, SumReduce<T>>(row) / T.CreateTruncating(length);
                SpanKernels.BinaryScalarRight<T, SubOp<T>>(row, m, outRow);
                T var = SumOfSquares(outRow) / T.CreateTruncating(length);
                T rs = T.One / T.Sqrt(var + eps);
                mean[r] = m;
                rstd[r] = rs;
                SpanKernels.BinaryScalarRight<T, MulOp<T>>(outRow, rs, outRow);
                if (weight is not null) SpanKernels.Binary<T, MulOp<T>>(outRow, weight, outRow);
                if (bias is not null) SpanKernels.Binary<T, AddOp<T>>(outRow, bias, outRow);
            }
        });
    }

    private static T SumOfSquares<T>(ReadOnlySpan<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        T sum = T.Zero;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var acc = Vector512<T>.Zero;
            for (; i <= v.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var e = Vector512.Create(v.Slice(i, Vector512<T>.Count));
                acc += e * e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var acc = Vector256<T>.Zero;
            for (; i <= v.Length - Vector256<T>.Count; i += Vector256<T>.Count)
            {
                var e = Vector256.Create(v.Slice(i, Vector256<T>.Count));
                acc += e * e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < v.Length; i++) sum += v[i] * v[i];
        return sum;
    }
}
