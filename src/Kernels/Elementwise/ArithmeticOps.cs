using System.Numerics;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>a + b.</summary>
public readonly struct AddOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a + b;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a + b;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a + b;
}

/// <summary>a - b.</summary>
public readonly struct SubOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a - b;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a - b;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a - b;
}

/// <summary>a * b.</summary>
public readonly struct MulOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a * b;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a * b;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a * b;
}

/// <summary>a / b (true division; callers promote integers to floating point first).</summary>
public readonly struct DivOp<T> : IBinaryOp<T> where T : unmanaged, IFloatingPoint<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => a / b;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => a / b;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a / b;
}

/// <summary>max(a, b), propagating NaN like torch.maximum.</summary>
public readonly struct MaxOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => T.Max(a, b);
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => Vector512.Max(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Vector256.Max(a, b);
}

/// <summary>min(a, b), propagating NaN like torch.minimum.</summary>
public readonly struct MinOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => T.Min(a, b);
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => Vector512.Min(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Vector256.Min(a, b);
}

/// <summary>a raised to the power b (floating point; no vector formula, applied lane by lane).</summary>
public readonly struct PowOp<T> : IBinaryOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b) => T.Pow(a, b);
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => Lanes.Map<T, PowOp<T>>(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Lanes.Map<T, PowOp<T>>(a, b);
}

/// <summary>Integer power by repeated squaring (exponent must be non-negative).</summary>
public readonly struct IntPowOp<T> : IBinaryOp<T> where T : unmanaged, IBinaryInteger<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T b)
    {
        T result = T.One;
        while (b > T.Zero)
        {
            if (T.IsOddInteger(b)) result *= a;
            a *= a;
            b >>= 1;
        }
        return result;
    }
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> b) => Lanes.Map<T, IntPowOp<T>>(a, b);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => Lanes.Map<T, IntPowOp<T>>(a, b);
}

/// <summary>-x.</summary>
public readonly struct NegOp<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => -x;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> x) => -x;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> x) => -x;
}

/// <summary>|x|.</summary>
public readonly struct AbsOp<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => T.Abs(x);
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> x) => Vector512.Abs(x);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> x) => Vector256.Abs(x);
}

/// <summary>max(x, 0); NaN stays NaN.</summary>
public readonly struct ReluOp<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => T.Max(x, T.Zero);
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> x) => Vector512.Max(x, Vector512<T>.Zero);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> x) => Vector256.Max(x, Vector256<T>.Zero);
}

/// <summary>x * x.</summary>
public readonly struct SquareOp<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => x * x;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> x) => x * x;
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> x) => x * x;
}
