namespace Trace;

/// <summary>A device's copy kernel: the one loop behind clone, contiguous, to(dtype), copy_, fill_, cat and views that copy.</summary>
internal interface ICopyKernels
{
    /// <summary>The ops these kernels serve (used by <see cref="IDeviceKernels.Implements"/>).</summary>
    static readonly string[] Ops = ["aten::clone", "aten::contiguous", "aten::to", "aten::copy_", "aten::fill_", "aten::cat", "aten::reshape", "aten::slice_backward"];

    /// <summary>
    /// Copies <paramref name="src"/>, broadcast to <paramref name="dst"/>'s shape and converted to its dtype, into
    /// <paramref name="dst"/> (any strided view on the same device).
    /// </summary>
    void Copy(Tensor dst, Tensor src);
}
