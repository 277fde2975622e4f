using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Row-wise softmax and log-softmax over contiguous rows, three vectorized passes per row (max; exp and sum; scale or
/// shift), rows split across cores for large inputs. As in PyTorch every row is shifted by its max, so a row holding
/// +inf, NaN or only -inf gives NaN. Float32 arguments x − max are formed exactly in float64 and exponentiated there
/// (<see cref="VectorMath.ExpNonPositive(double)"/>, exp(0) exactly 1), the exps are rounded to float once, and the sum
/// and log-softmax's (x − max) − log Σ are formed in float64 too: the largest log-softmax of a row whose other terms
/// are negligible is exactly 0.
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>y[r, :] = softmax(x[r, :]) (or log_softmax with <paramref name="log"/>) for <paramref name="rows"/> rows of <paramref name="length"/>.</summary>
    public static void Rows(float[] x, int xOffset, float[] y, int rows, int length, bool log)
    {
        if (length == 0 || rows == 0) return;
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / 4 / length), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) Row(x.AsSpan(xOffset + r * length, length), y.AsSpan(r * length, length), log);
        });
    }

    /// <summary>Float64 form of <see cref="Rows(float[], int, float[], int, int, bool)"/>.</summary>
    public static void Rows(double[] x, int xOffset, double[] y, int rows, int length, bool log)
    {
        if (length == 0 || rows == 0) return;
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / 4 / length), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++) Row(x.AsSpan(xOffset + r * length, length), y.AsSpan(r * length, length), log);
        });
    }

    private static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        double max = SpanReduce.Reduce<float, MaxReduce<float>>(x);
        double sum = ExpSum(x, max, y, store: !log);
        if (log) Shift(x, max, Math.Log(sum), y);
        else SpanKernels.BinaryScalarRight<float, DivOp<float>>(y, (float)sum, y);
    }

    private static void Row(ReadOnlySpan<double> x, Span<double> y, bool log)
    {
        double max = SpanReduce.Reduce<double, MaxReduce<double>>(x);
        SpanKernels.BinaryScalarRight<double, SubOp<double>>(x, max, y);
        double sum = ExpSum(y, store: !log);
        if (log) SpanKernels.BinaryScalarRight<double, SubOp<double>>(y, Math.Log(sum), y);
        else SpanKernels.BinaryScalarRight<double, DivOp<double>>(y, sum, y);
    }

    /// <summary>Σ exp(x − max) in float64 (x − max formed exactly); with <paramref name="store"/> y holds the exps rounded to float.</summary>
    private static double ExpSum(ReadOnlySpan<float> x, double max, Span<float> y, bool store)
    {
        int n = x.Length, i = 0;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var m = Vector512.Create(max);
            var acc = Vector512<double>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref rx, (nuint)i));
                var (el, eh) = (VectorMath.ExpNonPositive(lo - m), VectorMath.ExpNonPositive(hi - m));
                if (store) Vector512.Narrow(el, eh).StoreUnsafe(ref ry, (nuint)i);
                acc += el + eh;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var m = Vector256.Create(max);
            var acc = Vector256<double>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref rx, (nuint)i));
                var (el, eh) = (VectorMath.ExpNonPositive(lo - m), VectorMath.ExpNonPositive(hi - m));
                if (store) Vector256.Narrow(el, eh).StoreUnsafe(ref ry, (nuint)i);
                acc += el + eh;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            double e = VectorMath.ExpNonPositive(Unsafe.Add(ref rx, i) - max);   // as the vector body, lane for lane
            if (store) Unsafe.Add(ref ry, i) = (float)e;
            sum += e;
        }
        return sum;
    }

    /// <summary>Σ exp(v) in float64 lanes; with <paramref name="store"/> the exps replace the values.</summary>
    private static double ExpSum(Span<double> v, bool store)
    {
        int n = v.Length, i = 0;
        ref double r = ref MemoryMarshal.GetReference(v);
        double sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<double>.Zero;
            for (; i <= n - Vector512<double>.Count; i += Vector512<double>.Count)
            {
                var e = VectorMath.ExpNonPositive(Vector512.LoadUnsafe(ref r, (nuint)i));
                if (store) e.StoreUnsafe(ref r, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<double>.Zero;
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var e = VectorMath.ExpNonPositive(Vector256.LoadUnsafe(ref r, (nuint)i));
                if (store) e.StoreUnsafe(ref r, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            double e = VectorMath.ExpNonPositive(Unsafe.Add(ref r, i));   // as the vector body, lane for lane
            if (store) Unsafe.Add(ref r, i) = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>y = (x − max) − logSum, formed in float64 (x − max exactly) and rounded to float once.</summary>
    private static void Shift(ReadOnlySpan<float> x, double max, double logSum, Span<float> y)
    {
        int n = x.Length, i = 0;
        ref float rx = ref MemoryMarshal.GetReference(x);
        ref float ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var (m, l) = (Vector512.Create(max), Vector512.Create(logSum));
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref rx, (nuint)i));
                Vector512.Narrow(lo - m - l, hi - m - l).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var (m, l) = (Vector256.Create(max), Vector256.Create(logSum));
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref rx, (nuint)i));
                Vector256.Narrow(lo - m - l, hi - m - l).StoreUnsafe(ref ry, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = (float)(Unsafe.Add(ref rx, i) - max - logSum);
    }
}
