namespace Trace.Kernels.Gpu;

/// <summary>
/// The GPU struct that computes what a CPU kernel struct computes, for ops whose CPU struct is SIMD or library code ILGPU
/// cannot compile (transcendental functions) or whose GPU semantics need care (NaN-propagating max/min). The eager CUDA
/// kernels and the fused kernels the JIT generates both ask here, so an op gives the same bits eager and fused on the GPU.
/// Structs not listed (arithmetic, abs, relu, sqrt, clamp bounds) compile for the GPU as they are, through their scalar
/// <c>Apply</c>.
/// </summary>
public static class GpuTwins
{
    private static readonly Dictionary<Type, Type> Twins = new()
    {
        [typeof(ExpOp)] = typeof(GpuExp),
        [typeof(LogOp)] = typeof(GpuLog),
        [typeof(RsqrtOp)] = typeof(GpuRsqrt),
        [typeof(TanhOp)] = typeof(GpuTanh),
        [typeof(SigmoidOp)] = typeof(GpuSigmoid),
        [typeof(ErfOp)] = typeof(GpuErf),
        [typeof(GeluOp)] = typeof(GpuGelu),
        [typeof(GeluTanhOp)] = typeof(GpuGeluTanh),
        [typeof(SiluOp)] = typeof(GpuSilu),
        [typeof(Log1pOp)] = typeof(GpuLog1p),
        [typeof(FloorOp)] = typeof(GpuFloor),
        [typeof(RoundOp)] = typeof(GpuRound),
        [typeof(MaxOp<>)] = typeof(GpuMaximum),
        [typeof(MinOp<>)] = typeof(GpuMinimum),
    };

    /// <summary>The GPU twin of CPU kernel struct <paramref name="cpu"/> (open or closed generic, or not generic), or null when the CPU struct serves as is.</summary>
    public static Type? Of(Type cpu)
    {
        ArgumentNullException.ThrowIfNull(cpu);
        var key = cpu.IsGenericType && !cpu.IsGenericTypeDefinition ? cpu.GetGenericTypeDefinition() : cpu;
        return Twins.GetValueOrDefault(key);
    }

    /// <summary>g · GELU'(x) on the GPU (exact or tanh approximation), as the eager <c>aten::gelu_backward</c> kernel computes it.</summary>
    public static Type GeluBackward(bool tanh) => tanh ? typeof(GpuGeluTanhBackward) : typeof(GpuGeluBackward);
}
