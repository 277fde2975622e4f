namespace Trace;

/// <summary>
/// The CUDA kernel table: ILGPU kernels from Trace.Kernels.Gpu for every family — elementwise, rows, reductions, copies
/// (with host transfers), linalg, indexing, factories and optimizers — so every op of the op table runs on CUDA tensors
/// (the conformance tests run each against the CPU). Dtypes a family does not serve on CUDA are an error naming the op.
/// </summary>
internal sealed class CudaKernels : IDeviceKernels
{
    /// <summary>The table of <c>cuda:0</c>.</summary>
    public static CudaKernels Instance { get; } = new();

    private CudaKernels() { }

    /// <inheritdoc/>
    public Device Device => Device.Cuda(0);

    /// <inheritdoc/>
    public IElementwiseKernels Elementwise { get; } = new CudaElementwiseKernels();

    /// <inheritdoc/>
    public IRowKernels Rows { get; } = new CudaRowKernels();

    /// <inheritdoc/>
    public IReductionKernels Reductions { get; } = new CudaReductionKernels();

    /// <inheritdoc/>
    public ICopyKernels Copy { get; } = new CudaCopyKernels();

    /// <inheritdoc/>
    public ILinalgKernels Linalg { get; } = new CudaLinalgKernels();

    /// <inheritdoc/>
    public IIndexingKernels Indexing { get; } = new CudaIndexingKernels();

    /// <inheritdoc/>
    public IFactoryKernels Factory { get; } = new CudaFactoryKernels();

    /// <inheritdoc/>
    public IConvKernels Conv { get; } = new CudaConvKernels();

    /// <inheritdoc/>
    public ISortScanKernels SortScan { get; } = new CudaSortScanKernels();

    /// <inheritdoc/>
    public IOptimizerKernels Optimizer { get; } = new CudaOptimizerKernels();

    /// <inheritdoc/>
    public bool Implements(string opName) => Ops.OpTable.Find(opName) is not null;
}
