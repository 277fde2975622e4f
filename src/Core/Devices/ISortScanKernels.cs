namespace Trace;

/// <summary>
/// A device's sort and scan kernels: cumulative sums and stable sorts along rows, and multinomial sampling. The op has
/// checked its arguments, moved the dim it works along last and made the input contiguous: <c>n</c> rows of <c>len</c>
/// elements each; outputs are contiguous of the same layout.
/// </summary>
internal interface ISortScanKernels
{
    /// <summary>r[i, j] = Σ_{k ≤ j} rows[i, k], summed left to right in the rows' dtype (float32, float64, int64 or int32).</summary>
    void Cumsum(Tensor rows, Tensor r, int n, int len);

    /// <summary>
    /// Each row of <paramref name="rows"/> sorted stably into <paramref name="values"/>, with each value's position in its row
    /// in the int64 <paramref name="indices"/>; NaN sorts above every number (last ascending, first descending), as PyTorch.
    /// </summary>
    void Sort(Tensor rows, Tensor values, Tensor indices, int n, int len, bool descending);

    /// <summary>
    /// Draws <paramref name="samples"/> category indices per row of the float64 <paramref name="rows"/> (non-negative weights,
    /// each row with a positive finite sum: checked by the kernel, which sees the data) into the int64 <paramref name="r"/>
    /// (n × samples), with or without replacement, from <paramref name="generator"/>: the same draws on every device.
    /// </summary>
    void Multinomial(Tensor rows, Tensor r, int n, int len, int samples, bool replacement, Generator generator, string op);
}
