using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>Reductions of contiguous spans and row-wise accumulation.</summary>
public static class SpanReduce
{
    /// <summary>
    /// Reduces a contiguous span. Float32 sums are accumulated in float64 lanes (each float is widened exactly, so
    /// the only rounding that matters is the final one to float): within an ulp or so of the exact sum at any length,
    /// at memory speed.
    /// </summary>
    public static T Reduce<T, TOp>(ReadOnlySpan<T> x) where T : unmanaged where TOp : IReduceOp<T>
    {
        if (typeof(TOp) == typeof(SumReduce<float>))
            return (T)(object)(float)SumWidened(MemoryMarshal.Cast<T, float>(x));
        return ReduceBlock<T, TOp>(x);
    }

    /// <summary>Σ x in float64: every float is widened exactly and added in double lanes (four vector accumulators).</summary>
    public static double SumWidened(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        ref float r = ref MemoryMarshal.GetReference(x);
        double total = 0;
        // Each half-width load converts straight to a full vector of doubles (one vcvtps2pd from memory).
        if (Vector512.IsHardwareAccelerated && n >= 32)
        {
            var a0 = Vector512<double>.Zero;
            var a1 = a0; var a2 = a0; var a3 = a0;
            for (; i <= n - 32; i += 32)
            {
                a0 += Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)i).ToVector512Unsafe());
                a1 += Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 8)).ToVector512Unsafe());
                a2 += Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 16)).ToVector512Unsafe());
                a3 += Vector512.WidenLower(Vector256.LoadUnsafe(ref r, (nuint)(i + 24)).ToVector512Unsafe());
            }
            total = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 16)
        {
            var a0 = Vector256<double>.Zero;
            var a1 = a0; var a2 = a0; var a3 = a0;
            for (; i <= n - 16; i += 16)
            {
                a0 += Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)i).ToVector256Unsafe());
                a1 += Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 4)).ToVector256Unsafe());
                a2 += Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 8)).ToVector256Unsafe());
                a3 += Vector256.WidenLower(Vector128.LoadUnsafe(ref r, (nuint)(i + 12)).ToVector256Unsafe());
            }
            total = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        for (; i < n; i++) total += Unsafe.Add(ref r, i);
        return total;
    }

    private static T ReduceBlock<T, TOp>(ReadOnlySpan<T> x) where T : unmanaged where TOp : IReduceOp<T>
    {
        int n = x.Length, i = 0;
        ref T r = ref MemoryMarshal.GetReference(x);
        T acc = TOp.Identity;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported && n >= 4 * Vector512<T>.Count)
        {
            int c = Vector512<T>.Count;
            var a0 = Vector512.Create(TOp.Identity);
            var a1 = a0; var a2 = a0; var a3 = a0;
            for (; i <= n - 4 * c; i += 4 * c)
            {
                a0 = TOp.Combine(a0, Vector512.LoadUnsafe(ref r, (nuint)i));
                a1 = TOp.Combine(a1, Vector512.LoadUnsafe(ref r, (nuint)(i + c)));
                a2 = TOp.Combine(a2, Vector512.LoadUnsafe(ref r, (nuint)(i + 2 * c)));
                a3 = TOp.Combine(a3, Vector512.LoadUnsafe(ref r, (nuint)(i + 3 * c)));
            }
            for (; i <= n - c; i += c) a0 = TOp.Combine(a0, Vector512.LoadUnsafe(ref r, (nuint)i));
            var v = TOp.Combine(TOp.Combine(a0, a1), TOp.Combine(a2, a3));
            for (int l = 0; l < c; l++) acc = TOp.Combine(acc, v.GetElement(l));
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported && n >= 2 * Vector256<T>.Count)
        {
            int c = Vector256<T>.Count;
            var a0 = Vector256.Create(TOp.Identity);
            var a1 = a0;
            for (; i <= n - 2 * c; i += 2 * c)
            {
                a0 = TOp.Combine(a0, Vector256.LoadUnsafe(ref r, (nuint)i));
                a1 = TOp.Combine(a1, Vector256.LoadUnsafe(ref r, (nuint)(i + c)));
            }
            var v = TOp.Combine(a0, a1);
            for (int l = 0; l < c; l++) acc = TOp.Combine(acc, v.GetElement(l));
        }
        for (; i < n; i++) acc = TOp.Combine(acc, Unsafe.Add(ref r, i));
        return acc;
    }

    /// <summary>acc[i] = op(acc[i], x[i]) over contiguous rows.</summary>
    public static void Accumulate<T, TOp>(Span<T> acc, ReadOnlySpan<T> x) where T : unmanaged where TOp : IReduceOp<T>
    {
        int n = acc.Length, i = 0;
        ref T ra = ref MemoryMarshal.GetReference(acc);
        ref T rx = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Combine(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Combine(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ra, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ra, i) = TOp.Combine(Unsafe.Add(ref ra, i), Unsafe.Add(ref rx, i));
    }

    /// <summary>acc[i] += x[i] with float64 accumulators for float32 rows (the column-sum form of <see cref="SumWidened"/>).</summary>
    public static void AccumulateWidened(Span<double> acc, ReadOnlySpan<float> x)
    {
        int n = acc.Length, i = 0;
        ref double ra = ref MemoryMarshal.GetReference(acc);
        ref float rx = ref MemoryMarshal.GetReference(x);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= n - 16; i += 16)
            {
                var (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref rx, (nuint)i));
                (Vector512.LoadUnsafe(ref ra, (nuint)i) + lo).StoreUnsafe(ref ra, (nuint)i);
                (Vector512.LoadUnsafe(ref ra, (nuint)(i + 8)) + hi).StoreUnsafe(ref ra, (nuint)(i + 8));
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - 8; i += 8)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref rx, (nuint)i));
                (Vector256.LoadUnsafe(ref ra, (nuint)i) + lo).StoreUnsafe(ref ra, (nuint)i);
                (Vector256.LoadUnsafe(ref ra, (nuint)(i + 4)) + hi).StoreUnsafe(ref ra, (nuint)(i + 4));
            }
        }
        for (; i < n; i++) Unsafe.Add(ref ra, i) += Unsafe.Add(ref rx, i);
    }
}
