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
        RequireCpu(op);
        int d = Shapes.NormDim(dim, Dim, op);
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected index of dtype torch.int64, got {index.DType.TorchName()}.");
        if (index.Dim != Dim)
            throw new ArgumentException($"{op}: index tensor must have the same number of dimensions as input tensor ({index.Dim} != {Dim}; shapes {Shapes.Format(index._shape)} and {Shapes.Format(_shape)}).");
        for (int i = 0; i < Dim; i++)
            if (i != d && index._shape[i] > _shape[i])
                throw new ArgumentException($"{op}: size of index {Shapes.Format(index._shape)} does not fit input {Shapes.Format(_shape)} at dimension {i} (except dimension {d}).");
        return Dispatch.Record(new OpCall(op, d), () => GatherKernel(d, index, op), [this, index], [g => g.GatherBackward(_shape, d, index), null]);
    }

    private Tensor GatherKernel(int d, Tensor index, string op)
    {
        var r = new Tensor((int[])index._shape.Clone(), DType, Device, op: op);
        var idx = index.Contiguous();
        var iv = idx.Data<long>().AsSpan(idx.StorageOffset, idx.Numel);
        switch (DType)
        {
            case DType.Float32: GatherT(d, index._shape, iv, r.Data<float>(), Data<float>()); break;
            case DType.Float64: GatherT(d, index._shape, iv, r.Data<double>(), Data<double>()); break;
            case DType.Int64: GatherT(d, index._shape, iv, r.Data<long>(), Data<long>()); break;
            case DType.Int32: GatherT(d, index._shape, iv, r.Data<int>(), Data<int>()); break;
            default: GatherT(d, index._shape, iv, r.Data<bool>(), Data<bool>()); break;
        }
        return r;
    }

    /// <summary>Gradient of gather: zeros of the input shape with g added at the gathered positions (scatter-add).</summary>
    internal Tensor GatherBackward(int[] inputShape, int d, Tensor index)
    {
        Tensor Compute()
        {
            var r = Zeros(inputShape, DType, Device);
            var (g, idx) = (Contiguous(), index.Contiguous());
            var iv = idx.Data<long>().AsSpan(idx.StorageOffset, idx.Numel);
            if (DType == DType.Float32) ScatterAdd(r.Data<float>(), r._strides, g.Data<float>().AsSpan(g.StorageOffset), index._shape, iv, d);
            else ScatterAdd(r.Data<double>(), r._strides, g.Data<double>().AsSpan(g.StorageOffset), index._shape, iv, d);
            return r;
        }
        return Dispatch.Record(new OpCall("aten::gather_backward", inputShape, d), Compute, [this, index], [gg => gg.Gather(d, index), null]);
    }

    private static void ScatterAdd<T>(T[] dst, int[] strides, ReadOnlySpan<T> src, int[] indexShape, ReadOnlySpan<long> index, int d)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        Span<int> pos = stackalloc int[Math.Max(indexShape.Length, 1)];
        for (int i = 0; i < index.Length; i++)
        {
            int off = 0;
            for (int k = 0; k < indexShape.Length; k++) off += (k == d ? (int)index[i] : pos[k]) * strides[k];
            dst[off] += src[i];
            for (int k = indexShape.Length - 1; k >= 0 && ++pos[k] == indexShape[k]; k--) pos[k] = 0;
        }
    }

    private void GatherT<T>(int d, int[] outShape, ReadOnlySpan<long> index, T[] dst, T[] src) where T : unmanaged
    {
        var shape = _shape;
        int rank = Dim;
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];
        for (int i = 0; i < index.Length; i++)
        {
            long v = index[i];
            int size = rank == 0 ? 1 : shape[d];
            if (v < 0 || v >= size)
                throw new ArgumentOutOfRangeException(nameof(index), $"aten::gather: index {v} is out of bounds for dimension {d} with size {size}.");
            int off = StorageOffset;
            for (int k = 0; k < rank; k++) off += (k == d ? (int)v : pos[k]) * _strides[k];
            dst[i] = src[off];
            for (int k = rank - 1; k >= 0 && ++pos[k] == outShape[k]; k--) pos[k] = 0;
        }
    }

    /// <summary>Rows (slices along <paramref name="dim"/>) picked by a 1-D int64 index, in index order.</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        const string op = "aten::index_select";
        RequireCpu(op);
        int d = Shapes.NormDim(dim, Dim, op);
        if (index.Dim > 1 || !index.DType.IsIntegral())
            throw new ArgumentException($"{op}: index must be a 1-D integer tensor, got shape {Shapes.Format(index._shape)} and dtype {index.DType.TorchName()}.");
        long[] iv = null!;   // read by Compute, used by the backward
        Tensor Compute()
        {
            iv = index.ToArray<long>();
            var src = Dim == 0 ? AsStrided([1], [1], StorageOffset) : AsStrided(_shape, _strides, StorageOffset);   // an unrecorded, grad-free view
            int size = src._shape[d];
            foreach (long v in iv)
                if (v < 0 || v >= size)
                    throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v} is out of range for dimension {d} with size {size}.");
            var shape = (int[])src._shape.Clone();
            shape[d] = iv.Length;
            var r = new Tensor(shape, DType, Device, op: op);
            if (src.IsContiguous)
            {
                // Blocks of `inner` contiguous elements: one span copy per (outer, index) pair.
                int outer = 1, inner = 1;
                for (int k = 0; k < d; k++) outer *= shape[k];
                for (int k = d + 1; k < shape.Length; k++) inner *= shape[k];
                switch (DType)
                {
                    case DType.Float32: CopyBlocks(src.Data<float>(), src.StorageOffset, r.Data<float>(), outer, inner, size, iv); break;
                    case DType.Float64: CopyBlocks(src.Data<double>(), src.StorageOffset, r.Data<double>(), outer, inner, size, iv); break;
                    case DType.Int64: CopyBlocks(src.Data<long>(), src.StorageOffset, r.Data<long>(), outer, inner, size, iv); break;
                    case DType.Int32: CopyBlocks(src.Data<int>(), src.StorageOffset, r.Data<int>(), outer, inner, size, iv); break;
                    default: CopyBlocks(src.Data<bool>(), src.StorageOffset, r.Data<bool>(), outer, inner, size, iv); break;
                }
            }
            else
                for (int i = 0; i < iv.Length; i++) CopyStrided(r.Select(d, i), src.Select(d, (int)iv[i]), op);
            return Dim == 0 ? r.AsStrided([], [], 0) : r;
        }
        return Dispatch.Record(new OpCall(op, d), Compute, [this, index], [g => g.IndexSelectBackward(_shape, d, iv, index), null]);
    }

    private static void CopyBlocks<T>(T[] src, int srcOffset, T[] dst, int outer, int inner, int size, long[] index) where T : unmanaged
    {
        int n = index.Length;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < n; i++)
                src.AsSpan(srcOffset + (o * size + (int)index[i]) * inner, inner).CopyTo(dst.AsSpan((o * n + i) * inner, inner));
    }

    /// <summary>Gradient of index_select: zeros of the input shape with each gradient slice added at its index (index_add).</summary>
    internal Tensor IndexSelectBackward(int[] inputShape, int d, long[] iv, Tensor index)
    {
        Tensor Compute()
        {
            var r = Zeros(inputShape, DType, Device);
            var rv = Dim == 0 ? r.AsStrided([1], [1], 0) : r;
            var g = Dim == 0 ? AsStrided([1], [1], StorageOffset) : AsStrided(_shape, _strides, StorageOffset);
            for (int i = 0; i < iv.Length; i++)
            {
                var slot = rv.Select(d, (int)iv[i]);
                ElementwiseDispatch.Binary(BinaryKind.Add, slot, g.Select(d, i), "aten::index_select_backward", into: slot);
            }
            return r;
        }
        return Dispatch.Record(new OpCall("aten::index_select_backward", inputShape, d), Compute, [this, index], [gg => gg.IndexSelect(d, index), null]);
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
        var offset = Arange(cols).Unsqueeze(0).Sub(Arange(rows).Unsqueeze(1));
        var keep = lower ? offset.Le(diagonal) : offset.Ge(diagonal);
        return Where(keep, this, Scalar(0, DType));
    }
}
