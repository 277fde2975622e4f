using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>The largest integer not above x (<c>torch.floor</c>); float32 and float64, NaN and ±inf unchanged.</summary>
public readonly struct FloorOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => MathF.Floor(x);
    /// <inheritdoc/>
    public static double Apply(double x) => Math.Floor(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Floor(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => Vector256.Floor(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512.Floor(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256.Floor(x);
}

/// <summary>x rounded to the nearest integer, halves to even (<c>torch.round</c>: 0.5 → 0, 1.5 → 2, -2.5 → -2); NaN and ±inf unchanged.</summary>
public readonly struct RoundOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => MathF.Round(x, MidpointRounding.ToEven);
    /// <inheritdoc/>
    public static double Apply(double x) => Math.Round(x, MidpointRounding.ToEven);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Round(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => Vector256.Round(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512.Round(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256.Round(x);
}
