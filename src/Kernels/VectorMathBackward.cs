using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

public static partial class VectorMath
{
    /// <summary>
    /// GELU's backward in one pass: <c>y[i] = g[i] · GeluGrad(x[i])</c> (or <see cref="GeluTanhGrad(float)"/> with
    /// <paramref name="tanh"/>). Vector lanes and the scalar tail run the same operations, so every element equals
    /// <c>g · GeluGrad(x)</c> computed with the scalar overloads — and a compiled fusion group doing the same.
    /// </summary>
    /// <param name="g">Incoming gradient.</param>
    /// <param name="x">GELU's input.</param>
    /// <param name="y">Output; may be the same span as <paramref name="g"/>.</param>
    /// <param name="tanh">Use the tanh approximation's derivative.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> y, bool tanh)
    {
        CheckBinary(g.Length, x.Length, y.Length);
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                (Vector512.LoadUnsafe(ref gs, (nuint)i) * (tanh ? GeluTanhGrad(v) : GeluGrad(v))).StoreUnsafe(ref ys, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                (Vector256.LoadUnsafe(ref gs, (nuint)i) * (tanh ? GeluTanhGrad(v) : GeluGrad(v))).StoreUnsafe(ref ys, (nuint)i);
            }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref gs, i) * (tanh ? GeluTanhGrad(Unsafe.Add(ref xs, i)) : GeluGrad(Unsafe.Add(ref xs, i)));
    }

    /// <inheritdoc cref="GeluBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GeluBackward(ReadOnlySpan<double> g, ReadOnlySpan<double> x, Span<double> y, bool tanh)
    {
        CheckBinary(g.Length, x.Length, y.Length);
        ref double gs = ref MemoryMarshal.GetReference(g);
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ys = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                (Vector512.LoadUnsafe(ref gs, (nuint)i) * (tanh ? GeluTanhGrad(v) : GeluGrad(v))).StoreUnsafe(ref ys, (nuint)i);
            }
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
            {
                var v = Vector256.LoadUnsafe(ref xs, (nuint)i);
                (Vector256.LoadUnsafe(ref gs, (nuint)i) * (tanh ? GeluTanhGrad(v) : GeluGrad(v))).StoreUnsafe(ref ys, (nuint)i);
            }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref gs, i) * (tanh ? GeluTanhGrad(Unsafe.Add(ref xs, i)) : GeluGrad(Unsafe.Add(ref xs, i)));
    }

    private static void CheckBinary(int g, int x, int y)
    {
        if (g != y || x != y)
            throw new ArgumentException($"VectorMath.GeluBackward: gradient ({g}), input ({x}) and output ({y}) lengths differ.");
    }
}
