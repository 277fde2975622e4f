using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Row-wise softmax and log-softmax over contiguous rows, three vectorized passes per row (max; exp and
/// sum; scale or subtract), rows split across cores for large inputs.
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
        float max = SpanReduce.Reduce<float, MaxReduce<float>>(x);
        // A row of -inf (or a +inf max) shifts by 0, matching the composite: exp(-inf) = 0 and NaN where PyTorch has NaN.
        float shift = float.IsInfinity(max) ? 0 : max;
        SpanKernels.BinaryScalarRight<float, SubOp<float>>(x, shift, y);
        if (log)
        {
            float sum = ExpSum(y, store: false);
            SpanKernels.BinaryScalarRight<float, SubOp<float>>(y, MathF.Log(sum), y);
        }
        else
        {
            float sum = ExpSum(y, store: true);
            SpanKernels.BinaryScalarRight<float, DivOp<float>>(y, sum, y);
        }
    }

    private static void Row(ReadOnlySpan<double> x, Span<double> y, bool log)
    {
        double max = SpanReduce.Reduce<double, MaxReduce<double>>(x);
        double shift = double.IsInfinity(max) ? 0 : max;
        SpanKernels.BinaryScalarRight<double, SubOp<double>>(x, shift, y);
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double e = Vector128.Exp(Vector128.CreateScalarUnsafe(y[i])).ToScalar();   // as the vector body, lane for lane
            sum += e;
            if (!log) y[i] = e;
        }
        if (log) SpanKernels.BinaryScalarRight<double, SubOp<double>>(y, Math.Log(sum), y);
        else SpanKernels.BinaryScalarRight<double, DivOp<double>>(y, sum, y);
    }

    /// <summary>Sum of exp over the span; with <paramref name="store"/> the exps replace the values.</summary>
    private static float ExpSum(Span<float> v, bool store)
    {
        int n = v.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(v);
        float sum = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var e = Vector512.Exp(Vector512.LoadUnsafe(ref r, (nuint)i));
                if (store) e.StoreUnsafe(ref r, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var e = Vector256.Exp(Vector256.LoadUnsafe(ref r, (nuint)i));
                if (store) e.StoreUnsafe(ref r, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = Vector128.Exp(Vector128.CreateScalarUnsafe(Unsafe.Add(ref r, i))).ToScalar();   // as the vector body, lane for lane
            if (store) Unsafe.Add(ref r, i) = e;
            sum += e;
        }
        return sum;
    }
}
