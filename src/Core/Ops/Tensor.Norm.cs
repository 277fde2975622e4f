namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// The vector p-norm over <paramref name="dim"/> (all dims when null or empty), as <c>torch.linalg.vector_norm(x, ord=p)</c>
    /// and <c>tensor.norm(p)</c>: p = 2 (Euclidean), 1, ∞ (largest |x|), −∞ (smallest), 0 (count of nonzeros), or any other p
    /// ((Σ|x|^p)^(1/p)). Floating inputs only. Gradients as PyTorch's: 0 at the zero vector for p = 2 and the other finite p;
    /// for ±∞ split evenly among the elements that attain it; 0 for p = 0.
    /// </summary>
    public Tensor Norm(double p = 2, int[]? dim = null, bool keepdim = false)
    {
        const string op = "aten::linalg_vector_norm";
        if (!IsFloatingPoint)
            throw new ArgumentException($"{op}: expected a floating point input, got {DType.TorchName()} (shape {Shapes.Format(_shape)}).");
        if (double.IsNaN(p)) throw new ArgumentException($"{op}: ord must be a number, got NaN.");
        var dims = dim ?? [];
        var mask = DimMask(dims, op);
        if (double.IsNegativeInfinity(p) || double.IsPositiveInfinity(p))
            for (int d = 0; d < Dim; d++)
                if (mask[d] && _shape[d] == 0)
                    throw new ArgumentException($"{op}: expected reduction dim {d} of input of shape {Shapes.Format(_shape)} to have non-zero size for ord={p}.");
        Tensor Compute()
        {
            var a = Abs();
            return p switch
            {
                double.PositiveInfinity => a.Amax(dims, keepdim),
                double.NegativeInfinity => a.Amin(dims, keepdim),
                0 => a.Ne(0.0).To(DType).Sum(dims, keepdim),
                1 => a.Sum(dims, keepdim),
                2 => a.Square().Sum(dims, keepdim).Sqrt(),
                _ => a.Pow(p).Sum(dims, keepdim).Pow(1 / p),
            };
        }
        return Dispatch.Record(new OpCall(op, p, MaskDims(mask), keepdim), Compute, [this], r => new(g => NormBackward(g, r, p, mask, keepdim), this, r));
    }

    /// <summary>The vector norm of <see cref="Norm"/> under its <c>torch.linalg</c> name.</summary>
    public Tensor VectorNorm(double ord = 2, int[]? dim = null, bool keepdim = false) => Norm(ord, dim, keepdim);

    /// <summary>PyTorch's linalg_vector_norm_backward, written with Tensor ops.</summary>
    private Tensor NormBackward(Tensor g, Tensor norm, double p, bool[] mask, bool keepdim)
    {
        var ge = g.ExpandReduced(_shape, mask, keepdim);
        var ne = norm.ExpandReduced(_shape, mask, keepdim);
        if (p == 0) return ZerosLike();
        if (p == 1) return Sign().Mul(ge);
        if (double.IsInfinity(p))
        {
            var hit = Abs().Eq(ne).To(DType);
            var count = hit.Sum(MaskDims(mask), keepdim: true);
            return Sign().Mul(hit).Div(count).Mul(ge);
        }
        var zero = ne.Eq(0.0);
        if (p == 2) return Mul(ge.Div(ne).MaskedFill(zero, 0));
        var scale = ge.Div(ne.Pow(p - 1)).MaskedFill(zero, 0);
        return Sign().Mul(Abs().Pow(p - 1)).Mul(scale);
    }
}
