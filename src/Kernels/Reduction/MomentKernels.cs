using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Mean and spread of contiguous rows, always in float64, from deviations d = x − K around a shift K:
/// M2 = Σd² − (Σd)²/n, mean = K + Σd/n. Float32 rows take one pass with K = x₀ — every d and d² is exact in float64, so
/// only the float64 sums round (relative error ≲ n·2⁻⁵³ even when x₀ is an outlier). Float64 rows take two passes,
/// the second with K = the first pass's mean (the corrected two-pass algorithm). Neither a large common offset
/// (1e8 + a small spread) nor large magnitudes (squares of 1e20 overflow float32) lose the result, and a constant row
/// has exactly its value as mean and exactly 0 as M2 (as PyTorch's Welford loop gives), which keeps std's gradient at
/// a constant row 0 rather than 0/0.
/// </summary>
public static class MomentKernels
{
    /// <summary>The mean and the sum of squared deviations M2 of a row, in float64.</summary>
    public static (double Mean, double M2) Row(ReadOnlySpan<float> x)
    {
        int n = x.Length;
        if (n == 0) return (double.NaN, 0);
        double k = x[0];
        var (s1, s2) = Deviations(x, k);
        return (k + s1 / n, Math.Max(0, s2 - s1 * s1 / n));
    }

    /// <inheritdoc cref="Row(ReadOnlySpan{float})"/>
    public static (double Mean, double M2) Row(ReadOnlySpan<double> x)
    {
        int n = x.Length;
        if (n == 0) return (double.NaN, 0);
        double mean = x[0] + Deviations(x, x[0]).S1 / n;
        var (s1, s2) = Deviations(x, mean);
        return (mean, Math.Max(0, s2 - s1 * s1 / n));
    }

    /// <summary>
    /// dst[r] = M2 / max(0, length − correction) of row r (its variance), or its square root when <paramref name="sqrt"/>
    /// (the standard deviation, taken in float64 before rounding). Rows are split across cores for large inputs.
    /// </summary>
    public static void VarRows(float[] x, int offset, int rows, int length, double correction, float[] dst, bool sqrt) =>
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / 2 / Math.Max(length, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) dst[r] = (float)Finish(Row(x.AsSpan(offset + r * length, length)).M2, length, correction, sqrt);
        });

    /// <inheritdoc cref="VarRows(float[], int, int, int, double, float[], bool)"/>
    public static void VarRows(double[] x, int offset, int rows, int length, double correction, double[] dst, bool sqrt) =>
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / 2 / Math.Max(length, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) dst[r] = Finish(Row(x.AsSpan(offset + r * length, length)).M2, length, correction, sqrt);
        });

    private static double Finish(double m2, int length, double correction, bool sqrt)
    {
        // An empty row has no variance (NaN, as its mean); otherwise PyTorch's max(0, n - correction) degrees of freedom.
        double v = length == 0 ? double.NaN : m2 / Math.Max(0, length - correction);
        return sqrt ? Math.Sqrt(v) : v;
    }

    /// <summary>(Σ (x − k), Σ (x − k)²) in float64 lanes (four independent accumulator pairs).</summary>
    private static (double S1, double S2) Deviations(ReadOnlySpan<float> x, double k)
    {
        int n = x.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        double s1 = 0, s2 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            var m = Vector512.Create(k);
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default, q0 = default, q1 = default, q2 = default, q3 = default;
            for (; i <= n - 32; i += 32)
            {
                var d0 = Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)i).ToVector512Unsafe()) - m;
                var d1 = Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 8)).ToVector512Unsafe()) - m;
                var d2 = Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 16)).ToVector512Unsafe()) - m;
                var d3 = Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 24)).ToVector512Unsafe()) - m;
                a0 += d0; q0 += d0 * d0; a1 += d1; q1 += d1 * d1; a2 += d2; q2 += d2 * d2; a3 += d3; q3 += d3 * d3;
            }
            s1 = Vector512.Sum((a0 + a1) + (a2 + a3));
            s2 = Vector512.Sum((q0 + q1) + (q2 + q3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            var m = Vector256.Create(k);
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default, q0 = default, q1 = default, q2 = default, q3 = default;
            for (; i <= n - 16; i += 16)
            {
                var d0 = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)i).ToVector256Unsafe()) - m;
                var d1 = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 4)).ToVector256Unsafe()) - m;
                var d2 = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 8)).ToVector256Unsafe()) - m;
                var d3 = Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 12)).ToVector256Unsafe()) - m;
                a0 += d0; q0 += d0 * d0; a1 += d1; q1 += d1 * d1; a2 += d2; q2 += d2 * d2; a3 += d3; q3 += d3 * d3;
            }
            s1 = Vector256.Sum((a0 + a1) + (a2 + a3));
            s2 = Vector256.Sum((q0 + q1) + (q2 + q3));
        }
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref r, i) - k;
            s1 += d;
            s2 += d * d;
        }
        return (s1, s2);
    }

    /// <inheritdoc cref="Deviations(ReadOnlySpan{float}, double)"/>
    private static (double S1, double S2) Deviations(ReadOnlySpan<double> x, double mean)
    {
        int n = x.Length, i = 0;
        ref double r = ref MemoryMarshal.GetReference(x);
        double s1 = 0, s2 = 0;
        if (Vector512.IsHardwareAccelerated && n >= 8)
        {
            var m = Vector512.Create(mean);
            Vector512<double> a1 = default, a2 = default;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector512.LoadUnsafe(ref r, (nuint)i) - m;
                a1 += d; a2 += d * d;
            }
            s1 = Vector512.Sum(a1);
            s2 = Vector512.Sum(a2);
        }
        else if (Vector256.IsHardwareAccelerated && n >= 4)
        {
            var m = Vector256.Create(mean);
            Vector256<double> a1 = default, a2 = default;
            for (; i <= n - 4; i += 4)
            {
                var d = Vector256.LoadUnsafe(ref r, (nuint)i) - m;
                a1 += d; a2 += d * d;
            }
            s1 = Vector256.Sum(a1);
            s2 = Vector256.Sum(a2);
        }
        for (; i < n; i++)
        {
            double d = Unsafe.Add(ref r, i) - mean;
            s1 += d;
            s2 += d * d;
        }
        return (s1, s2);
    }
}
