namespace Trace;

/// <summary>
/// A device's indexing kernels: gather and index_select, and the scatter-adds of their backwards. The op has checked
/// dtypes and shapes, converted the index to a contiguous int64 tensor and allocated the output; a kernel checks each
/// index against its dimension, naming the op (an index is data, known only to the kernel), and writes the output.
/// </summary>
internal interface IIndexingKernels
{
    /// <summary>
    /// r[p] = src[p with p[dim] replaced by index[p]] for every position p of <paramref name="index"/>'s shape;
    /// <paramref name="src"/> strided, <paramref name="r"/> contiguous of the index's shape and src's dtype.
    /// </summary>
    void Gather(Tensor src, int dim, Tensor index, Tensor r, string op);

    /// <summary>
    /// r[p with p[dim] replaced by index[p]] += src[p] for every position p of <paramref name="index"/>'s shape, in
    /// row-major order (repeated indices accumulate); <paramref name="r"/> contiguous, <paramref name="src"/> contiguous
    /// of the index's shape and r's dtype.
    /// </summary>
    void ScatterAdd(Tensor r, int dim, Tensor index, Tensor src, string op);

    /// <summary>
    /// r[p with p[dim] replaced by index[p]] = src[p] for every position p of <paramref name="index"/>'s shape, in row-major
    /// order (a repeated index keeps the last value); layouts as <see cref="ScatterAdd"/>, any dtype.
    /// </summary>
    void Scatter(Tensor r, int dim, Tensor index, Tensor src, string op);

    /// <summary>
    /// Slice i of <paramref name="r"/> along <paramref name="dim"/> = slice index[i] of <paramref name="src"/>; the 1-D
    /// <paramref name="index"/> has r's size along dim, <paramref name="src"/> is strided (rank ≥ 1), r contiguous.
    /// </summary>
    void IndexSelect(Tensor src, int dim, Tensor index, Tensor r, string op);

    /// <summary>
    /// Slice index[i] of <paramref name="r"/> along <paramref name="dim"/> += slice i of <paramref name="src"/>, for i in
    /// order (repeated indices accumulate); <paramref name="r"/> and <paramref name="src"/> contiguous (rank ≥ 1), the 1-D
    /// <paramref name="index"/> has src's size along dim.
    /// </summary>
    void IndexAdd(Tensor r, int dim, Tensor index, Tensor src, string op);
}
