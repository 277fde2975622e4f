namespace Trace.Nn;

/// <summary>
/// The per-step math of the recurrent cells and layers, composed from tensor ops (so autograd and tracing need no
/// recurrent op of their own) except the LSTM cell's pointwise part, one fused op with its own backward. <c>xg</c> is
/// the input's projection for this step, x·W_ihᵀ + b_ih (the layers compute it for all steps with one matmul and also
/// fold b_hh into it where the formula allows); <c>h</c> and <c>c</c> are null for an implicit zero state, which skips
/// the h·W_hhᵀ product.
/// </summary>
internal static class RecurrentMath
{
    /// <summary>h' = act(xg + h·W_hhᵀ + b_hh), act tanh or relu.</summary>
    public static Tensor RnnStep(Tensor xg, Tensor? h, Tensor whh, Tensor? bhh, bool relu)
    {
        var pre = Recurrent(xg, h, whh, bhh);
        return relu ? pre.Relu() : pre.Tanh();
    }

    /// <summary>
    /// One LSTM step with PyTorch's gate order (i, f, g, o): c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'), the pointwise
    /// math one <c>trace::lstm_cell</c> (one pass per batch row forward and backward, where the composed ops take a dozen).
    /// </summary>
    public static (Tensor H, Tensor C) LstmStep(Tensor xg, Tensor? h, Tensor? c, Tensor whh, Tensor? bhh)
    {
        var (hNext, cNext, _) = h is null
            ? Tensor.LstmCell(bhh is null ? xg : xg + bhh, null, c)
            : Tensor.LstmCell(xg, Tensor.Linear(h, whh, bhh), c);
        return (hNext, cNext);
    }

    /// <summary>
    /// One GRU step with PyTorch's gate order (r, z, n): r = σ(x_r + h_r), z = σ(x_z + h_z),
    /// n = tanh(x_n + r·(W_hn·h + b_hn)), h' = (1 − z)·n + z·h (computed as n + z·(h − n)).
    /// </summary>
    public static Tensor GruStep(Tensor xg, Tensor h, Tensor whh, Tensor? bhh)
    {
        var x = xg.Chunk(3, -1);
        var hh = Tensor.Linear(h, whh, bhh).Chunk(3, -1);
        var r = (x[0] + hh[0]).Sigmoid();
        var z = (x[1] + hh[1]).Sigmoid();
        var n = (x[2] + r * hh[2]).Tanh();
        return n + z * (h - n);
    }

    /// <summary>xg + h·W_hhᵀ + b_hh; just xg (+ b_hh) when h is the implicit zero state.</summary>
    private static Tensor Recurrent(Tensor xg, Tensor? h, Tensor whh, Tensor? bhh)
    {
        if (h is null) return bhh is null ? xg : xg + bhh;
        return Tensor.Linear(h, whh, bhh) + xg;
    }
}
