using System.Runtime.InteropServices;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// Host↔device copies of whole tensors: the source is made contiguous on its own device first (the strided copy
/// kernel on the GPU), then one dense run is copied through the device's page-locked staging buffers
/// (<see cref="GpuStaging"/>, in chunks). An upload returns once queued; a copy to the host waits for the kernels
/// queued before it.
/// Raw: no autograd, not seen by observers (<see cref="Tensor.To(Device)"/> records the op).
/// </summary>
internal static class CudaTransfer
{
    /// <summary>A copy of <paramref name="src"/> on <paramref name="device"/> (cpu or cuda:0; src on the other one).</summary>
    public static Tensor Move(Tensor src, Device device) =>
        device.Type == DeviceType.Cpu ? ToCpu(src) : src.Device.Type == DeviceType.Cpu ? ToCuda(src, device)
        : throw new NotSupportedException($"aten::to: moving a tensor from {src.Device} to {device} is not supported (Trace drives one CUDA device).");

    /// <summary>A contiguous CUDA copy of the CPU tensor <paramref name="src"/>.</summary>
    public static Tensor ToCuda(Tensor src, Device device)
    {
        using var _ = Autograd.NoGrad();
        using var __ = Dispatch.Internal();
        var c = src.IsContiguous ? src : src.Contiguous();
        var r = new Tensor((int[])src._shape.Clone(), src.DType, device, op: "aten::to");
        var gpu = CudaViews.Gpu(r);
        int n = c.Numel, o = c.StorageOffset;
        switch (src.DType)
        {
            case DType.Float32: GpuCopy.FromHost<float>(gpu, c.Data<float>().AsSpan(o, n), CudaViews.Of<float>(r).SubView(0, n)); break;
            case DType.Float64: GpuCopy.FromHost<double>(gpu, c.Data<double>().AsSpan(o, n), CudaViews.Of<double>(r).SubView(0, n)); break;
            case DType.Int64: GpuCopy.FromHost<long>(gpu, c.Data<long>().AsSpan(o, n), CudaViews.Of<long>(r).SubView(0, n)); break;
            case DType.Int32: GpuCopy.FromHost<int>(gpu, c.Data<int>().AsSpan(o, n), CudaViews.Of<int>(r).SubView(0, n)); break;
            default: GpuCopy.FromHost<byte>(gpu, MemoryMarshal.Cast<bool, byte>(c.Data<bool>().AsSpan(o, n)), CudaViews.Of<byte>(r).SubView(0, n)); break;
        }
        return r;
    }

    /// <summary>A contiguous CPU copy of the CUDA tensor <paramref name="src"/>, after the kernels queued before.</summary>
    public static Tensor ToCpu(Tensor src)
    {
        using var _ = Autograd.NoGrad();
        using var __ = Dispatch.Internal();
        var c = src.IsContiguous ? src : src.Contiguous();
        try
        {
            var r = new Tensor((int[])src._shape.Clone(), src.DType, Device.Cpu, op: "aten::to");
            var gpu = CudaViews.Gpu(c);
            int n = c.Numel, o = c.StorageOffset;
            switch (src.DType)
            {
                case DType.Float32: GpuCopy.ToHost(gpu, CudaViews.Of<float>(c).SubView(o, n), r.Data<float>().AsSpan(0, n)); break;
                case DType.Float64: GpuCopy.ToHost(gpu, CudaViews.Of<double>(c).SubView(o, n), r.Data<double>().AsSpan(0, n)); break;
                case DType.Int64: GpuCopy.ToHost(gpu, CudaViews.Of<long>(c).SubView(o, n), r.Data<long>().AsSpan(0, n)); break;
                case DType.Int32: GpuCopy.ToHost(gpu, CudaViews.Of<int>(c).SubView(o, n), r.Data<int>().AsSpan(0, n)); break;
                default: GpuCopy.ToHost(gpu, CudaViews.Of<byte>(c).SubView(o, n), MemoryMarshal.Cast<bool, byte>(r.Data<bool>().AsSpan(0, n))); break;
            }
            return r;
        }
        finally
        {
            // The contiguous temporary's device memory goes back to the cache now, not at the end of a scope.
            if (!ReferenceEquals(c, src)) c.Storage.Dispose();
        }
    }
}
