namespace Trace;

/// <summary>The CPU's kernel table: today's SIMD kernels from Trace.Kernels, called exactly as the ops called them inline.</summary>
internal sealed class CpuKernels : IDeviceKernels
{
    /// <summary>The one CPU table.</summary>
    public static CpuKernels Instance { get; } = new();

    private static readonly HashSet<string> Served = [.. IElementwiseKernels.Ops, .. IRowKernels.Ops, .. IReductionKernels.Ops, .. ICopyKernels.Ops];

    private CpuKernels() { }

    /// <inheritdoc/>
    public Device Device => Device.Cpu;

    /// <inheritdoc/>
    public IElementwiseKernels Elementwise { get; } = new CpuElementwiseKernels();

    /// <inheritdoc/>
    public IRowKernels Rows { get; } = new CpuRowKernels();

    /// <inheritdoc/>
    public IReductionKernels Reductions { get; } = new CpuReductionKernels();

    /// <inheritdoc/>
    public ICopyKernels Copy { get; } = new CpuCopyKernels();

    /// <inheritdoc/>
    /// <remarks>Besides the families' ops, every float unary op the op table defines by a kernel struct alone: the generic loop runs it.</remarks>
    public bool Implements(string opName) =>
        Served.Contains(opName) || Ops.OpTable.Find(opName)?.Kernel is { } k && k.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(Kernels.IUnaryOp<>));
}
