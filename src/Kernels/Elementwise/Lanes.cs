using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>Applies a scalar function lane by lane, for ops without a vector formula (e.g. pow).</summary>
internal static class Lanes
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Map<T, TOp>(Vector512<T> a, Vector512<T> b)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        Span<T> x = stackalloc T[Vector512<T>.Count];
        Span<T> y = stackalloc T[Vector512<T>.Count];
        a.CopyTo(x);
        b.CopyTo(y);
        for (int i = 0; i < x.Length; i++) x[i] = TOp.Apply(x[i], y[i]);
        return Vector512.Create<T>(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Map<T, TOp>(Vector256<T> a, Vector256<T> b)
        where T : unmanaged where TOp : IBinaryOp<T>
    {
        Span<T> x = stackalloc T[Vector256<T>.Count];
        Span<T> y = stackalloc T[Vector256<T>.Count];
        a.CopyTo(x);
        b.CopyTo(y);
        for (int i = 0; i < x.Length; i++) x[i] = TOp.Apply(x[i], y[i]);
        return Vector256.Create<T>(x);
    }
}
