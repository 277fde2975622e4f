namespace Trace;

/// <summary>
/// A device's copy kernels: the one loop behind clone, contiguous, to(dtype), copy_, cat and views that copy, and the
/// transfers between a tensor and host memory (item, to_array, printing, Tensor.From).
/// </summary>
internal interface ICopyKernels
{
    /// <summary>
    /// Copies <paramref name="src"/>, broadcast to <paramref name="dst"/>'s shape and converted to its dtype, into
    /// <paramref name="dst"/> (any strided view on the same device).
    /// </summary>
    void Copy(Tensor dst, Tensor src);

    /// <summary>
    /// Copies the elements of the contiguous <paramref name="src"/> (dtype of <typeparamref name="T"/>, any storage offset)
    /// into <paramref name="dst"/>, whose length is its element count.
    /// </summary>
    void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged;

    /// <summary>
    /// Copies <paramref name="src"/> into the contiguous <paramref name="dst"/> (dtype of <typeparamref name="T"/>, any storage
    /// offset), whose element count is its length.
    /// </summary>
    void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged;
}
