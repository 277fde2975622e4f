namespace Trace;

/// <summary>
/// The CUDA kernel table: ILGPU kernels from Trace.Kernels.Gpu for the copy (with host transfers), elementwise and
/// factory families and reductions over dims. Families without CUDA kernels yet (rows, arg-reductions, linalg, indexing,
/// optimizers) refuse every
/// call by op name, never falling back to the CPU.
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
    public IRowKernels Rows { get; } = new CudaMissingKernels();

    /// <inheritdoc/>
    public IReductionKernels Reductions { get; } = new CudaReductionKernels();

    /// <inheritdoc/>
    public ICopyKernels Copy { get; } = new CudaCopyKernels();

    /// <inheritdoc/>
    public ILinalgKernels Linalg { get; } = new CudaLinalgKernels();

    /// <inheritdoc/>
    public IIndexingKernels Indexing { get; } = new CudaMissingKernels();

    /// <inheritdoc/>
    public IFactoryKernels Factory { get; } = new CudaFactoryKernels();

    /// <inheritdoc/>
    public IOptimizerKernels Optimizer { get; } = new CudaMissingKernels();

    /// <summary>
    /// The ops of the op table that run on CUDA tensors in this build: elementwise math, comparisons, where, copies and
    /// casts, views, reductions over dims, full/zeros/fill_ (the factory family's arange and random fills are there too, computed on the host
    /// and uploaded, though no public factory takes a device yet). CudaKernelTableTests checks this list against the op table and runs each.
    /// </summary>
    public static IReadOnlyCollection<string> Ops { get; } = new SortedSet<string>(StringComparer.Ordinal)
    {
        "aten::abs", "aten::add", "aten::add_", "aten::all", "aten::amax", "aten::amin", "aten::any", "aten::cat", "aten::clamp", "aten::clamp_", "aten::clone",
        "aten::contiguous", "aten::copy_", "aten::detach", "aten::div", "aten::div_", "aten::eq", "aten::erf",
        "aten::exp", "aten::expand", "aten::fill_", "aten::full", "aten::ge", "aten::gelu", "aten::gelu_backward",
        "aten::gt", "aten::le", "aten::linear", "aten::log", "aten::log1p", "aten::logical_and", "aten::logical_not",
        "aten::logical_or", "aten::logical_xor", "aten::lt", "aten::matmul", "aten::maximum", "aten::minimum", "aten::mul",
        "aten::mul_", "aten::narrow", "aten::ne", "aten::neg", "aten::permute", "aten::pow", "aten::prod", "aten::relu",
        "aten::reshape", "aten::rsqrt", "aten::select", "aten::sigmoid", "aten::silu", "aten::slice", "aten::sqrt",
        "aten::square", "aten::squeeze", "aten::sub", "aten::sub_", "aten::sum", "aten::tanh", "aten::to", "aten::transpose",
        "aten::unsqueeze", "aten::view", "aten::where", "aten::zeros", "trace::linear_add", "trace::linear_relu",
    };

    /// <inheritdoc/>
    public bool Implements(string opName) => Ops.Contains(opName);
}
