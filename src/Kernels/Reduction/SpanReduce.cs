using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>Reductions of contiguous spans and row-wise accumulation.</summary>
public static class SpanReduce
{
    private const int SumBlock = 4096;

    /// <summary>
    /// Reduces a contiguous span. Float32 sums are accumulated in blocks whose partial sums are added
    /// in float64, which keeps large sums accurate at vector speed.
    /// </summary>
    public static T Reduce<T, TOp>(ReadOnlySpan<T> x) where T : unmanaged where TOp : IReduceOp<T>
    {
        if (typeof(TOp) == typeof(SumReduce<float>) && x.Length > SumBlock)
        {
            double total = 0;
            for (int s = 0; s < x.Length; s += SumBlock)
            {
                var block = x.Slice(s, Math.Min(SumBlock, x.Length - s));
                total += (float)(object)ReduceBlock<T, TOp>(block);
            }
            return (T)(object)(float)total;
        }
        return ReduceBlock<T, TOp>(x);
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
}
