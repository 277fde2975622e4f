using System.Numerics;
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
    public static void GeluBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> x, Span<float> y, bool tanh)
    {
        if (tanh) Backward<float, GeluTanhGradF>(g, x, y);
        else Backward<float, GeluGradF>(g, x, y);
    }

    /// <inheritdoc cref="GeluBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool)"/>
    public static void GeluBackward(ReadOnlySpan<double> g, ReadOnlySpan<double> x, Span<double> y, bool tanh)
    {
        if (tanh) Backward<double, GeluTanhGradD>(g, x, y);
        else Backward<double, GeluGradD>(g, x, y);
    }

    /// <summary>A derivative with scalar, 256- and 512-bit forms that agree lane for lane.</summary>
    private interface IDerivative<T> where T : unmanaged
    {
        static abstract T Scalar(T x);
        static abstract Vector256<T> Apply(Vector256<T> x);
        static abstract Vector512<T> Apply(Vector512<T> x);
    }

    private readonly struct GeluGradF : IDerivative<float>
    {
        public static float Scalar(float x) => GeluGrad(x);
        public static Vector256<float> Apply(Vector256<float> x) => GeluGrad(x);
        public static Vector512<float> Apply(Vector512<float> x) => GeluGrad(x);
    }

    private readonly struct GeluTanhGradF : IDerivative<float>
    {
        public static float Scalar(float x) => GeluTanhGrad(x);
        public static Vector256<float> Apply(Vector256<float> x) => GeluTanhGrad(x);
        public static Vector512<float> Apply(Vector512<float> x) => GeluTanhGrad(x);
    }

    private readonly struct GeluGradD : IDerivative<double>
    {
        public static double Scalar(double x) => GeluGrad(x);
        public static Vector256<double> Apply(Vector256<double> x) => GeluGrad(x);
        public static Vector512<double> Apply(Vector512<double> x) => GeluGrad(x);
    }

    private readonly struct GeluTanhGradD : IDerivative<double>
    {
        public static double Scalar(double x) => GeluTanhGrad(x);
        public static Vector256<double> Apply(Vector256<double> x) => GeluTanhGrad(x);
        public static Vector512<double> Apply(Vector512<double> x) => GeluTanhGrad(x);
    }

    /// <summary>y = g · D(x), Vector512 where accelerated, else Vector256, then the scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Backward<T, TD>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, INumber<T> where TD : IDerivative<T>
    {
        if (g.Length != y.Length || x.Length != y.Length)
            throw new ArgumentException($"VectorMath.GeluBackward: gradient ({g.Length}), input ({x.Length}) and output ({y.Length}) lengths differ.");
        ref T gs = ref MemoryMarshal.GetReference(g);
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T ys = ref MemoryMarshal.GetReference(y);
        int n = y.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                (Vector512.LoadUnsafe(ref gs, (nuint)i) * TD.Apply(Vector512.LoadUnsafe(ref xs, (nuint)i))).StoreUnsafe(ref ys, (nuint)i);
        else if (Vector256.IsHardwareAccelerated)
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                (Vector256.LoadUnsafe(ref gs, (nuint)i) * TD.Apply(Vector256.LoadUnsafe(ref xs, (nuint)i))).StoreUnsafe(ref ys, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref ys, i) = Unsafe.Add(ref gs, i) * TD.Scalar(Unsafe.Add(ref xs, i));
    }
}
