namespace Trace;

/// <summary>
/// A device's reduction kernels. The op has checked the dims, picked the accumulation dtype and cast the input
/// to it; a kernel writes the reduced values into a contiguous output of that dtype.
/// </summary>
internal interface IReductionKernels
{
    /// <summary>Reduces <paramref name="x"/> over the dims set in <paramref name="mask"/> into <paramref name="r"/> (same dtype).</summary>
    void Reduce(ReduceKind k, Tensor x, bool[] mask, Tensor r);

    /// <summary>
    /// The max (or min) of each of <paramref name="n"/> contiguous rows of <paramref name="len"/> elements of
    /// <paramref name="rows"/> into <paramref name="values"/>, and its first index into the int64 <paramref name="indices"/>.
    /// </summary>
    void ArgReduce(Tensor rows, int n, int len, bool max, Tensor values, Tensor indices);
}
