namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// A copy with <paramref name="src"/>'s values written at the positions <paramref name="index"/> names along
    /// <paramref name="dim"/>: out[index[i][j]][j] = src[i][j] for dim 0 (and so on), as <c>torch.scatter</c>. The int64
    /// index has this tensor's rank and fits both it (off dim) and src; a repeated index keeps the last value. Gradients as
    /// PyTorch's: this tensor's is the output's with the written positions zeroed, src's is the output's gathered.
    /// </summary>
    public Tensor Scatter(int dim, Tensor index, Tensor src) => ScatterOp("aten::scatter", dim, index, src, add: false);

    /// <summary><see cref="Scatter(int, Tensor, Tensor)"/> writing one <paramref name="value"/> at every indexed position.</summary>
    public Tensor Scatter(int dim, Tensor index, double value) => ScatterOp("aten::scatter", dim, index, WrapScalar(value, ScalarKind.Floating), add: false);

    /// <summary>
    /// A copy with <paramref name="src"/>'s values added at the positions <paramref name="index"/> names along
    /// <paramref name="dim"/> (repeated indices accumulate, in order), as <c>torch.scatter_add</c>.
    /// </summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => ScatterOp("aten::scatter_add", dim, index, src, add: true);

    /// <summary>In-place <see cref="Scatter(int, Tensor, Tensor)"/> (on tensors autograd does not track, as every in-place op).</summary>
    public Tensor Scatter_(int dim, Tensor index, Tensor src) => Copy_(Scatter(dim, index, src));

    /// <summary>In-place <see cref="Scatter(int, Tensor, double)"/>.</summary>
    public Tensor Scatter_(int dim, Tensor index, double value) => Copy_(Scatter(dim, index, value));

    /// <summary>In-place <see cref="ScatterAdd(int, Tensor, Tensor)"/>.</summary>
    public Tensor ScatterAdd_(int dim, Tensor index, Tensor src) => Copy_(ScatterAdd(dim, index, src));

    private Tensor ScatterOp(string op, int dim, Tensor index, Tensor src, bool add)
    {
        var kernels = DeviceKernels.For(Device, op).Indexing;
        int d = Shapes.NormDim(dim, Math.Max(Dim, 1), op);
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected index of dtype torch.int64, got {index.DType.TorchName()}.");
        ElementwiseDispatch.SameDevice(this, index, op);
        bool value = src.IsWrappedNumber;
        if (!value)
        {
            ElementwiseDispatch.SameDevice(this, src, op);
            if (src.DType != DType)
                throw new ArgumentException($"{op}: expected self and src to have the same dtype, got {DType.TorchName()} and {src.DType.TorchName()}.");
            if (src.Dim != index.Dim)
                throw new ArgumentException($"{op}: index tensor must have the same number of dimensions as src tensor ({index.Dim} != {src.Dim}; shapes {Shapes.Format(index._shape)} and {Shapes.Format(src._shape)}).");
            for (int i = 0; i < index.Dim; i++)
                if (index._shape[i] > src._shape[i])
                    throw new ArgumentException($"{op}: size of index {Shapes.Format(index._shape)} exceeds src {Shapes.Format(src._shape)} at dimension {i}.");
        }
        if (Dim > 0 || index.Dim > 0) CheckIndexFits(_shape, d, index, op);
        if (add && DType == DType.Bool) throw new ArgumentException($"{op}: adding is not defined for dtype torch.bool; expected a numeric tensor.");
        Tensor Compute()
        {
            var r = Contiguous() is var c && ReferenceEquals(c, this) ? Clone() : c;
            var s = value ? Full(index._shape, src.Item(), DType, Device) : NarrowTo(src, index._shape).Contiguous();
            var ix = index.Contiguous();
            if (add) kernels.ScatterAdd(r, d, ix, s, op);
            else kernels.Scatter(r, d, ix, s, op);
            return r;
        }
        var srcShape = src._shape;
        Func<Tensor, Tensor>? srcRule = value ? null : g => GrowTo(g.Gather(d, index), srcShape);
        Func<Tensor, Tensor> selfRule = add ? g => g : g => g.Scatter(d, index, 0.0);
        return Dispatch.Record(new OpCall(op, d), Compute, [this, index, src], [selfRule, null, srcRule]);
    }

    /// <summary>
    /// A copy with the slices of <paramref name="source"/> times <paramref name="alpha"/> added to the slices along
    /// <paramref name="dim"/> that the 1-D integer <paramref name="index"/> names (repeated indices accumulate), as
    /// <c>torch.index_add</c>; source has this shape except index.Numel along dim.
    /// </summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source, double alpha = 1)
    {
        const string op = "aten::index_add";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        if (Dim == 0) throw new ArgumentException($"{op}: expected an input of at least one dimension, got shape {Shapes.Format(_shape)}.");
        int d = Shapes.NormDim(dim, Dim, op);
        CheckSelectIndex(index, op);
        ElementwiseDispatch.SameDevice(this, index, op);
        ElementwiseDispatch.SameDevice(this, source, op);
        if (source.DType != DType)
            throw new ArgumentException($"{op}: expected self and source to have the same dtype, got {DType.TorchName()} and {source.DType.TorchName()}.");
        var expected = (int[])_shape.Clone();
        expected[d] = index.Numel;
        if (!source._shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException($"{op}: source of shape {Shapes.Format(source._shape)} must have the input's shape {Shapes.Format(_shape)} except dimension {d}, which must be the index's length {index.Numel} (expected {Shapes.Format(expected)}).");
        if (DType == DType.Bool) throw new ArgumentException($"{op}: adding is not defined for dtype torch.bool; expected a numeric tensor.");
        Tensor Compute()
        {
            var r = Contiguous() is var c && ReferenceEquals(c, this) ? Clone() : c;
            var s = alpha == 1 ? source.Contiguous() : source.Mul(alpha).Contiguous();
            kernels.IndexAdd(r, d, Int64Index(index), s, op);
            return r;
        }
        return Dispatch.Record(new OpCall(op, d, alpha), Compute, [this, index, source], [g => g, null, g => alpha == 1 ? g.IndexSelect(d, index) : g.IndexSelect(d, index).Mul(alpha)]);
    }

    /// <summary>In-place <see cref="IndexAdd(int, Tensor, Tensor, double)"/>.</summary>
    public Tensor IndexAdd_(int dim, Tensor index, Tensor source, double alpha = 1) => Copy_(IndexAdd(dim, index, source, alpha));

    /// <summary>The leading <paramref name="shape"/> corner of <paramref name="t"/> (a view).</summary>
    private static Tensor NarrowTo(Tensor t, int[] shape)
    {
        for (int i = 0; i < shape.Length; i++)
            if (t._shape[i] != shape[i]) t = t.Narrow(i, 0, shape[i]);
        return t;
    }

    /// <summary><paramref name="t"/> zero-extended at the end of each dim to <paramref name="shape"/> (a gradient for a larger src).</summary>
    private static Tensor GrowTo(Tensor t, int[] shape)
    {
        for (int i = 0; i < shape.Length; i++)
            if (t._shape[i] != shape[i])
            {
                var extra = (int[])t._shape.Clone();
                extra[i] = shape[i] - t._shape[i];
                t = Cat([t, Zeros(extra, t.DType, t.Device)], i);
            }
        return t;
    }
}
