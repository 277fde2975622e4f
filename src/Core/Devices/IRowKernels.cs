namespace Trace;

/// <summary>
/// A device's row kernels: the op moves the reduced dims last and makes the input contiguous, then each of
/// <c>n</c> rows of <c>len</c> elements is reduced or normalized on its own (softmax, layer norm, variance).
/// </summary>
internal interface IRowKernels
{
    /// <summary>Softmax (or log-softmax) of each row of <paramref name="rows"/> into the contiguous <paramref name="r"/>.</summary>
    void Softmax(Tensor rows, Tensor r, int n, int len, bool log);

    /// <summary>
    /// Layer norm of each row of <paramref name="x"/> into <paramref name="y"/>, with optional per-element weight
    /// and bias, writing each row's mean and 1/√(var + eps) to <paramref name="mean"/> and <paramref name="rstd"/>.
    /// </summary>
    void LayerNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor y, Tensor mean, Tensor rstd, int n, int len, double eps);

    /// <summary>Variance (or standard deviation) with <paramref name="correction"/> of each row into <paramref name="r"/>.</summary>
    void Variance(Tensor rows, Tensor r, int n, int len, int correction, bool std);

    /// <summary>
    /// The LSTM cell (<c>trace::lstm_cell</c>) of B rows of H units: gates (B, 4H) = <paramref name="inputGates"/> +
    /// <paramref name="hiddenGates"/> (absent: zero) and <paramref name="cx"/> (B, H, absent: zero) into the contiguous
    /// <paramref name="hy"/>, <paramref name="cy"/> and activated-gates <paramref name="workspace"/>. Operands have unit stride along dim 1.
    /// </summary>
    void LstmCell(Tensor inputGates, Tensor? hiddenGates, Tensor? cx, Tensor hy, Tensor cy, Tensor workspace);

    /// <summary>
    /// The LSTM cell's backward (<c>trace::lstm_cell_backward</c>) from the gradients of h' and c' (each absent: zero) into the
    /// contiguous <paramref name="gradGates"/> (B, 4H) and <paramref name="gradCx"/> (B, H). Operands have unit stride along dim 1.
    /// </summary>
    void LstmCellBackward(Tensor? gradHy, Tensor? gradCy, Tensor? cx, Tensor cy, Tensor workspace, Tensor gradGates, Tensor gradCx);
}
