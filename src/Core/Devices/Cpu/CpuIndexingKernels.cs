using System.Numerics;
using System.Numerics.Tensors;

namespace Trace;

/// <summary>The CPU's indexing kernels over host arrays: gather, index_select (block copies) and their scatter-adds.</summary>
internal sealed class CpuIndexingKernels(ICopyKernels copy) : IIndexingKernels
{
    public void Gather(Tensor src, int dim, Tensor index, Tensor r, string op)
    {
        var iv = Indices(index);
        switch (src.DType)
        {
            case DType.Float32: GatherT(src, src.Data<float>(), dim, index._shape, iv, r.Data<float>(), op); break;
            case DType.Float64: GatherT(src, src.Data<double>(), dim, index._shape, iv, r.Data<double>(), op); break;
            case DType.Int64: GatherT(src, src.Data<long>(), dim, index._shape, iv, r.Data<long>(), op); break;
            case DType.Int32: GatherT(src, src.Data<int>(), dim, index._shape, iv, r.Data<int>(), op); break;
            default: GatherT(src, src.Data<bool>(), dim, index._shape, iv, r.Data<bool>(), op); break;
        }
    }

    private static void GatherT<T>(Tensor src, T[] s, int d, int[] outShape, ReadOnlySpan<long> index, T[] dst, string op) where T : unmanaged
    {
        var (shape, strides) = (src._shape, src._strides);
        int rank = shape.Length, size = rank == 0 ? 1 : shape[d];
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];
        for (int i = 0; i < index.Length; i++)
        {
            long v = index[i];
            if ((ulong)v >= (ulong)size) throw OutOfRange(v, d, size, op, "out of bounds");
            int off = src.StorageOffset;
            for (int k = 0; k < rank; k++) off += (k == d ? (int)v : pos[k]) * strides[k];
            dst[i] = s[off];
            for (int k = rank - 1; k >= 0 && ++pos[k] == outShape[k]; k--) pos[k] = 0;
        }
    }

    public void ScatterAdd(Tensor r, int dim, Tensor index, Tensor src, string op)
    {
        var iv = Indices(index);
        switch (r.DType)
        {
            case DType.Float32: ScatterAddT(r, r.Data<float>(), dim, index._shape, iv, Elements<float>(src), op); break;
            case DType.Float64: ScatterAddT(r, r.Data<double>(), dim, index._shape, iv, Elements<double>(src), op); break;
            case DType.Int64: ScatterAddT(r, r.Data<long>(), dim, index._shape, iv, Elements<long>(src), op); break;
            case DType.Int32: ScatterAddT(r, r.Data<int>(), dim, index._shape, iv, Elements<int>(src), op); break;
            default: throw NoBoolAdd(op);
        }
    }

    private static void ScatterAddT<T>(Tensor r, T[] dst, int d, int[] indexShape, ReadOnlySpan<long> index, ReadOnlySpan<T> src, string op)
        where T : unmanaged, INumber<T>
    {
        int rank = indexShape.Length, size = rank == 0 ? 1 : r._shape[d];
        var strides = r._strides;
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];
        for (int i = 0; i < index.Length; i++)
        {
            long v = index[i];
            if ((ulong)v >= (ulong)size) throw OutOfRange(v, d, size, op, "out of bounds");
            int off = r.StorageOffset;
            for (int k = 0; k < rank; k++) off += (k == d ? (int)v : pos[k]) * strides[k];
            dst[off] += src[i];
            for (int k = rank - 1; k >= 0 && ++pos[k] == indexShape[k]; k--) pos[k] = 0;
        }
    }

    public void Scatter(Tensor r, int dim, Tensor index, Tensor src, string op)
    {
        var iv = Indices(index);
        switch (r.DType)
        {
            case DType.Float32: ScatterT(r, r.Data<float>(), dim, index._shape, iv, Elements<float>(src), op); break;
            case DType.Float64: ScatterT(r, r.Data<double>(), dim, index._shape, iv, Elements<double>(src), op); break;
            case DType.Int64: ScatterT(r, r.Data<long>(), dim, index._shape, iv, Elements<long>(src), op); break;
            case DType.Int32: ScatterT(r, r.Data<int>(), dim, index._shape, iv, Elements<int>(src), op); break;
            default: ScatterT(r, r.Data<bool>(), dim, index._shape, iv, Elements<bool>(src), op); break;
        }
    }

    private static void ScatterT<T>(Tensor r, T[] dst, int d, int[] indexShape, ReadOnlySpan<long> index, ReadOnlySpan<T> src, string op) where T : unmanaged
    {
        int rank = indexShape.Length, size = rank == 0 ? 1 : r._shape[d];
        var strides = r._strides;
        Span<int> pos = stackalloc int[Math.Max(rank, 1)];
        for (int i = 0; i < index.Length; i++)
        {
            long v = index[i];
            if ((ulong)v >= (ulong)size) throw OutOfRange(v, d, size, op, "out of bounds");
            int off = r.StorageOffset;
            for (int k = 0; k < rank; k++) off += (k == d ? (int)v : pos[k]) * strides[k];
            dst[off] = src[i];
            for (int k = rank - 1; k >= 0 && ++pos[k] == indexShape[k]; k--) pos[k] = 0;
        }
    }

    public void IndexSelect(Tensor src, int dim, Tensor index, Tensor r, string op)
    {
        var iv = Indices(index);
        int size = src._shape[dim];
        foreach (long v in iv)
            if ((ulong)v >= (ulong)size) throw OutOfRange(v, dim, size, op, "out of range");
        if (!src.IsContiguous)
        {
            // One strided copy per picked slice.
            for (int i = 0; i < iv.Length; i++) copy.Copy(SliceOf(r, dim, i), SliceOf(src, dim, (int)iv[i]));
            return;
        }
        // Blocks of `inner` contiguous elements: one span copy per (outer, index) pair.
        var (outer, inner) = Blocks(r._shape, dim);
        switch (src.DType)
        {
            case DType.Float32: CopyBlocks(src.Data<float>(), src.StorageOffset, r.Data<float>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Float64: CopyBlocks(src.Data<double>(), src.StorageOffset, r.Data<double>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Int64: CopyBlocks(src.Data<long>(), src.StorageOffset, r.Data<long>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Int32: CopyBlocks(src.Data<int>(), src.StorageOffset, r.Data<int>(), r.StorageOffset, outer, inner, size, iv); break;
            default: CopyBlocks(src.Data<bool>(), src.StorageOffset, r.Data<bool>(), r.StorageOffset, outer, inner, size, iv); break;
        }
    }

    private static void CopyBlocks<T>(T[] src, int srcOffset, T[] dst, int dstOffset, int outer, int inner, int size, ReadOnlySpan<long> index)
        where T : unmanaged
    {
        int n = index.Length;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < n; i++)
                src.AsSpan(srcOffset + (o * size + (int)index[i]) * inner, inner).CopyTo(dst.AsSpan(dstOffset + (o * n + i) * inner, inner));
    }

    public void IndexAdd(Tensor r, int dim, Tensor index, Tensor src, string op)
    {
        var iv = Indices(index);
        int size = r._shape[dim];
        foreach (long v in iv)
            if ((ulong)v >= (ulong)size) throw OutOfRange(v, dim, size, op, "out of range");
        var (outer, inner) = Blocks(r._shape, dim);
        switch (r.DType)
        {
            case DType.Float32: AddBlocks(Elements<float>(src), r.Data<float>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Float64: AddBlocks(Elements<double>(src), r.Data<double>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Int64: AddBlocks(Elements<long>(src), r.Data<long>(), r.StorageOffset, outer, inner, size, iv); break;
            case DType.Int32: AddBlocks(Elements<int>(src), r.Data<int>(), r.StorageOffset, outer, inner, size, iv); break;
            default: throw NoBoolAdd(op);
        }
    }

    /// <summary>Adds block (o, i) of <paramref name="src"/> to block (o, index[i]) of <paramref name="dst"/>, i in order.</summary>
    private static void AddBlocks<T>(ReadOnlySpan<T> src, T[] dst, int dstOffset, int outer, int inner, int size, ReadOnlySpan<long> index)
        where T : unmanaged, INumber<T>
    {
        int n = index.Length;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < n; i++)
            {
                var block = dst.AsSpan(dstOffset + (o * size + (int)index[i]) * inner, inner);
                TensorPrimitives.Add(block, src.Slice((o * n + i) * inner, inner), block);
            }
    }

    /// <summary>The element counts before and after <paramref name="dim"/> of a contiguous tensor of <paramref name="shape"/>.</summary>
    private static (int Outer, int Inner) Blocks(int[] shape, int dim)
    {
        int outer = 1, inner = 1;
        for (int k = 0; k < dim; k++) outer *= shape[k];
        for (int k = dim + 1; k < shape.Length; k++) inner *= shape[k];
        return (outer, inner);
    }

    /// <summary>Slice <paramref name="i"/> of <paramref name="t"/> along <paramref name="dim"/> (a view without that dim).</summary>
    private static Tensor SliceOf(Tensor t, int dim, int i) =>
        new(t.Storage, [.. t._shape[..dim], .. t._shape[(dim + 1)..]], [.. t._strides[..dim], .. t._strides[(dim + 1)..]],
            t.StorageOffset + i * t._strides[dim]);

    private static ArgumentOutOfRangeException OutOfRange(long v, int dim, int size, string op, string what) =>
        new("index", $"{op}: index {v} is {what} for dimension {dim} with size {size}.");

    private static ArgumentException NoBoolAdd(string op) => new($"{op}: adding is not defined for dtype torch.bool; expected a numeric tensor.");

    /// <summary>The int64 elements of the contiguous <paramref name="index"/>.</summary>
    private static ReadOnlySpan<long> Indices(Tensor index) => Elements<long>(index);

    private static ReadOnlySpan<T> Elements<T>(Tensor t) where T : unmanaged => t.Data<T>().AsSpan(t.StorageOffset, t.Numel);
}
