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

/// <summary>
/// relu = clamp_min(x, 0) as PyTorch computes it on x86 (max_ps(0, x)): 0 where 0 &gt; x, else x — so NaN stays NaN
/// and -0 stays -0.
/// </summary>
public readonly struct ReluOp<T> : IUnaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T x) => T.Zero > x ? T.Zero : x;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512<T>.Zero, x), Vector512<T>.Zero, x);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256<T>.Zero, x), Vector256<T>.Zero, x);
}

/// <summary>
/// clamp_min(a, lo) as PyTorch's kernel: lo where lo &gt; a, else a (a NaN or a -0 at lo = 0 passes through; a NaN
/// bound is handled by the caller, which fills NaN as PyTorch does).
/// </summary>
public readonly struct ClampMinOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T lo) => lo > a ? lo : a;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> lo) => Vector512.ConditionalSelect(Vector512.GreaterThan(lo, a), lo, a);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> lo) => Vector256.ConditionalSelect(Vector256.GreaterThan(lo, a), lo, a);
}

/// <summary>clamp_max(a, hi) as PyTorch's kernel: hi where hi &lt; a, else a.</summary>
public readonly struct ClampMaxOp<T> : IBinaryOp<T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc/>
    public static T Apply(T a, T hi) => hi < a ? hi : a;
    /// <inheritdoc/>
    public static Vector512<T> Apply(Vector512<T> a, Vector512<T> hi) => Vector512.ConditionalSelect(Vector512.LessThan(hi, a), hi, a);
    /// <inheritdoc/>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> hi) => Vector256.ConditionalSelect(Vector256.LessThan(hi, a), hi, a);
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
