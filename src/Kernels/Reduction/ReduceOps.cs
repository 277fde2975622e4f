using System.Numerics;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>An associative reduction with identity, scalar and vector combine, and horizontal finish.</summary>
public interface IReduceOp<T> where T : unmanaged
{
    /// <summary>Identity element (0 for sum, 1 for prod, -inf for max...).</summary>
    static abstract T Identity { get; }
    /// <summary>Combines two partial results.</summary>
    static abstract T Combine(T a, T b);
    /// <summary>Lane-wise combine.</summary>
    static abstract Vector512<T> Combine(Vector512<T> a, Vector512<T> b);
    /// <summary>Lane-wise combine.</summary>
    static abstract Vector256<T> Combine(Vector256<T> a, Vector256<T> b);
}

/// <summary>Sum.</summary>
public readonly struct SumReduce<T> : IReduceOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Identity => T.Zero;
    /// <inheritdoc/>
    public static T Combine(T a, T b) => a + b;
    /// <inheritdoc/>
    public static Vector512<T> Combine(Vector512<T> a, Vector512<T> b) => a + b;
    /// <inheritdoc/>
    public static Vector256<T> Combine(Vector256<T> a, Vector256<T> b) => a + b;
}

/// <summary>Product.</summary>
public readonly struct ProdReduce<T> : IReduceOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Identity => T.One;
    /// <inheritdoc/>
    public static T Combine(T a, T b) => a * b;
    /// <inheritdoc/>
    public static Vector512<T> Combine(Vector512<T> a, Vector512<T> b) => a * b;
    /// <inheritdoc/>
    public static Vector256<T> Combine(Vector256<T> a, Vector256<T> b) => a * b;
}

/// <summary>Maximum (NaN propagates).</summary>
public readonly struct MaxReduce<T> : IReduceOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Identity => T.CreateSaturating(double.NegativeInfinity);
    /// <inheritdoc/>
    public static T Combine(T a, T b) => T.Max(a, b);
    /// <inheritdoc/>
    public static Vector512<T> Combine(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Combine(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
}

/// <summary>Minimum (NaN propagates).</summary>
public readonly struct MinReduce<T> : IReduceOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Identity => T.CreateSaturating(double.PositiveInfinity);
    /// <inheritdoc/>
    public static T Combine(T a, T b) => T.Min(a, b);
    /// <inheritdoc/>
    public static Vector512<T> Combine(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Combine(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
}
