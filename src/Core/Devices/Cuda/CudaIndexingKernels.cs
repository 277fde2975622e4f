using ILGPU;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA indexing kernels (<see cref="GpuIndexing"/>): gather and index_select one thread per output element, their
/// backwards as deterministic scatter-adds (no atomics: each destination element adds its contributions in index order).
/// The indexed tensor is viewed as (outer, dim, inner) with one stride each, over a contiguous copy when its layout does
/// not collapse so. Indices are read back to the host and checked before launch (a read that waits for the queued
/// work), so a bad index is the CPU's error naming the op, never a device fault.
/// </summary>
internal sealed class CudaIndexingKernels : IIndexingKernels
{
    public void Gather(Tensor src, int dim, Tensor index, Tensor r, string op)
    {
        var (s, d) = src.Dim == 0 ? (src.AsStrided([1], [1], src.StorageOffset), 0) : (src, dim);
        CheckedIndices(index, s._shape[d], d, op, "out of bounds");
        // The source over the index's extent off dim: the kernel walks (outer, dim, inner) of the index's sizes.
        var shape = index.Dim == 0 ? [1] : (int[])index._shape.Clone();
        shape[d] = s._shape[d];
        var (view, copy) = Collapsed(s.AsStrided(shape, s._strides, s.StorageOffset), d);
        try
        {
            var p = view.P with { IndexDim = index.Dim == 0 ? 1 : index._shape[d] };
            Dispatch(src.DType, op, new Pick(view.X, index, r, p, op, Select: false));
        }
        finally
        {
            copy?.Storage.Dispose();
        }
    }

    public void IndexSelect(Tensor src, int dim, Tensor index, Tensor r, string op)
    {
        CheckedIndices(index, src._shape[dim], dim, op, "out of range");
        var (view, copy) = Collapsed(src, dim);
        try
        {
            Dispatch(src.DType, op, new Pick(view.X, index, r, view.P with { IndexDim = index.Numel }, op, Select: true));
        }
        finally
        {
            copy?.Storage.Dispose();
        }
    }

    public void ScatterAdd(Tensor r, int dim, Tensor index, Tensor src, string op)
    {
        NoBool(r, op);
        ScatterInto(r, dim, index, src, op, add: true);
    }

    public void Scatter(Tensor r, int dim, Tensor index, Tensor src, string op) => ScatterInto(r, dim, index, src, op, add: false);

    private static void ScatterInto(Tensor r, int dim, Tensor index, Tensor src, string op, bool add)
    {
        var (t, d) = r.Dim == 0 ? (r.AsStrided([1], [1], r.StorageOffset), 0) : (r, dim);
        CheckedIndices(index, t._shape[d], d, op, "out of bounds");
        var shape = index.Dim == 0 ? [1] : (int[])index._shape.Clone();
        shape[d] = t._shape[d];
        var target = t.AsStrided(shape, t._strides, t.StorageOffset);
        var (view, copy) = Collapsed(target, d);
        var p = view.P with { IndexDim = index.Dim == 0 ? 1 : index._shape[d] };
        try
        {
            Dispatch(r.DType, op, new ScatterLaunch(view.X, index, src, p, op, add));
            // A target that did not collapse was added into a contiguous copy: write it back.
            if (copy is not null) CudaKernels.Instance.Copy.Copy(target, copy);
        }
        finally
        {
            copy?.Storage.Dispose();
        }
    }

    public void IndexAdd(Tensor r, int dim, Tensor index, Tensor src, string op)
    {
        NoBool(r, op);
        var host = CheckedIndices(index, r._shape[dim], dim, op, "out of range");
        int outer = 1, inner = 1;
        for (int k = 0; k < dim; k++) outer *= r._shape[k];
        for (int k = dim + 1; k < r.Dim; k++) inner *= r._shape[k];
        var p = GpuIndexArgs.Dense(outer, index.Numel, inner, r._shape[dim]) with { Offset = r.StorageOffset };
        var gpu = CudaViews.Gpu(r);
        switch (r.DType)
        {
            case DType.Float32: GpuIndexing.IndexAdd(gpu, CudaViews.Of<float>(r), host, CudaViews.Run<float>(src), p, dim, op); break;
            case DType.Float64: GpuIndexing.IndexAdd(gpu, CudaViews.Of<double>(r), host, CudaViews.Run<double>(src), p, dim, op); break;
            case DType.Int64: GpuIndexing.IndexAdd(gpu, CudaViews.Of<long>(r), host, CudaViews.Run<long>(src), p, dim, op); break;
            default: GpuIndexing.IndexAdd(gpu, CudaViews.Of<int>(r), host, CudaViews.Run<int>(src), p, dim, op); break;
        }
    }

    /// <summary>The index's values on the host, each checked against the indexed dim's size with the CPU's message.</summary>
    private static long[] CheckedIndices(Tensor index, int size, int dim, string op, string what)
    {
        var host = new long[index.Numel];
        CudaKernels.Instance.Copy.CopyToHost<long>(index, host);
        foreach (long v in host)
            if ((ulong)v >= (ulong)size)
                throw new ArgumentOutOfRangeException("index", $"{op}: index {v} is {what} for dimension {dim} with size {size}.");
        return host;
    }

    private static void NoBool(Tensor r, string op)
    {
        if (r.DType == DType.Bool) throw new ArgumentException($"{op}: adding is not defined for dtype torch.bool; expected a numeric tensor.");
    }

    /// <summary>
    /// <paramref name="t"/> as (outer, dim, inner) around <paramref name="dim"/> with one stride each — over a contiguous
    /// copy (returned, for the caller to free) when its dims before or after do not collapse.
    /// </summary>
    private static ((Tensor X, GpuIndexArgs P) View, Tensor? Copy) Collapsed(Tensor t, int dim)
    {
        var before = Enumerable.Range(0, dim).ToArray();
        var after = Enumerable.Range(dim + 1, t.Dim - dim - 1).ToArray();
        if (CudaViews.Collapse(t, before) is (int outer, int outerStride) && CudaViews.Collapse(t, after) is (int inner, int innerStride))
            return ((t, new GpuIndexArgs
            {
                Outer = outer, Inner = inner, Dim = t._shape[dim], Offset = t.StorageOffset,
                OuterStride = outerStride, DimStride = t._strides[dim], InnerStride = innerStride,
            }), null);
        var c = t.Contiguous();
        var dense = Collapsed(c, dim).View;
        return (dense, c);
    }

    private interface ILaunch
    {
        void Run<T>() where T : unmanaged;
    }

    /// <summary>Runs <paramref name="launch"/> for the element type of <paramref name="dtype"/> (bool as bytes).</summary>
    private static void Dispatch(DType dtype, string op, ILaunch launch)
    {
        switch (dtype)
        {
            case DType.Float32: launch.Run<float>(); break;
            case DType.Float64: launch.Run<double>(); break;
            case DType.Int64: launch.Run<long>(); break;
            case DType.Int32: launch.Run<int>(); break;
            case DType.Bool: launch.Run<byte>(); break;
            default: throw new NotSupportedException($"{op}: no CUDA kernel for {dtype.TorchName()}.");
        }
    }

    private sealed record Pick(Tensor Src, Tensor Index, Tensor R, GpuIndexArgs P, string Op, bool Select) : ILaunch
    {
        public void Run<T>() where T : unmanaged
        {
            var (gpu, s, i, r) = (CudaViews.Gpu(R), CudaViews.Of<T>(Src), CudaViews.Run<long>(Index), CudaViews.Run<T>(R));
            if (Select) GpuIndexing.IndexSelect(gpu, s, i, r, P, Op);
            else GpuIndexing.Gather(gpu, s, i, r, P, Op);
        }
    }

    private sealed record ScatterLaunch(Tensor R, Tensor Index, Tensor Src, GpuIndexArgs P, string Op, bool Add) : ILaunch
    {
        public void Run<T>() where T : unmanaged
        {
            if (Add) GpuIndexing.ScatterAdd(CudaViews.Gpu(R), CudaViews.Of<T>(R), CudaViews.Run<long>(Index), CudaViews.Run<T>(Src), P, Op);
            else GpuScatter.Scatter(CudaViews.Gpu(R), CudaViews.Of<T>(R), CudaViews.Run<long>(Index), CudaViews.Run<T>(Src), P, Op);
        }
    }
}
