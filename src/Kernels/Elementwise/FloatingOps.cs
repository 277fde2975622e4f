using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// e^x. Float32 and float64. Float is computed in double and rounded once (correctly rounded in practice: exp(0) is
/// exactly 1, unlike <c>Vector512.Exp</c> on floats, which is off by an ulp on many inputs); scalars run the vector
/// algorithm on one lane, so an element's result never depends on whether it falls in a vector body or a scalar
/// tail. Compiled fusion groups call these same methods.
/// </summary>
public readonly struct ExpOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => (float)Vector128.Exp(Vector128.CreateScalarUnsafe((double)x)).ToScalar();
    /// <inheritdoc/>
    public static double Apply(double x) => Vector128.Exp(Vector128.CreateScalarUnsafe(x)).ToScalar();
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var (lo, hi) = Vector512.Widen(x);
        return Vector512.Narrow(Vector512.Exp(lo), Vector512.Exp(hi));
    }
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(Vector256.Exp(lo), Vector256.Exp(hi));
    }
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512.Exp(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256.Exp(x);
}

/// <summary>Natural logarithm. Float32 and float64, computed like <see cref="ExpOp"/> (float in double; scalars as one vector lane).</summary>
public readonly struct LogOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => (float)Vector128.Log(Vector128.CreateScalarUnsafe((double)x)).ToScalar();
    /// <inheritdoc/>
    public static double Apply(double x) => Vector128.Log(Vector128.CreateScalarUnsafe(x)).ToScalar();
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var (lo, hi) = Vector512.Widen(x);
        return Vector512.Narrow(Vector512.Log(lo), Vector512.Log(hi));
    }
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(Vector256.Log(lo), Vector256.Log(hi));
    }
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512.Log(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256.Log(x);
}

/// <summary>Square root. Float32 and float64.</summary>
public readonly struct SqrtOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => MathF.Sqrt(x);
    /// <inheritdoc/>
    public static double Apply(double x) => Math.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => Vector512.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => Vector256.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256.Sqrt(x);
}

/// <summary>Reciprocal square root, computed exactly as 1/sqrt(x). Float32 and float64.</summary>
public readonly struct RsqrtOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => 1f / MathF.Sqrt(x);
    /// <inheritdoc/>
    public static double Apply(double x) => 1.0 / Math.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => Vector512<float>.One / Vector512.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => Vector256<float>.One / Vector256.Sqrt(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => Vector512<double>.One / Vector512.Sqrt(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => Vector256<double>.One / Vector256.Sqrt(x);
}

/// <summary>Hyperbolic tangent. Float32 and float64.</summary>
public readonly struct TanhOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => VectorMath.Tanh(x);
    /// <inheritdoc/>
    public static double Apply(double x) => VectorMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => VectorMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => VectorMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => VectorMath.Tanh(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => VectorMath.Tanh(x);
}

/// <summary>Logistic sigmoid 1/(1+e^-x). Float32 and float64.</summary>
public readonly struct SigmoidOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static double Apply(double x) => VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => VectorMath.Sigmoid(x);
}

/// <summary>Exact GELU 0.5x(1+erf(x/sqrt 2)). Float32 and float64.</summary>
public readonly struct GeluOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => VectorMath.Gelu(x);
    /// <inheritdoc/>
    public static double Apply(double x) => VectorMath.Gelu(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => VectorMath.Gelu(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => VectorMath.Gelu(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => VectorMath.Gelu(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => VectorMath.Gelu(x);
}

/// <summary>GELU, tanh approximation (PyTorch's approximate='tanh'). Float32 and float64.</summary>
public readonly struct GeluTanhOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => VectorMath.GeluTanh(x);
    /// <inheritdoc/>
    public static double Apply(double x) => VectorMath.GeluTanh(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => VectorMath.GeluTanh(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => VectorMath.GeluTanh(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => VectorMath.GeluTanh(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => VectorMath.GeluTanh(x);
}

/// <summary>Error function. Float32 and float64.</summary>
public readonly struct ErfOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => VectorMath.Erf(x);
    /// <inheritdoc/>
    public static double Apply(double x) => VectorMath.Erf(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => VectorMath.Erf(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => VectorMath.Erf(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => VectorMath.Erf(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => VectorMath.Erf(x);
}

/// <summary>
/// SiLU (swish) x·σ(x), PyTorch's <c>silu</c>. Float32 and float64, on <see cref="VectorMath.Sigmoid(float)"/> (relative-accurate on both
/// sides, so large negative x give tiny negative results rather than -0); NaN at -inf, as -inf·0.
/// </summary>
public readonly struct SiluOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => x * VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static double Apply(double x) => x * VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x) => x * VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x) => x * VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x) => x * VectorMath.Sigmoid(x);
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x) => x * VectorMath.Sigmoid(x);
}

/// <summary>
/// log(1 + x), accurate for tiny x (PyTorch's <c>log1p</c>): with u = 1 + x rounded, log(u)·x/(u − 1) cancels the rounding of u
/// (Goldberg's correction), and x itself where u rounds to 1. Float is computed in double and rounded once, like
/// <see cref="LogOp"/>; scalars run the vector algorithm on one lane. log1p(-1) = -inf, below -1 NaN, log1p(inf) = inf.
/// </summary>
public readonly struct Log1pOp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => (float)Apply(Vector128.CreateScalarUnsafe((double)x)).ToScalar();
    /// <inheritdoc/>
    public static double Apply(double x) => Apply(Vector128.CreateScalarUnsafe(x)).ToScalar();
    /// <inheritdoc/>
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var (lo, hi) = Vector512.Widen(x);
        return Vector512.Narrow(Apply(lo), Apply(hi));
    }
    /// <inheritdoc/>
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var (lo, hi) = Vector256.Widen(x);
        return Vector256.Narrow(Apply(lo), Apply(hi));
    }
    /// <inheritdoc/>
    public static Vector512<double> Apply(Vector512<double> x)
    {
        var u = Vector512<double>.One + x;
        var corrected = Vector512.Log(u) * (x / (u - Vector512<double>.One));
        var r = Vector512.ConditionalSelect(Vector512.Equals(u, Vector512<double>.One), x, corrected);
        return Vector512.ConditionalSelect(Vector512.Equals(x, Vector512.Create(double.PositiveInfinity)), x, r);
    }
    /// <inheritdoc/>
    public static Vector256<double> Apply(Vector256<double> x)
    {
        var u = Vector256<double>.One + x;
        var corrected = Vector256.Log(u) * (x / (u - Vector256<double>.One));
        var r = Vector256.ConditionalSelect(Vector256.Equals(u, Vector256<double>.One), x, corrected);
        return Vector256.ConditionalSelect(Vector256.Equals(x, Vector256.Create(double.PositiveInfinity)), x, r);
    }

    private static Vector128<double> Apply(Vector128<double> x)
    {
        var u = Vector128<double>.One + x;
        var corrected = Vector128.Log(u) * (x / (u - Vector128<double>.One));
        var r = Vector128.ConditionalSelect(Vector128.Equals(u, Vector128<double>.One), x, corrected);
        return Vector128.ConditionalSelect(Vector128.Equals(x, Vector128.Create(double.PositiveInfinity)), x, r);
    }
}
