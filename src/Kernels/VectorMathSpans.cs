using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

// Span helpers: y[i] = f(x[i]). A Vector512 loop where accelerated, else Vector256, else Vector128, then the tail as
// one zero-padded register; every path runs the same kernel as the scalar overloads, so y does not depend on the
// length or on where an element falls.
public static partial class VectorMath
{
    /// <summary>Computes <c>y[i] = Tanh(x[i])</c>.</summary>
    /// <param name="x">Input; may be the same span as <paramref name="y"/> (in place), but must not partially overlap it.</param>
    /// <param name="y">Output, same length as <paramref name="x"/>.</param>
    /// <exception cref="ArgumentException">The lengths differ, or the spans partially overlap.</exception>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Map<TanhKernel>(x, y, nameof(Tanh));

    /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
    public static void Tanh(ReadOnlySpan<double> x, Span<double> y) => Map<TanhKernel>(x, y, nameof(Tanh));

    /// <summary>Computes <c>y[i] = Sigmoid(x[i])</c>.</summary>
    /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Map<SigmoidKernel>(x, y, nameof(Sigmoid));

    /// <inheritdoc cref="Sigmoid(ReadOnlySpan{float}, Span{float})"/>
    public static void Sigmoid(ReadOnlySpan<double> x, Span<double> y) => Map<SigmoidKernel>(x, y, nameof(Sigmoid));

    /// <summary>Computes <c>y[i] = Erf(x[i])</c>.</summary>
    /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
    public static void Erf(ReadOnlySpan<float> x, Span<float> y) => Map<ErfKernel>(x, y, nameof(Erf));

    /// <inheritdoc cref="Erf(ReadOnlySpan{float}, Span{float})"/>
    public static void Erf(ReadOnlySpan<double> x, Span<double> y) => Map<ErfKernel>(x, y, nameof(Erf));

    /// <summary>Computes <c>y[i] = Gelu(x[i])</c> (exact GELU).</summary>
    /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
    public static void Gelu(ReadOnlySpan<float> x, Span<float> y) => Map<GeluKernel>(x, y, nameof(Gelu));

    /// <inheritdoc cref="Gelu(ReadOnlySpan{float}, Span{float})"/>
    public static void Gelu(ReadOnlySpan<double> x, Span<double> y) => Map<GeluKernel>(x, y, nameof(Gelu));

    /// <summary>Computes <c>y[i] = GeluTanh(x[i])</c> (tanh-approximated GELU).</summary>
    /// <inheritdoc cref="Tanh(ReadOnlySpan{float}, Span{float})"/>
    public static void GeluTanh(ReadOnlySpan<float> x, Span<float> y) => Map<GeluTanhKernel>(x, y, nameof(GeluTanh));

    /// <inheritdoc cref="GeluTanh(ReadOnlySpan{float}, Span{float})"/>
    public static void GeluTanh(ReadOnlySpan<double> x, Span<double> y) => Map<GeluTanhKernel>(x, y, nameof(GeluTanh));

    private interface IVectorKernel
    {
        static abstract T Invoke<T>(T x) where T : struct, ISimd<T>;
    }

    private readonly struct TanhKernel : IVectorKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Invoke<T>(T x) where T : struct, ISimd<T> => T.Tanh(x);
    }

    private readonly struct SigmoidKernel : IVectorKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Invoke<T>(T x) where T : struct, ISimd<T> => SigmoidT(x);
    }

    private readonly struct ErfKernel : IVectorKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Invoke<T>(T x) where T : struct, ISimd<T> => ErfT(x);
    }

    private readonly struct GeluKernel : IVectorKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Invoke<T>(T x) where T : struct, ISimd<T> => GeluT(x);
    }

    private readonly struct GeluTanhKernel : IVectorKernel
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Invoke<T>(T x) where T : struct, ISimd<T> => GeluTanhT(x);
    }

    private static void CheckSpans<TElem>(ReadOnlySpan<TElem> x, ReadOnlySpan<TElem> y, string function)
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"VectorMath.{function}: input length {x.Length} differs from output length {y.Length}.", nameof(y));
        if (x.Overlaps(y, out int offset) && offset != 0)
            throw new ArgumentException($"VectorMath.{function}: input and output overlap at an offset of {offset} elements; use the same span (in place) or disjoint spans.", nameof(y));
    }

    private static void Map<TKernel>(ReadOnlySpan<float> x, Span<float> y, string function) where TKernel : IVectorKernel
    {
        CheckSpans(x, (ReadOnlySpan<float>)y, function);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        // Each width lives in its own method so that the JIT's inlining budget (which one erf kernel nearly
        // exhausts) is not shared between widths. The tail (< one register) is evaluated as one zero-padded register:
        // lanes are independent and every width runs the same operations, so this equals the scalar overload
        // lane for lane, at the cost of one kernel evaluation instead of up to 15 scalar ones.
        if (Vector512.IsHardwareAccelerated)
        {
            nuint i = Map512<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail512<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nuint i = Map256<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail256<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
        else
        {
            nuint i = Map128<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail128<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map512<TKernel>(ref float xs, ref float ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 32 <= n; i += 32)
        {
            // Two registers in lockstep: interleaving two dependency chains hides the latency of the divisions.
            F512x2 r = TKernel.Invoke(new F512x2(Vector512.LoadUnsafe(ref xs, i), Vector512.LoadUnsafe(ref xs, i + 16)));
            r.A.StoreUnsafe(ref ys, i);
            r.B.StoreUnsafe(ref ys, i + 16);
        }
        for (; i + 16 <= n; i += 16)
            TKernel.Invoke(new F512(Vector512.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map256<TKernel>(ref float xs, ref float ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            F256x2 r = TKernel.Invoke(new F256x2(Vector256.LoadUnsafe(ref xs, i), Vector256.LoadUnsafe(ref xs, i + 8)));
            r.A.StoreUnsafe(ref ys, i);
            r.B.StoreUnsafe(ref ys, i + 8);
        }
        for (; i + 8 <= n; i += 8)
            TKernel.Invoke(new F256(Vector256.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map128<TKernel>(ref float xs, ref float ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 4 <= n; i += 4)
            TKernel.Invoke(new F128(Vector128.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail512<TKernel>(ref float xs, ref float ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<float> buffer = stackalloc float[16]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new F512(Vector512.Create<float>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail256<TKernel>(ref float xs, ref float ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<float> buffer = stackalloc float[8]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new F256(Vector256.Create<float>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail128<TKernel>(ref float xs, ref float ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<float> buffer = stackalloc float[4]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new F128(Vector128.Create<float>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }

    private static void Map<TKernel>(ReadOnlySpan<double> x, Span<double> y, string function) where TKernel : IVectorKernel
    {
        CheckSpans(x, (ReadOnlySpan<double>)y, function);
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length;
        // Each width lives in its own method so that the JIT's inlining budget (which one erf kernel nearly
        // exhausts) is not shared between widths. The tail (< one register) is evaluated as one zero-padded register:
        // lanes are independent and every width runs the same operations, so this equals the scalar overload
        // lane for lane, at the cost of one kernel evaluation instead of up to 15 scalar ones.
        if (Vector512.IsHardwareAccelerated)
        {
            nuint i = Map512<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail512<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nuint i = Map256<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail256<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
        else
        {
            nuint i = Map128<TKernel>(ref xs, ref ys, n);
            if (i < n) Tail128<TKernel>(ref Unsafe.Add(ref xs, i), ref Unsafe.Add(ref ys, i), (int)(n - i));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map512<TKernel>(ref double xs, ref double ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 16 <= n; i += 16)
        {
            // Two registers in lockstep: interleaving two dependency chains hides the latency of the divisions.
            D512x2 r = TKernel.Invoke(new D512x2(Vector512.LoadUnsafe(ref xs, i), Vector512.LoadUnsafe(ref xs, i + 8)));
            r.A.StoreUnsafe(ref ys, i);
            r.B.StoreUnsafe(ref ys, i + 8);
        }
        for (; i + 8 <= n; i += 8)
            TKernel.Invoke(new D512(Vector512.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map256<TKernel>(ref double xs, ref double ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            D256x2 r = TKernel.Invoke(new D256x2(Vector256.LoadUnsafe(ref xs, i), Vector256.LoadUnsafe(ref xs, i + 4)));
            r.A.StoreUnsafe(ref ys, i);
            r.B.StoreUnsafe(ref ys, i + 4);
        }
        for (; i + 4 <= n; i += 4)
            TKernel.Invoke(new D256(Vector256.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static nuint Map128<TKernel>(ref double xs, ref double ys, nuint n) where TKernel : IVectorKernel
    {
        nuint i = 0;
        for (; i + 2 <= n; i += 2)
            TKernel.Invoke(new D128(Vector128.LoadUnsafe(ref xs, i))).V.StoreUnsafe(ref ys, i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail512<TKernel>(ref double xs, ref double ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<double> buffer = stackalloc double[8]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new D512(Vector512.Create<double>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail256<TKernel>(ref double xs, ref double ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<double> buffer = stackalloc double[4]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new D256(Vector256.Create<double>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Tail128<TKernel>(ref double xs, ref double ys, int count) where TKernel : IVectorKernel
    {
        // Element loops rather than Span.CopyTo: count is tiny, and this keeps Memmove (and any SSE/AVX transition
        // around it) out of the path.
        Span<double> buffer = stackalloc double[2]; // zero-initialised: padding lanes compute f(0), which is discarded
        for (int j = 0; j < count; j++) buffer[j] = Unsafe.Add(ref xs, j);
        TKernel.Invoke(new D128(Vector128.Create<double>(buffer))).V.CopyTo(buffer);
        for (int j = 0; j < count; j++) Unsafe.Add(ref ys, j) = buffer[j];
    }
}
