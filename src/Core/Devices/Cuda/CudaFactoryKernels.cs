using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA factory fills. Fill, uniform and normal are GPU kernels — the random ones Philox4x32-10
/// (<see cref="GpuRandom"/>) keyed by the generator's seed at its next device offset, so values depend on (seed, draw,
/// element) only, never on the launch shape (and differ from the CPU's stream, as in PyTorch). Arange and randint are
/// computed by the CPU's kernels into a host buffer and uploaded (randint so that its integers stay unbiased).
/// </summary>
internal sealed class CudaFactoryKernels : IFactoryKernels
{
    public void Fill(Tensor dst, double value)
    {
        var gpu = CudaViews.Gpu(dst);
        int n = dst.Numel, o = dst.StorageOffset;
        switch (dst.DType)
        {
            case DType.Float32: GpuCopy.Fill(gpu, CudaViews.Of<float>(dst).SubView(o, n), (float)value); break;
            case DType.Float64: GpuCopy.Fill(gpu, CudaViews.Of<double>(dst).SubView(o, n), value); break;
            case DType.Int64: GpuCopy.Fill(gpu, CudaViews.Of<long>(dst).SubView(o, n), (long)value); break;
            case DType.Int32: GpuCopy.Fill(gpu, CudaViews.Of<int>(dst).SubView(o, n), (int)value); break;
            default: GpuCopy.Fill(gpu, CudaViews.Of<byte>(dst).SubView(o, n), value != 0 ? (byte)1 : (byte)0); break;
        }
    }

    public void Arange(Tensor dst, long start, long step) => OnHost(dst, h => CpuKernels.Instance.Factory.Arange(h, start, step));

    public void Arange(Tensor dst, double start, double step) => OnHost(dst, h => CpuKernels.Instance.Factory.Arange(h, start, step));

    public void Uniform(Tensor dst, Generator generator) => Random(dst, generator, 0, 1, normal: false);

    public void Normal(Tensor dst, Generator generator) => Random(dst, generator, 0, 1, normal: true);

    private static void Random(Tensor dst, Generator generator, double a, double b, bool normal)
    {
        var p = GpuRandomArgs.Create(dst.Numel, generator.InitialSeed, generator.NextDeviceOffset(), a, b) with { YOffset = dst.StorageOffset };
        var gpu = CudaViews.Gpu(dst);
        switch (dst.DType, normal)
        {
            case (DType.Float32, false): GpuRandom.Uniform(gpu, CudaViews.Of<float>(dst), p); break;
            case (DType.Float32, true): GpuRandom.Normal(gpu, CudaViews.Of<float>(dst), p); break;
            case (DType.Float64, false): GpuRandom.Uniform(gpu, CudaViews.Of<double>(dst), p); break;
            case (DType.Float64, true): GpuRandom.Normal(gpu, CudaViews.Of<double>(dst), p); break;
            default: throw new NotSupportedException($"{(normal ? "aten::randn" : "aten::rand")}: no CUDA kernel for {dst.DType.TorchName()}; random fills are floating.");
        }
    }

    public void Randint(Tensor dst, Generator generator, long low, long high) => OnHost(dst, h => CpuKernels.Instance.Factory.Randint(h, generator, low, high));

    /// <summary>Fills a host tensor of <paramref name="dst"/>'s shape with <paramref name="fill"/> and uploads it into <paramref name="dst"/>.</summary>
    private static void OnHost(Tensor dst, Action<Tensor> fill)
    {
        var h = new Tensor((int[])dst._shape.Clone(), dst.DType, Device.Cpu, op: "aten::empty");
        fill(h);
        var copy = CudaKernels.Instance.Copy;
        switch (dst.DType)
        {
            case DType.Float32: copy.CopyFromHost<float>(h.Data<float>(), dst); break;
            case DType.Float64: copy.CopyFromHost<double>(h.Data<double>(), dst); break;
            case DType.Int64: copy.CopyFromHost<long>(h.Data<long>(), dst); break;
            case DType.Int32: copy.CopyFromHost<int>(h.Data<int>(), dst); break;
            default: copy.CopyFromHost<bool>(h.Data<bool>(), dst); break;
        }
        h.Storage.Dispose();
    }
}
