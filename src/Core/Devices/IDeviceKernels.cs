namespace Trace;

/// <summary>
/// A device's kernel table, one interface per op family. An op's shape and dtype rules and checks run once,
/// device-neutrally, in the op; its kernel comes from the table of its tensors' device
/// (<see cref="DeviceKernels.For(Device, string)"/>).
/// </summary>
internal interface IDeviceKernels
{
    /// <summary>The device these kernels run on.</summary>
    Device Device { get; }

    /// <summary>Elementwise, comparison and select kernels.</summary>
    IElementwiseKernels Elementwise { get; }

    /// <summary>Row kernels: softmax, layer norm, variance.</summary>
    IRowKernels Rows { get; }

    /// <summary>Reductions over dims and arg-reductions along one dim.</summary>
    IReductionKernels Reductions { get; }

    /// <summary>Strided, broadcasting, converting copies, and copies to and from host memory.</summary>
    ICopyKernels Copy { get; }

    /// <summary>Matrix products (GEMM, batched GEMM).</summary>
    ILinalgKernels Linalg { get; }

    /// <summary>Gather, index_select and the scatter-adds of their backwards.</summary>
    IIndexingKernels Indexing { get; }

    /// <summary>Fills for factories: full, arange, random uniform, normal and integer fills.</summary>
    IFactoryKernels Factory { get; }

    /// <summary>Convolution and pooling: im2col/col2im, conv2d, max and average pooling and their backward.</summary>
    IConvKernels Conv { get; }

    /// <summary>Cumulative sums, stable sorts and multinomial sampling along rows.</summary>
    ISortScanKernels SortScan { get; }

    /// <summary>Fused optimizer updates (SGD, Adam/AdamW).</summary>
    IOptimizerKernels Optimizer { get; }

    /// <summary>True when this table has a kernel for the op named <paramref name="opName"/> (<c>aten::add</c>).</summary>
    bool Implements(string opName);
}
