namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Gathers values along <paramref name="dim"/>: out[i][j] = self[index[i][j]][j] for dim 0 (and so on).
    /// <paramref name="index"/> is int64 with the same rank; its sizes may not exceed self's off <paramref name="dim"/>.
    /// </summary>
    public Tensor Gather(int dim, Tensor index)
    {
        const string op = "aten::gather";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        int d = Shapes.NormDim(dim, Dim, op);
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected index of dtype torch.int64, got {index.DType.TorchName()}.");
        CheckIndexFits(_shape, d, index, op);
        ElementwiseDispatch.SameDevice(this, index, op);
        return Dispatch.Record(new OpCall(op, d), () =>
        {
            var r = new Tensor((int[])index._shape.Clone(), DType, Device, op: op);
            kernels.Gather(this, d, index.Contiguous(), r, op);
            return r;
        }, [this, index], [g => g.GatherBackward(_shape, d, index), null]);
    }

    /// <summary>Checks that <paramref name="index"/> has the rank of <paramref name="shape"/> and fits it off <paramref name="d"/> (gather's rule).</summary>
    private static void CheckIndexFits(int[] shape, int d, Tensor index, string op)
    {
        if (index.Dim != shape.Length)
            throw new ArgumentException($"{op}: index tensor must have the same number of dimensions as input tensor ({index.Dim} != {shape.Length}; shapes {Shapes.Format(index._shape)} and {Shapes.Format(shape)}).");
        for (int i = 0; i < shape.Length; i++)
            if (i != d && index._shape[i] > shape[i])
                throw new ArgumentException($"{op}: size of index {Shapes.Format(index._shape)} does not fit input {Shapes.Format(shape)} at dimension {i} (except dimension {d}).");
    }

    /// <summary>Gradient of gather: zeros of the input shape with g added at the gathered positions (scatter-add).</summary>
    internal Tensor GatherBackward(int[] inputShape, int d, Tensor index)
    {
        const string op = "aten::gather_backward";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected index of dtype torch.int64, got {index.DType.TorchName()}.");
        if (!_shape.AsSpan().SequenceEqual(index._shape))
            throw new ArgumentException($"{op}: grad of shape {Shapes.Format(_shape)} does not match index of shape {Shapes.Format(index._shape)}.");
        d = Shapes.NormDim(d, inputShape.Length, op);
        CheckIndexFits(inputShape, d, index, op);
        ElementwiseDispatch.SameDevice(this, index, op);
        Tensor Compute()
        {
            var r = Zeros(inputShape, DType, Device);
            kernels.ScatterAdd(r, d, index.Contiguous(), Contiguous(), op);
            return r;
        }
        return Dispatch.Record(new OpCall(op, inputShape, d), Compute, [this, index], [gg => gg.Gather(d, index), null]);
    }

    /// <summary>Rows (slices along <paramref name="dim"/>) picked by a 1-D int64 index, in index order.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        const string op = "aten::index_select";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        int d = Shapes.NormDim(dim, Dim, op);
        CheckSelectIndex(index, op);
        ElementwiseDispatch.SameDevice(this, index, op);
        Tensor Compute()
        {
            var src = Dim == 0 ? AsStrided([1], [1], StorageOffset) : AsStrided(_shape, _strides, StorageOffset);   // an unrecorded, grad-free view
            var shape = (int[])src._shape.Clone();
            shape[d] = index.Numel;
            var r = new Tensor(shape, DType, Device, op: op);
            kernels.IndexSelect(src, d, Int64Index(index), r, op);
            return Dim == 0 ? r.AsStrided([], [], 0) : r;
        }
        return Dispatch.Record(new OpCall(op, d), Compute, [this, index], [g => g.IndexSelectBackward(_shape, d, index), null]);
    }

    /// <summary>index_select's index rule: a 0-D or 1-D integer tensor.</summary>
    private static void CheckSelectIndex(Tensor index, string op)
    {
        if (index.Dim > 1 || !index.DType.IsIntegral())
            throw new ArgumentException($"{op}: index must be a 1-D integer tensor, got shape {Shapes.Format(index._shape)} and dtype {index.DType.TorchName()}.");
    }

    /// <summary>An integer index as the contiguous 1-D int64 tensor the kernels read.</summary>
    private static Tensor Int64Index(Tensor index)
    {
        var i64 = index.DType == DType.Int64 ? index.Contiguous() : index.To(DType.Int64);
        return i64.AsStrided([i64.Numel], [1], i64.StorageOffset);
    }

    /// <summary>Gradient of index_select: zeros of the input shape with each gradient slice added at its index (index_add).</summary>
    internal Tensor IndexSelectBackward(int[] inputShape, int d, Tensor index)
    {
        const string op = "aten::index_select_backward";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        CheckSelectIndex(index, op);
        d = Shapes.NormDim(d, inputShape.Length, op);
        var expected = inputShape.Length == 0 ? [1] : (int[])inputShape.Clone();
        expected[d] = index.Numel;
        if (Numel != Shapes.Numel(expected, op) || (Dim != 0 && !_shape.AsSpan().SequenceEqual(expected)))
            throw new ArgumentException($"{op}: grad of shape {Shapes.Format(_shape)} does not match input {Shapes.Format(inputShape)} indexed by {index.Numel} indices along dimension {d}.");
        ElementwiseDispatch.SameDevice(this, index, op);
        Tensor Compute()
        {
            var r = Zeros(inputShape, DType, Device);
            var rv = inputShape.Length == 0 ? r.AsStrided([1], [1], 0) : r;
            var g = Contiguous();
            kernels.IndexAdd(rv, d, Int64Index(index), g.AsStrided(expected, Shapes.ContiguousStrides(expected), g.StorageOffset), op);
            return r;
        }
        return Dispatch.Record(new OpCall(op, inputShape, d), Compute, [this, index], [gg => gg.IndexSelect(d, index), null]);
    }

    /// <summary>Replaces elements where <paramref name="mask"/> (bool, broadcastable to this shape) is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        const string op = "aten::masked_fill";
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"{op}: expected mask of dtype torch.bool, got {mask.DType.TorchName()}.");
        var shape = Shapes.Broadcast(_shape, mask._shape, op);
        if (!shape.AsSpan().SequenceEqual(_shape))
            throw new ArgumentException($"{op}: mask of shape {Shapes.Format(mask._shape)} cannot be broadcast to input shape {Shapes.Format(_shape)}.");
        if (!IsFloatingPoint && value != Math.Floor(value))
            throw new ArgumentException($"{op}: value {value} cannot be converted to dtype {DType.TorchName()} without overflow or truncation.");
        return Dispatch.Record(new OpCall(op, value), () => ElementwiseDispatch.Where(mask, Scalar(value, DType), this, op), [this, mask], [g => g.MaskedFill(mask, 0), null]);
    }

    /// <summary>Lower triangle of the last two dims (elements with col - row &lt;= diagonal); the rest zeroed.</summary>
    public Tensor Tril(int diagonal = 0) => Triangle(diagonal, lower: true, "aten::tril");

    /// <summary>Upper triangle of the last two dims (elements with col - row &gt;= diagonal); the rest zeroed.</summary>
    public Tensor Triu(int diagonal = 0) => Triangle(diagonal, lower: false, "aten::triu");

    private Tensor Triangle(int diagonal, bool lower, string op)
    {
        if (Dim < 2)
            throw new ArgumentException($"{op}: input tensor must have at least 2 dimensions, got shape {Shapes.Format(_shape)}.");
        int rows = Size(-2), cols = Size(-1);
        var offset = Arange(0, cols, 1, Device).Unsqueeze(0).Sub(Arange(0, rows, 1, Device).Unsqueeze(1));
        var keep = lower ? offset.Le(diagonal) : offset.Ge(diagonal);
        return Where(keep, this, Scalar(0, DType));
    }
}
