using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA copy kernels: strided, broadcasting, converting copies between CUDA tensors (<see cref="GpuCopy"/>), and
/// host transfers of dense runs through the device's page-locked staging buffers (<see cref="GpuStaging"/>: an upload
/// returns once queued; a copy to the host waits for the kernels queued before it).
/// </summary>
internal sealed class CudaCopyKernels : ICopyKernels
{
    public void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(dst);
        GpuCopy.ToHost(CudaViews.Gpu(src), CudaViews.Bytes(src).SubView((long)src.StorageOffset * Unsafe.SizeOf<T>(), bytes.Length), bytes);
    }

    public void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(src);
        GpuCopy.FromHost(CudaViews.Gpu(dst), bytes, CudaViews.Bytes(dst).SubView((long)dst.StorageOffset * Unsafe.SizeOf<T>(), bytes.Length));
    }

    public void Copy(Tensor dst, Tensor src)
    {
        var l = CudaViews.Layout("aten::copy_", dst._shape, out bool dense, dst, src);
        var gpu = CudaViews.Gpu(dst);
        int n = dst.Numel;
        switch (src.DType)
        {
            case DType.Float32: From<float, F32>(gpu, dst, src, l, dense, n); return;
            case DType.Float64: From<double, F64>(gpu, dst, src, l, dense, n); return;
            case DType.Int64: From<long, I64>(gpu, dst, src, l, dense, n); return;
            case DType.Int32: From<int, I32>(gpu, dst, src, l, dense, n); return;
            default: From<byte, B8>(gpu, dst, src, l, dense, n); return;
        }
    }

    private static void From<TS, ES>(GpuDevice gpu, Tensor dst, Tensor src, GpuLayout l, bool dense, int n)
        where TS : unmanaged where ES : IGpuElement<TS>
    {
        var s = CudaViews.Of<TS>(src);
        switch (dst.DType)
        {
            case DType.Float32: GpuCopy.Copy<TS, float, ES, F32>(gpu, CudaViews.Of<float>(dst), s, l, dense, n); return;
            case DType.Float64: GpuCopy.Copy<TS, double, ES, F64>(gpu, CudaViews.Of<double>(dst), s, l, dense, n); return;
            case DType.Int64: GpuCopy.Copy<TS, long, ES, I64>(gpu, CudaViews.Of<long>(dst), s, l, dense, n); return;
            case DType.Int32: GpuCopy.Copy<TS, int, ES, I32>(gpu, CudaViews.Of<int>(dst), s, l, dense, n); return;
            default: GpuCopy.Copy<TS, byte, ES, B8>(gpu, CudaViews.Of<byte>(dst), s, l, dense, n); return;
        }
    }
}
