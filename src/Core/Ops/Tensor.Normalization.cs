namespace Trace;

public sealed partial class Tensor
{
    /// <summary>Variance over dims with Bessel's correction by default (<paramref name="correction"/> = 1).</summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepdim = false)
    {
        RequireFloating("aten::var");
        dims ??= AllDims();
        var mask = DimMask(dims, "aten::var");
        long n = 1;
        for (int d = 0; d < Dim; d++) if (mask[d]) n *= _shape[d];
        var centered = Sub(Mean(dims, keepdim: true));
        return centered.Square().Sum(dims, keepdim).Div(Math.Max(0, n - correction));
    }

    /// <summary>Standard deviation: sqrt of <see cref="Var"/>.</summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepdim = false) => Var(dims, correction, keepdim).Sqrt();

    /// <summary>log(sum(exp(x))) over dims, computed stably by subtracting the max.</summary>
    public Tensor LogSumExp(int[] dims, bool keepdim = false)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        var shift = x.StableShift(dims);
        var r = x.Sub(shift).Exp().Sum(dims, keepdim).Log();
        return r.Add(keepdim ? shift : shift.Reshape(ReducedShape(DimMask(dims, "aten::logsumexp"), keepdim: false)));
    }

    /// <summary>log(sum(exp(x))) over one dim.</summary>
    public Tensor LogSumExp(int dim, bool keepdim = false) => LogSumExp([dim], keepdim);

    /// <summary>Softmax along a dim: exp(x - max) / sum(exp(x - max)).</summary>
    public Tensor Softmax(int dim)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        var e = x.Sub(x.StableShift([dim])).Exp();
        return e.Div(e.Sum(dim, keepdim: true));
    }

    /// <summary>Log-softmax along a dim: (x - max) - log(sum(exp(x - max))).</summary>
    public Tensor LogSoftmax(int dim)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        var shifted = x.Sub(x.StableShift([dim]));
        return shifted.Sub(shifted.Exp().Sum(dim, keepdim: true).Log());
    }

    /// <summary>
    /// The max over dims (keepdim), detached: subtracting it keeps exp() finite without changing softmax or
    /// logsumexp. Rows whose max is infinite shift by 0 instead (so that -inf rows don't become NaN early).
    /// </summary>
    private Tensor StableShift(int[] dims)
    {
        using var _ = Autograd.NoGrad();
        var m = Amax(dims, keepdim: true);
        return Where(m.Abs().Eq(double.PositiveInfinity), 0.0, m);
    }

    /// <summary>
    /// Layer normalization over the trailing dims given by <paramref name="normalizedShape"/>:
    /// (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
    /// </summary>
    public Tensor LayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        int k = normalizedShape.Length;
        if (k == 0 || k > Dim || !_shape.AsSpan(Dim - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"aten::layer_norm: normalized_shape {Shapes.Format(normalizedShape)} does not match the trailing dims of input of shape {Shapes.Format(_shape)}.");
        foreach (var (p, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (p is not null && !p._shape.AsSpan().SequenceEqual(normalizedShape))
                throw new ArgumentException($"aten::layer_norm: {name} of shape {Shapes.Format(p._shape)} must have normalized_shape {Shapes.Format(normalizedShape)}.");
        RequireFloating("aten::layer_norm");
        var dims = Enumerable.Range(Dim - k, k).ToArray();
        var centered = Sub(Mean(dims, keepdim: true));
        var y = centered.Mul(centered.Square().Mean(dims, keepdim: true).Add(eps).Rsqrt());
        if (weight is not null) y = y.Mul(weight);
        if (bias is not null) y = y.Add(bias);
        return y;
    }
}
