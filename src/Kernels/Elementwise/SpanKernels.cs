using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// Contiguous elementwise loops: Vector512 when the hardware accelerates it, else Vector256, then a
/// scalar tail. The output may alias an input (in-place ops).
/// </summary>
public static class SpanKernels
{
    /// <summary>y[i] = op(x[i]).</summary>
    public static void Unary<T, TOp>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged where TOp : IUnaryOp<T>
    {
        int n = y.Length, i = 0;
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Apply(Vector512.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Apply(Vector256.LoadUnsafe(ref rx, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = TOp.Apply(Unsafe.Add(ref rx, i));
    }

    /// <summary>y[i] = op(a[i], b[i]).</summary>
    public static void Binary<T, TOp>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged where TOp : IBinaryOp<T>
    {
        int n = y.Length, i = 0;
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Apply(Vector512.LoadUnsafe(ref ra, (nuint)i), Vector512.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Apply(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = TOp.Apply(Unsafe.Add(ref ra, i), Unsafe.Add(ref rb, i));
    }

    /// <summary>y[i] = op(a[i], b) with a scalar right operand.</summary>
    public static void BinaryScalarRight<T, TOp>(ReadOnlySpan<T> a, T b, Span<T> y) where T : unmanaged where TOp : IBinaryOp<T>
    {
        int n = y.Length, i = 0;
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var vb = Vector512.Create(b);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Apply(Vector512.LoadUnsafe(ref ra, (nuint)i), vb).StoreUnsafe(ref ry, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var vb = Vector256.Create(b);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Apply(Vector256.LoadUnsafe(ref ra, (nuint)i), vb).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = TOp.Apply(Unsafe.Add(ref ra, i), b);
    }

    /// <summary>y[i] = op(a, b[i]) with a scalar left operand.</summary>
    public static void BinaryScalarLeft<T, TOp>(T a, ReadOnlySpan<T> b, Span<T> y) where T : unmanaged where TOp : IBinaryOp<T>
    {
        int n = y.Length, i = 0;
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T ry = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            var va = Vector512.Create(a);
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                TOp.Apply(va, Vector512.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            var va = Vector256.Create(a);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                TOp.Apply(va, Vector256.LoadUnsafe(ref rb, (nuint)i)).StoreUnsafe(ref ry, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ry, i) = TOp.Apply(a, Unsafe.Add(ref rb, i));
    }
}
