using ILGPU.Algorithms;

namespace Trace.Kernels.Gpu;

/// <summary>floor(x) on the GPU (<see cref="FloorOp"/>'s twin).</summary>
public readonly struct GpuFloor : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x) => XMath.Floor(x);
    /// <inheritdoc/>
    public static double Apply(double x) => XMath.Floor(x);
}

/// <summary>
/// Round half to even on the GPU (<see cref="RoundOp"/>'s twin), from floor alone: above a half rounds up, a half rounds
/// to the even neighbour; NaN and ±inf pass through (their difference from the floor is NaN, so no branch fires).
/// </summary>
public readonly struct GpuRound : IGpuUnaryOp<float>, IGpuUnaryOp<double>
{
    /// <inheritdoc/>
    public static float Apply(float x)
    {
        float r = XMath.Floor(x), diff = x - r;
        if (diff > 0.5f || (diff == 0.5f && r - 2f * XMath.Floor(r * 0.5f) != 0f)) r += 1f;
        return r;
    }

    /// <inheritdoc/>
    public static double Apply(double x)
    {
        double r = XMath.Floor(x), diff = x - r;
        if (diff > 0.5 || (diff == 0.5 && r - 2.0 * XMath.Floor(r * 0.5) != 0.0)) r += 1.0;
        return r;
    }
}
