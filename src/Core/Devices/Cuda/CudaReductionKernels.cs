using ILGPU;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA reductions (<see cref="GpuReduce"/>: a group per output or coalesced columns over a dim, deterministic
/// two-pass full reductions, max/min with indices). The input is viewed as (outer, reduced, inner) when its reduced dims
/// form one run that collapses to a single stride with the kept dims on either side doing the same; other layouts are
/// first permuted (kept dims, then reduced dims) into a contiguous copy.
/// </summary>
internal sealed class CudaReductionKernels : IReductionKernels
{
    public void Reduce(ReduceKind k, Tensor x, bool[] mask, Tensor r)
    {
        string op = k switch { ReduceKind.Sum => "aten::sum", ReduceKind.Prod => "aten::prod", ReduceKind.Max => "aten::amax", _ => "aten::amin" };
        var kind = k switch { ReduceKind.Sum => GpuReduceKind.Sum, ReduceKind.Prod => GpuReduceKind.Prod, ReduceKind.Max => GpuReduceKind.Max, _ => GpuReduceKind.Min };
        var (v, copy) = View(x, mask);
        try
        {
            switch (r.DType)
            {
                case DType.Float32: Run<float>(kind, v, r, op); break;
                case DType.Float64: Run<double>(kind, v, r, op); break;
                case DType.Int64: Run<long>(kind, v, r, op); break;
                case DType.Int32: Run<int>(kind, v, r, op); break;
                default: throw new InvalidOperationException($"{op}: no CUDA reduction for {r.DType.TorchName()} (the op reduces integers in int64).");
            }
        }
        finally
        {
            copy?.Storage.Dispose();
        }
    }

    private static void Run<T>(GpuReduceKind kind, in (Tensor X, GpuReduceArgs P) v, Tensor r, string op) where T : unmanaged
    {
        var gpu = CudaViews.Gpu(r);
        var p = v.P with { YOffset = r.StorageOffset };
        if (p.Outer * p.Inner == 1)
            GpuReduce.Full(gpu, CudaViews.Of<T>(v.X), CudaViews.Of<T>(r), p.Reduce, p.XOffset, p.XReduceStride, r.StorageOffset, kind, op);
        else
            GpuReduce.Dim(gpu, CudaViews.Of<T>(v.X), CudaViews.Of<T>(r), p, kind, op);
    }

    /// <summary>
    /// The (outer, reduced, inner) view of <paramref name="x"/> for the reduction over the dims set in <paramref name="mask"/>,
    /// over x itself or over a contiguous permuted copy (returned, for the caller to free).
    /// </summary>
    private static ((Tensor X, GpuReduceArgs P) View, Tensor? Copy) View(Tensor x, bool[] mask)
    {
        // Size-1 dims change nothing: drop them, then look for one run of reduced dims.
        var dims = Enumerable.Range(0, x.Dim).Where(d => x._shape[d] != 1).ToArray();
        int first = Array.FindIndex(dims, d => mask[d]), last = Array.FindLastIndex(dims, d => mask[d]);
        bool oneRun = first < 0 || dims[first..(last + 1)].All(d => mask[d]);
        if (oneRun && first >= 0
            && CudaViews.Collapse(x, dims[..first]) is (int outer, int outerStride)
            && CudaViews.Collapse(x, dims[first..(last + 1)]) is (int reduce, int reduceStride)
            && CudaViews.Collapse(x, dims[(last + 1)..]) is (int inner, int innerStride))
            return ((x, new GpuReduceArgs
            {
                Outer = outer, Reduce = reduce, Inner = inner, XOffset = x.StorageOffset,
                XOuterStride = outerStride, XReduceStride = reduceStride, XInnerStride = innerStride,
            }), null);
        if (first < 0)
        {
            // Nothing of size > 1 is reduced: every output reduces one element.
            int n = x.Numel;
            var c = x.IsContiguous ? x : x.Contiguous();
            return ((c, new GpuReduceArgs { Outer = n, Reduce = 1, Inner = 1, XOffset = c.StorageOffset, XOuterStride = 1, XReduceStride = 1, XInnerStride = 1 }),
                ReferenceEquals(c, x) ? null : c);
        }
        var order = Enumerable.Range(0, x.Dim).Where(d => !mask[d]).Concat(Enumerable.Range(0, x.Dim).Where(d => mask[d])).ToArray();
        var copy = x.Permute(order).Contiguous();
        int len = Enumerable.Range(0, x.Dim).Where(d => mask[d]).Aggregate(1, (p, d) => p * x._shape[d]);
        int kept = len == 0 ? Enumerable.Range(0, x.Dim).Where(d => !mask[d]).Aggregate(1, (p, d) => p * x._shape[d]) : x.Numel / len;
        return ((copy, GpuReduceArgs.Dense(kept, len, 1) with { XOffset = copy.StorageOffset }), copy);
    }

    public void ArgReduce(Tensor rows, int n, int len, bool max, Tensor values, Tensor indices)
    {
        string op = max ? "aten::max" : "aten::min";
        var p = GpuReduceArgs.Dense(n, len, 1) with { XOffset = rows.StorageOffset, Max = max ? 1 : 0 };
        var gpu = CudaViews.Gpu(rows);
        var iv = CudaViews.Run<long>(indices);
        switch (rows.DType)
        {
            case DType.Float32: GpuReduce.Arg(gpu, CudaViews.Of<float>(rows), CudaViews.Run<float>(values), iv, p, op); break;
            case DType.Float64: GpuReduce.Arg(gpu, CudaViews.Of<double>(rows), CudaViews.Run<double>(values), iv, p, op); break;
            case DType.Int64: GpuReduce.Arg(gpu, CudaViews.Of<long>(rows), CudaViews.Run<long>(values), iv, p, op); break;
            case DType.Int32: GpuReduce.Arg(gpu, CudaViews.Of<int>(rows), CudaViews.Run<int>(values), iv, p, op); break;
            default: throw new NotSupportedException($"{op}: no CUDA kernel for {rows.DType.TorchName()} values; convert to an integer or floating dtype first.");
        }
    }
}
