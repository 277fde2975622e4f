using ILGPU;
using ILGPU.Algorithms;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The arithmetic a generic GPU kernel needs, as static abstract members of a struct type parameter (ILGPU inlines
/// these constrained calls; the BCL's generic-math interfaces on <see cref="float"/> are not used inside kernels).
/// </summary>
internal interface IGpuNumber<T> where T : unmanaged
{
    static abstract T Zero();
    static abstract T One();
    /// <summary>The identity of max: -inf for floats, the smallest value for integers.</summary>
    static abstract T Lowest();
    /// <summary>The identity of min: +inf for floats, the largest value for integers.</summary>
    static abstract T Highest();
    static abstract T Add(T a, T b);
    static abstract T Sub(T a, T b);
    static abstract T Mul(T a, T b);
    static abstract bool Gt(T a, T b);
    static abstract bool Lt(T a, T b);
    static abstract bool Eq(T a, T b);
    static abstract bool IsNaN(T a);
}

/// <summary>Floating-point arithmetic on top of <see cref="IGpuNumber{T}"/>.</summary>
internal interface IGpuReal<T> : IGpuNumber<T> where T : unmanaged
{
    static abstract T Div(T a, T b);
    static abstract T Exp(T a);
    static abstract T Log(T a);
    static abstract T Sqrt(T a);
    static abstract T Of(double a);
    /// <summary>A float32 scalar (such as GEMM's alpha and beta) as T: no conversion for float32.</summary>
    static abstract T OfSingle(float a);
    /// <summary>GELU, exact (erf) form, as the eager GPU kernel (<see cref="GpuGelu"/>).</summary>
    static abstract T Gelu(T a);
    /// <summary>GELU, tanh approximation, as the eager GPU kernel (<see cref="GpuGeluTanh"/>).</summary>
    static abstract T GeluTanh(T a);
}





/// <summary>A reduction's combine step and identity.</summary>
internal interface IGpuReduceOp<T> where T : unmanaged
{
    static abstract T Identity();
    static abstract T Combine(T a, T b);
}

/// <summary>Sum.</summary>
internal readonly struct SumOp<T, N> : IGpuReduceOp<T> where T : unmanaged where N : struct, IGpuNumber<T>
{
    public static T Identity() => N.Zero();
    public static T Combine(T a, T b) => N.Add(a, b);
}

/// <summary>Product.</summary>
internal readonly struct ProdOp<T, N> : IGpuReduceOp<T> where T : unmanaged where N : struct, IGpuNumber<T>
{
    public static T Identity() => N.One();
    public static T Combine(T a, T b) => N.Mul(a, b);
}

/// <summary>Max; NaN propagates (as PyTorch's max, unlike PTX's max.f32).</summary>
internal readonly struct MaxOp<T, N> : IGpuReduceOp<T> where T : unmanaged where N : struct, IGpuNumber<T>
{
    public static T Identity() => N.Lowest();
    public static T Combine(T a, T b) => N.IsNaN(a) || N.Gt(a, b) ? a : b;
}

/// <summary>Min; NaN propagates.</summary>
internal readonly struct MinOp<T, N> : IGpuReduceOp<T> where T : unmanaged where N : struct, IGpuNumber<T>
{
    public static T Identity() => N.Highest();
    public static T Combine(T a, T b) => N.IsNaN(a) || N.Lt(a, b) ? a : b;
}

/// <summary>Helpers shared by the group-per-row kernels.</summary>
internal static class GpuGroup
{
    /// <summary>The largest group the row and reduction kernels use (their shared scratch has this many entries).</summary>
    public const int MaxThreads = 256;

    /// <summary>
    /// Tree reduction of one value per thread over the group (a power of two ≤ <see cref="MaxThreads"/>): halves the
    /// active threads each step, so the combine order is fixed by the group size alone. Every thread gets the result.
    /// </summary>
    public static T Reduce<T, Op>(ArrayView<T> scratch, T v) where T : unmanaged where Op : struct, IGpuReduceOp<T>
    {
        int t = Group.IdxX;
        scratch[t] = v;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s) scratch[t] = Op.Combine(scratch[t], scratch[t + s]);
            Group.Barrier();
        }
        T r = scratch[0];
        Group.Barrier();   // the scratch is reused by the next reduction
        return r;
    }

    /// <summary>The group size for rows of <paramref name="len"/> elements: the next power of two, 32 to 256.</summary>
    public static int ThreadsFor(long len)
    {
        int g = 32;
        while (g < MaxThreads && g < len) g *= 2;
        return g;
    }

    /// <summary>One group of <paramref name="threads"/> per each of <paramref name="groups"/> rows or outputs.</summary>
    public static KernelConfig Config(int groups, int threads) => new(new Index3D(groups, 1, 1), new Index3D(threads, 1, 1));

    /// <summary>Throws unless the accelerator allows groups of <see cref="MaxThreads"/> threads.</summary>
    public static void RequireGroups(ILGPU.Runtime.Accelerator accelerator, string family)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.MaxNumThreadsPerGroup < MaxThreads)
            throw new NotSupportedException($"{family}: needs groups of {MaxThreads} threads; {accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup}.");
    }

    /// <summary>The element type's name for error messages.</summary>
    public static string NotSupported<T>(string family) => $"{family}: element type {typeof(T).Name} is not supported.";
}
