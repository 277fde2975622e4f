using Trace.Kernels;

namespace Trace;

internal enum ReduceKind { Sum, Prod, Max, Min }

/// <summary>Values and indices returned by <c>Max(dim)</c>/<c>Min(dim)</c>.</summary>
public readonly record struct ValuesIndices(Tensor Values, Tensor Indices);

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (integers and bools sum to int64).</summary>
    public Tensor Sum() => Reduce(ReduceKind.Sum, AllDims(), false, "aten::sum");
    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(int dim, bool keepdim = false) => Reduce(ReduceKind.Sum, [dim], keepdim, "aten::sum");
    /// <summary>Sum over several dims.</summary>
    public Tensor Sum(int[] dims, bool keepdim = false) => Reduce(ReduceKind.Sum, dims, keepdim, "aten::sum");

    /// <summary>Product of all elements.</summary>
    public Tensor Prod() => Reduce(ReduceKind.Prod, AllDims(), false, "aten::prod");
    /// <summary>Product over one dim.</summary>
    public Tensor Prod(int dim, bool keepdim = false) => Reduce(ReduceKind.Prod, [dim], keepdim, "aten::prod");

    /// <summary>Mean of all elements (floating dtypes only, as in PyTorch).</summary>
    public Tensor Mean() => Mean(AllDims());
    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepdim = false) => Mean([dim], keepdim);
    /// <summary>Mean over several dims.</summary>
    public Tensor Mean(int[] dims, bool keepdim = false)
    {
        RequireFloating("aten::mean");
        var mask = DimMask(dims, "aten::mean");
        long n = 1;
        for (int d = 0; d < Dim; d++) if (mask[d]) n *= _shape[d];
        return Reduce(ReduceKind.Sum, dims, keepdim, "aten::mean").Div((double)n);
    }

    /// <summary>Largest element (NaN if any element is NaN).</summary>
    public Tensor Max() => ReduceNonEmpty(ReduceKind.Max, "aten::max");
    /// <summary>Smallest element.</summary>
    public Tensor Min() => ReduceNonEmpty(ReduceKind.Min, "aten::min");
    /// <summary>Largest values over dims (no indices), like <c>torch.amax</c>.</summary>
    public Tensor Amax(int[] dims, bool keepdim = false) => Reduce(ReduceKind.Max, dims, keepdim, "aten::amax");
    /// <summary>Smallest values over dims, like <c>torch.amin</c>.</summary>
    public Tensor Amin(int[] dims, bool keepdim = false) => Reduce(ReduceKind.Min, dims, keepdim, "aten::amin");
    /// <summary>Largest values along a dim and their (first) indices.</summary>
    public ValuesIndices Max(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, true, "aten::max");
    /// <summary>Smallest values along a dim and their (first) indices.</summary>
    public ValuesIndices Min(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, false, "aten::min");
    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor Argmax() => Reshape(-1).ArgExtreme(0, false, true, "aten::argmax").Indices;
    /// <summary>Indices of the largest elements along a dim.</summary>
    public Tensor Argmax(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, true, "aten::argmax").Indices;
    /// <summary>Index of the smallest element of the flattened tensor.</summary>
    public Tensor Argmin() => Reshape(-1).ArgExtreme(0, false, false, "aten::argmin").Indices;
    /// <summary>Indices of the smallest elements along a dim.</summary>
    public Tensor Argmin(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, false, "aten::argmin").Indices;

    /// <summary>True (0-dim bool) if any element is nonzero.</summary>
    public Tensor Any() => To(DType.Int32).Ne(0L).To(DType.Int32).Reduce(ReduceKind.Max, AllDims(), false, "aten::any").Ne(0L);
    /// <summary>True (0-dim bool) if all elements are nonzero.</summary>
    public Tensor All() => To(DType.Int32).Ne(0L).To(DType.Int32).Reduce(ReduceKind.Min, AllDims(), false, "aten::all").Ne(0L);

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
        var m = x.Amax(dims, keepdim: true);
        // Rows that are entirely -inf (or +inf) keep their max: subtract 0 there instead of inf-inf.
        var shift = Where(m.Abs().Eq(double.PositiveInfinity), m.ZerosLike(), m);
        var r = x.Sub(shift).Exp().Sum(dims, keepdim: true).Log().Add(shift);
        return keepdim ? r : r.SqueezeDims(DimMask(dims, "aten::logsumexp"));
    }

    /// <summary>log(sum(exp(x))) over one dim.</summary>
    public Tensor LogSumExp(int dim, bool keepdim = false) => LogSumExp([dim], keepdim);

    /// <summary>Softmax along a dim: exp(x - max) / sum(exp(x - max)).</summary>
    public Tensor Softmax(int dim)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        var e = x.Sub(x.Amax([dim], keepdim: true)).Exp();
        return e.Div(e.Sum(dim, keepdim: true));
    }

    /// <summary>Log-softmax along a dim: x - logsumexp(x).</summary>
    public Tensor LogSoftmax(int dim)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        return x.Sub(x.LogSumExp([dim], keepdim: true));
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

    private int[] AllDims() => Enumerable.Range(0, Dim).ToArray();

    private void RequireFloating(string op)
    {
        if (!IsFloatingPoint)
            throw new ArgumentException($"{op}: could not infer output dtype. Input dtype must be a floating point dtype, got {DType.TorchName()} (shape {Shapes.Format(_shape)}).");
    }

    private bool[] DimMask(int[] dims, string op)
    {
        var mask = new bool[Dim];
        foreach (int dim in dims)
        {
            int d = Shapes.NormDim(dim, Dim, op);
            if (Dim > 0 && mask[d]) throw new ArgumentException($"{op}: dim {d} appears multiple times in the list of dims [{string.Join(", ", dims)}].");
            if (Dim > 0) mask[d] = true;
        }
        return mask;
    }

    private Tensor SqueezeDims(bool[] mask)
    {
        var keep = Enumerable.Range(0, Dim).Where(d => !mask[d]).ToArray();
        return AsStrided(keep.Select(d => _shape[d]).ToArray(), keep.Select(d => _strides[d]).ToArray(), StorageOffset);
    }

    private Tensor ReduceNonEmpty(ReduceKind k, string op)
    {
        if (Numel == 0)
            throw new ArgumentException($"{op}: cannot perform reduction function on a tensor with no elements (shape {Shapes.Format(_shape)}) because the operation does not have an identity; specify a dim.");
        return Reduce(k, AllDims(), false, op);
    }

    internal Tensor Reduce(ReduceKind k, int[] dims, bool keepdim, string op)
    {
        RequireCpu(op);
        var mask = DimMask(dims, op);
        if (k is ReduceKind.Max or ReduceKind.Min)
            for (int d = 0; d < Dim; d++)
                if (mask[d] && _shape[d] == 0)
                    throw new ArgumentException($"{op}: expected reduction dim {d} to have non-zero size (input shape {Shapes.Format(_shape)}).");
        var dt = DType;
        if (dt == DType.Bool && k is ReduceKind.Max or ReduceKind.Min) dt = DType.Int32;
        if (!dt.IsFloatingPoint() && k is ReduceKind.Sum or ReduceKind.Prod) dt = DType.Int64;
        var x = To(dt);
        var keptShape = Enumerable.Range(0, Dim).Where(d => !mask[d]).Select(d => _shape[d]).ToArray();
        var r = new Tensor(keptShape, dt, Device);
        switch (dt)
        {
            case DType.Float32: ReduceT(k, x, mask, r.Data<float>()); break;
            case DType.Float64: ReduceT(k, x, mask, r.Data<double>()); break;
            case DType.Int64: ReduceT(k, x, mask, r.Data<long>()); break;
            default: ReduceT(k, x, mask, r.Data<int>()); break;
        }
        if (DType == DType.Bool && k is ReduceKind.Max or ReduceKind.Min) r = r.To(DType.Bool);
        if (!keepdim) return r;
        var full = Enumerable.Range(0, Dim).Select(d => mask[d] ? 1 : _shape[d]).ToArray();
        return r.View(full);
    }

    private static void ReduceT<T>(ReduceKind k, Tensor x, bool[] mask, T[] dst) where T : unmanaged, System.Numerics.INumber<T>
    {
        var src = x.Data<T>();
        switch (k)
        {
            case ReduceKind.Sum: Reduction.Run<T, SumReduce<T>>(src, x.StorageOffset, x._shape, x._strides, mask, dst); break;
            case ReduceKind.Prod: Reduction.Run<T, ProdReduce<T>>(src, x.StorageOffset, x._shape, x._strides, mask, dst); break;
            case ReduceKind.Max: Reduction.Run<T, MaxReduce<T>>(src, x.StorageOffset, x._shape, x._strides, mask, dst); break;
            default: Reduction.Run<T, MinReduce<T>>(src, x.StorageOffset, x._shape, x._strides, mask, dst); break;
        }
    }

    private ValuesIndices ArgExtreme(int dim, bool keepdim, bool max, string op)
    {
        RequireCpu(op);
        var x = Dim == 0 ? Reshape(1) : this;
        int d = Shapes.NormDim(dim, x.Dim, op);
        if (x._shape[d] == 0)
            throw new ArgumentException($"{op}: expected reduction dim {d} to have non-zero size (input shape {Shapes.Format(_shape)}).");
        var dt = x.DType == DType.Bool ? DType.Int32 : x.DType;
        // Move the reduced dim last and make rows contiguous.
        var perm = Enumerable.Range(0, x.Dim).Where(i => i != d).Append(d).ToArray();
        var rows = x.To(dt).Permute(perm).Contiguous();
        int len = x._shape[d], n = rows.Numel / len;
        var keptShape = x._shape.Where((_, i) => i != d).ToArray();
        var values = new Tensor(keptShape, dt, Device);
        var indices = new Tensor((int[])keptShape.Clone(), DType.Int64, Device);
        var idx = indices.Data<long>();
        switch (dt)
        {
            case DType.Float32: ArgReduce.Rows(rows.Data<float>(), rows.StorageOffset, n, len, max, values.Data<float>(), idx); break;
            case DType.Float64: ArgReduce.Rows(rows.Data<double>(), rows.StorageOffset, n, len, max, values.Data<double>(), idx); break;
            case DType.Int64: ArgReduce.Rows(rows.Data<long>(), rows.StorageOffset, n, len, max, values.Data<long>(), idx); break;
            default: ArgReduce.Rows(rows.Data<int>(), rows.StorageOffset, n, len, max, values.Data<int>(), idx); break;
        }
        if (x.DType == DType.Bool) values = values.To(DType.Bool);
        if (Dim == 0) return new(values.Reshape(), indices.Reshape());
        if (keepdim) return new(values.Unsqueeze(d), indices.Unsqueeze(d));
        return new(values, indices);
    }
}
