using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA sort and scan kernels (<see cref="GpuSortScan"/>): cumsum and stable sort one thread per row (an insertion
/// sort, O(len²) per row at worst; see there). Multinomial reads the weights back to the host, draws there with the
/// CPU's kernel from the same generator and uploads the indices (a read that waits for queued work): its checks need
/// the data, and the draws then equal the CPU's for a seed.
/// </summary>
internal sealed class CudaSortScanKernels : ISortScanKernels
{
    public void Cumsum(Tensor rows, Tensor r, int n, int len)
    {
        var p = new GpuSortArgs { Rows = n, Len = len };
        var gpu = CudaViews.Gpu(r);
        switch (r.DType)
        {
            case DType.Float32: GpuSortScan.Cumsum(gpu, CudaViews.Run<float>(rows), CudaViews.Run<float>(r), p); break;
            case DType.Float64: GpuSortScan.Cumsum(gpu, CudaViews.Run<double>(rows), CudaViews.Run<double>(r), p); break;
            case DType.Int64: GpuSortScan.Cumsum(gpu, CudaViews.Run<long>(rows), CudaViews.Run<long>(r), p); break;
            default: GpuSortScan.Cumsum(gpu, CudaViews.Run<int>(rows), CudaViews.Run<int>(r), p); break;
        }
    }

    public void Sort(Tensor rows, Tensor values, Tensor indices, int n, int len, bool descending)
    {
        var p = new GpuSortArgs { Rows = n, Len = len, Descending = descending ? 1 : 0 };
        var (gpu, ix) = (CudaViews.Gpu(values), CudaViews.Run<long>(indices));
        switch (rows.DType)
        {
            case DType.Float32: GpuSortScan.Sort(gpu, CudaViews.Run<float>(rows), CudaViews.Run<float>(values), ix, p); break;
            case DType.Float64: GpuSortScan.Sort(gpu, CudaViews.Run<double>(rows), CudaViews.Run<double>(values), ix, p); break;
            case DType.Int64: GpuSortScan.Sort(gpu, CudaViews.Run<long>(rows), CudaViews.Run<long>(values), ix, p); break;
            default: GpuSortScan.Sort(gpu, CudaViews.Run<int>(rows), CudaViews.Run<int>(values), ix, p); break;
        }
    }

    public void Multinomial(Tensor rows, Tensor r, int n, int len, int samples, bool replacement, Generator generator, string op)
    {
        var copy = CudaKernels.Instance.Copy;
        var hostRows = new Tensor((int[])rows._shape.Clone(), DType.Float64, Device.Cpu, op: op);
        copy.CopyToHost<double>(rows, hostRows.Data<double>());
        var hostR = new Tensor((int[])r._shape.Clone(), DType.Int64, Device.Cpu, op: op);
        try
        {
            CpuKernels.Instance.SortScan.Multinomial(hostRows, hostR, n, len, samples, replacement, generator, op);
            copy.CopyFromHost<long>(hostR.Data<long>(), r);
        }
        finally
        {
            hostRows.Storage.Dispose();
            hostR.Storage.Dispose();
        }
    }
}
