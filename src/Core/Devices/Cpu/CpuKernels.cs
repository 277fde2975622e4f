namespace Trace;

/// <summary>The CPU's kernel table: today's SIMD kernels from Trace.Kernels, called exactly as the ops called them inline.</summary>
internal sealed class CpuKernels : IDeviceKernels
{
    /// <summary>The one CPU table.</summary>
    public static CpuKernels Instance { get; } = new();

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
    public ILinalgKernels Linalg { get; } = new CpuLinalgKernels();

    /// <inheritdoc/>
    /// <remarks>
    /// Every op of the op table: the families above through this table, the kernel-struct unary ops through its generic
    /// loop, and the ops not yet moved here (indexing, random fill, factories) in their own CPU code.
    /// </remarks>
    public bool Implements(string opName) => Ops.OpTable.Find(opName) is not null;
}
