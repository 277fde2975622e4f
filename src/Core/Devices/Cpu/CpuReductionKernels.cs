using Trace.Kernels;

namespace Trace;

/// <summary>The CPU's reduction kernels over host arrays.</summary>
internal sealed class CpuReductionKernels : IReductionKernels
{
    public void Reduce(ReduceKind k, Tensor x, bool[] mask, Tensor r)
    {
        switch (r.DType)
        {
            case DType.Float32: ReduceT(k, x, mask, r.Data<float>()); break;
            case DType.Float64: ReduceT(k, x, mask, r.Data<double>()); break;
            case DType.Int64: ReduceT(k, x, mask, r.Data<long>()); break;
            default: ReduceT(k, x, mask, r.Data<int>()); break;
        }
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

    public void ArgReduce(Tensor rows, int n, int len, bool max, Tensor values, Tensor indices)
    {
        var idx = indices.Data<long>();
        switch (rows.DType)
        {
            case DType.Float32: Kernels.ArgReduce.Rows(rows.Data<float>(), rows.StorageOffset, n, len, max, values.Data<float>(), idx); break;
            case DType.Float64: Kernels.ArgReduce.Rows(rows.Data<double>(), rows.StorageOffset, n, len, max, values.Data<double>(), idx); break;
            case DType.Int64: Kernels.ArgReduce.Rows(rows.Data<long>(), rows.StorageOffset, n, len, max, values.Data<long>(), idx); break;
            default: Kernels.ArgReduce.Rows(rows.Data<int>(), rows.StorageOffset, n, len, max, values.Data<int>(), idx); break;
        }
    }
}
