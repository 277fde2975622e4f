using ILGPU.Algorithms;

namespace Trace.Kernels.Gpu;

/// <summary>exp(x).</summary>
public readonly struct GpuExp : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => XMath.Exp(x);
    /// <inheritdoc/>
    public static double Apply(double x) => XMath.Exp(x);
}

/// <summary>log(x).</summary>
public readonly struct GpuLog : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => XMath.Log(x);
    /// <inheritdoc/>
    public static double Apply(double x) => XMath.Log(x);
}

/// <summary>1/√x (IEEE division and square root, not the approximate rsqrt).</summary>
public readonly struct GpuRsqrt : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => 1f / XMath.Sqrt(x);
    /// <inheritdoc/>
    public static double Apply(double x) => 1.0 / XMath.Sqrt(x);
}

/// <summary>tanh(x) (<see cref="GpuMath.Tanh(float)"/>).</summary>
public readonly struct GpuTanh : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.Tanh(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.Tanh(x);
}

/// <summary>sigmoid(x).</summary>
public readonly struct GpuSigmoid : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.Sigmoid(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.Sigmoid(x);
}

/// <summary>erf(x).</summary>
public readonly struct GpuErf : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.Erf(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.Erf(x);
}

/// <summary>Exact GELU.</summary>
public readonly struct GpuGelu : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.Gelu(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.Gelu(x);
}

/// <summary>Tanh-approximated GELU.</summary>
public readonly struct GpuGeluTanh : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.GeluTanh(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.GeluTanh(x);
}

/// <summary>silu(x) = x·sigmoid(x).</summary>
public readonly struct GpuSilu : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => x * GpuMath.Sigmoid(x);
    /// <inheritdoc/>
    public static double Apply(double x) => x * GpuMath.Sigmoid(x);
}

/// <summary>log1p(x).</summary>
public readonly struct GpuLog1p : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => GpuMath.Log1p(x);
    /// <inheritdoc/>
    public static double Apply(double x) => GpuMath.Log1p(x);
}

/// <summary>max(a, b) propagating NaN (torch.maximum); the hardware max would drop it.</summary>
public readonly struct GpuMaximum : IGpuBinaryOp<float>, IGpuBinaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a > b ? a : b;
    /// <inheritdoc/>
    public static double Apply(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a > b ? a : b;
}

/// <summary>min(a, b) propagating NaN (torch.minimum).</summary>
public readonly struct GpuMinimum : IGpuBinaryOp<float>, IGpuBinaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : a < b ? a : b;
    /// <inheritdoc/>
    public static double Apply(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a < b ? a : b;
}

/// <summary>g · gelu'(x) (exact), as a binary op over (g, x).</summary>
public readonly struct GpuGeluBackward : IGpuBinaryOp<float>, IGpuBinaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float g, float x) => g * GpuMath.GeluGrad(x);
    /// <inheritdoc/>
    public static double Apply(double g, double x) => g * GpuMath.GeluGrad(x);
}

/// <summary>g · gelu_tanh'(x), as a binary op over (g, x).</summary>
public readonly struct GpuGeluTanhBackward : IGpuBinaryOp<float>, IGpuBinaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float g, float x) => g * GpuMath.GeluTanhGrad(x);
    /// <inheritdoc/>
    public static double Apply(double g, double x) => g * GpuMath.GeluTanhGrad(x);
}

/// <summary>Logical and of two device bools (bytes 0/1).</summary>
public readonly struct GpuAnd : IGpuCompareOp<byte>
{
    /// <inheritdoc/>
    public static bool Apply(byte a, byte b) => a != 0 && b != 0;
}

/// <summary>Logical or of two device bools.</summary>
public readonly struct GpuOr : IGpuCompareOp<byte>
{
    /// <inheritdoc/>
    public static bool Apply(byte a, byte b) => a != 0 || b != 0;
}

/// <summary>Logical xor of two device bools.</summary>
public readonly struct GpuXor : IGpuCompareOp<byte>
{
    /// <inheritdoc/>
    public static bool Apply(byte a, byte b) => (a != 0) != (b != 0);
}
