namespace Trace;

/// <summary>The CPU's kernel table: today's SIMD kernels from Trace.Kernels, called exactly as the ops called them inline.</summary>
internal sealed class CpuKernels : IDeviceKernels
{
    /// <summary>The one CPU table.</summary>
    public static CpuKernels Instance { get; } = new();

    private CpuKernels()
    {
        Copy = new CpuCopyKernels();
        Indexing = new CpuIndexingKernels(Copy);
    }

    /// <inheritdoc/>
    public Device Device => Device.Cpu;

    /// <inheritdoc/>
    public IElementwiseKernels Elementwise { get; } = new CpuElementwiseKernels();

    /// <inheritdoc/>
    public IRowKernels Rows { get; } = new CpuRowKernels();

    /// <inheritdoc/>
    public IReductionKernels Reductions { get; } = new CpuReductionKernels();

    /// <inheritdoc/>
    public ICopyKernels Copy { get; }

    /// <inheritdoc/>
    public ILinalgKernels Linalg { get; } = new CpuLinalgKernels();

    /// <inheritdoc/>
    public IIndexingKernels Indexing { get; }

    /// <inheritdoc/>
    public IFactoryKernels Factory { get; } = new CpuFactoryKernels();

    /// <inheritdoc/>
    public IConvKernels Conv { get; } = new CpuConvKernels();

    /// <inheritdoc/>
    public ISortScanKernels SortScan { get; } = new CpuSortScanKernels();

    /// <inheritdoc/>
    public IOptimizerKernels Optimizer { get; } = new CpuOptimizerKernels();

    /// <inheritdoc/>
    /// <remarks>
    /// Every op of the op table: the families above through this table, and the kernel-struct unary ops through its
    /// generic loop. Composite ops run as other ops, views need no kernel.
    /// </remarks>
    public bool Implements(string opName) => Ops.OpTable.Find(opName) is not null;
}
