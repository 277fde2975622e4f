using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>Temporary lane-wise math (replaced by the vectorized implementation).</summary>
public static class VectorMath
{
    /// <summary>tanh.</summary>
    public static float Tanh(float x) => MathF.Tanh(x);
    /// <summary>tanh.</summary>
    public static double Tanh(double x) => Math.Tanh(x);
    /// <summary>sigmoid.</summary>
    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
    /// <summary>sigmoid.</summary>
    public static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
    /// <summary>erf.</summary>
    public static double Erf(double x)
    {
        double t = 1.0 / (1.0 + 0.3275911 * Math.Abs(x));
        double y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return Math.CopySign(y, x);
    }
    /// <summary>erf.</summary>
    public static float Erf(float x) => (float)Erf((double)x);
    /// <summary>gelu.</summary>
    public static float Gelu(float x) => 0.5f * x * (1f + Erf(x / MathF.Sqrt(2f)));
    /// <summary>gelu.</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));
    /// <summary>gelu tanh.</summary>
    public static float GeluTanh(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
    /// <summary>gelu tanh.</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    /// <summary>lanes.</summary>
    public static Vector512<float> Tanh(Vector512<float> x) => M(x, Tanh);
    /// <summary>lanes.</summary>
    public static Vector256<float> Tanh(Vector256<float> x) => M(x, Tanh);
    /// <summary>lanes.</summary>
    public static Vector512<double> Tanh(Vector512<double> x) => M(x, Tanh);
    /// <summary>lanes.</summary>
    public static Vector256<double> Tanh(Vector256<double> x) => M(x, Tanh);
    /// <summary>lanes.</summary>
    public static Vector512<float> Sigmoid(Vector512<float> x) => M(x, Sigmoid);
    /// <summary>lanes.</summary>
    public static Vector256<float> Sigmoid(Vector256<float> x) => M(x, Sigmoid);
    /// <summary>lanes.</summary>
    public static Vector512<double> Sigmoid(Vector512<double> x) => M(x, Sigmoid);
    /// <summary>lanes.</summary>
    public static Vector256<double> Sigmoid(Vector256<double> x) => M(x, Sigmoid);
    /// <summary>lanes.</summary>
    public static Vector512<float> Erf(Vector512<float> x) => M(x, Erf);
    /// <summary>lanes.</summary>
    public static Vector256<float> Erf(Vector256<float> x) => M(x, Erf);
    /// <summary>lanes.</summary>
    public static Vector512<double> Erf(Vector512<double> x) => M(x, Erf);
    /// <summary>lanes.</summary>
    public static Vector256<double> Erf(Vector256<double> x) => M(x, Erf);
    /// <summary>lanes.</summary>
    public static Vector512<float> Gelu(Vector512<float> x) => M(x, Gelu);
    /// <summary>lanes.</summary>
    public static Vector256<float> Gelu(Vector256<float> x) => M(x, Gelu);
    /// <summary>lanes.</summary>
    public static Vector512<double> Gelu(Vector512<double> x) => M(x, Gelu);
    /// <summary>lanes.</summary>
    public static Vector256<double> Gelu(Vector256<double> x) => M(x, Gelu);
    /// <summary>lanes.</summary>
    public static Vector512<float> GeluTanh(Vector512<float> x) => M(x, GeluTanh);
    /// <summary>lanes.</summary>
    public static Vector256<float> GeluTanh(Vector256<float> x) => M(x, GeluTanh);
    /// <summary>lanes.</summary>
    public static Vector512<double> GeluTanh(Vector512<double> x) => M(x, GeluTanh);
    /// <summary>lanes.</summary>
    public static Vector256<double> GeluTanh(Vector256<double> x) => M(x, GeluTanh);

    private static Vector512<T> M<T>(Vector512<T> v, Func<T, T> f) where T : unmanaged
    {
        Span<T> s = stackalloc T[Vector512<T>.Count];
        v.CopyTo(s);
        for (int i = 0; i < s.Length; i++) s[i] = f(s[i]);
        return Vector512.Create<T>(s);
    }
    private static Vector256<T> M<T>(Vector256<T> v, Func<T, T> f) where T : unmanaged
    {
        Span<T> s = stackalloc T[Vector256<T>.Count];
        v.CopyTo(s);
        for (int i = 0; i < s.Length; i++) s[i] = f(s[i]);
        return Vector256.Create<T>(s);
    }
}
