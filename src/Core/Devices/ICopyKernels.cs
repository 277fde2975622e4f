namespace Trace;

/// <summary>A device's copy kernel: the one loop behind clone, contiguous, to(dtype), copy_, fill_, cat and views that copy.</summary>
internal interface ICopyKernels
{
    /// <summary>
    /// Copies <paramref name="src"/>, broadcast to <paramref name="dst"/>'s shape and converted to its dtype, into
    /// <paramref name="dst"/> (any strided view on the same device).
    /// </summary>
    void Copy(Tensor dst, Tensor src);
}
