using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA reductions over dims (<see cref="GpuReduce"/>: one thread per output element, deterministic). Arg-reductions
/// (max/min with indices) have no CUDA kernel yet.
/// </summary>
internal sealed class CudaReductionKernels : IReductionKernels
{
    public void Reduce(ReduceKind k, Tensor x, bool[] mask, Tensor r)
    {
        string op = k switch { ReduceKind.Sum => "aten::sum", ReduceKind.Prod => "aten::prod", ReduceKind.Max => "aten::amax", _ => "aten::amin" };
        var keptShape = new List<int>();
        var keptStrides = new List<int>();
        var redShape = new List<int>();
        var redStrides = new List<int>();
        for (int d = 0; d < x.Dim; d++)
        {
            if (mask[d]) { redShape.Add(x._shape[d]); redStrides.Add(x._strides[d]); }
            else { keptShape.Add(x._shape[d]); keptStrides.Add(x._strides[d]); }
        }
        var kept = GpuLayout.Create(keptShape.ToArray(), [Shapes.ContiguousStrides(keptShape.ToArray()), keptStrides.ToArray()], [r.StorageOffset, x.StorageOffset], op, out _);
        var reduced = GpuLayout.Create(redShape.ToArray(), [new int[redShape.Count], redStrides.ToArray()], [0, 0], op, out _);
        int n = keptShape.Aggregate(1, (p, s) => p * s);
        int len = redShape.Aggregate(1, (p, s) => p * s);
        var gpu = CudaViews.Gpu(r);
        switch (r.DType, k)
        {
            case (DType.Float32, ReduceKind.Sum): GpuReduce.Run<float, double, SumF32>(gpu, CudaViews.Of<float>(r), CudaViews.Of<float>(x), kept, reduced, n, len); return;
            case (DType.Float32, ReduceKind.Prod): GpuReduce.Run<float, double, ProdF32>(gpu, CudaViews.Of<float>(r), CudaViews.Of<float>(x), kept, reduced, n, len); return;
            case (DType.Float32, ReduceKind.Max): GpuReduce.Run<float, float, MaxF32>(gpu, CudaViews.Of<float>(r), CudaViews.Of<float>(x), kept, reduced, n, len); return;
            case (DType.Float32, _): GpuReduce.Run<float, float, MinF32>(gpu, CudaViews.Of<float>(r), CudaViews.Of<float>(x), kept, reduced, n, len); return;
            case (DType.Float64, ReduceKind.Sum): GpuReduce.Run<double, double, SumF64>(gpu, CudaViews.Of<double>(r), CudaViews.Of<double>(x), kept, reduced, n, len); return;
            case (DType.Float64, ReduceKind.Prod): GpuReduce.Run<double, double, ProdF64>(gpu, CudaViews.Of<double>(r), CudaViews.Of<double>(x), kept, reduced, n, len); return;
            case (DType.Float64, ReduceKind.Max): GpuReduce.Run<double, double, MaxF64>(gpu, CudaViews.Of<double>(r), CudaViews.Of<double>(x), kept, reduced, n, len); return;
            case (DType.Float64, _): GpuReduce.Run<double, double, MinF64>(gpu, CudaViews.Of<double>(r), CudaViews.Of<double>(x), kept, reduced, n, len); return;
            case (DType.Int64, ReduceKind.Sum): GpuReduce.Run<long, long, SumI64>(gpu, CudaViews.Of<long>(r), CudaViews.Of<long>(x), kept, reduced, n, len); return;
            case (DType.Int64, ReduceKind.Prod): GpuReduce.Run<long, long, ProdI64>(gpu, CudaViews.Of<long>(r), CudaViews.Of<long>(x), kept, reduced, n, len); return;
            case (DType.Int64, ReduceKind.Max): GpuReduce.Run<long, long, MaxI64>(gpu, CudaViews.Of<long>(r), CudaViews.Of<long>(x), kept, reduced, n, len); return;
            case (DType.Int64, _): GpuReduce.Run<long, long, MinI64>(gpu, CudaViews.Of<long>(r), CudaViews.Of<long>(x), kept, reduced, n, len); return;
            case (DType.Int32, ReduceKind.Max): GpuReduce.Run<int, int, MaxI32>(gpu, CudaViews.Of<int>(r), CudaViews.Of<int>(x), kept, reduced, n, len); return;
            case (DType.Int32, ReduceKind.Min): GpuReduce.Run<int, int, MinI32>(gpu, CudaViews.Of<int>(r), CudaViews.Of<int>(x), kept, reduced, n, len); return;
            default: throw new InvalidOperationException($"{op}: no CUDA reduction for {r.DType.TorchName()} (the op reduces integers in int64).");
        }
    }

    public void ArgReduce(Tensor rows, int n, int len, bool max, Tensor values, Tensor indices) => throw CudaViews.NoKernel(max ? "aten::max" : "aten::min");
}
