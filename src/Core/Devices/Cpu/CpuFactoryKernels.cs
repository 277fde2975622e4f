namespace Trace;

/// <summary>The CPU's fill kernels: span fills and the generator's fills over the host array, as the factories ran them inline.</summary>
internal sealed class CpuFactoryKernels : IFactoryKernels
{
    public void Fill(Tensor dst, double value)
    {
        switch (dst.DType)
        {
            case DType.Float32: Elements<float>(dst).Fill((float)value); break;
            case DType.Float64: Elements<double>(dst).Fill(value); break;
            case DType.Int64: Elements<long>(dst).Fill((long)value); break;
            case DType.Int32: Elements<int>(dst).Fill((int)value); break;
            default: Elements<bool>(dst).Fill(value != 0); break;
        }
    }

    public void Arange(Tensor dst, long start, long step)
    {
        var d = Elements<long>(dst);
        for (int i = 0; i < d.Length; i++) d[i] = start + i * step;
    }

    public void Arange(Tensor dst, double start, double step)
    {
        switch (dst.DType)
        {
            case DType.Float32: { var d = Elements<float>(dst); for (int i = 0; i < d.Length; i++) d[i] = (float)(start + i * step); break; }
            case DType.Float64: { var d = Elements<double>(dst); for (int i = 0; i < d.Length; i++) d[i] = start + i * step; break; }
            case DType.Int64: { var d = Elements<long>(dst); for (int i = 0; i < d.Length; i++) d[i] = (long)(start + i * step); break; }
            case DType.Int32: { var d = Elements<int>(dst); for (int i = 0; i < d.Length; i++) d[i] = (int)(start + i * step); break; }
            default: { var d = Elements<bool>(dst); for (int i = 0; i < d.Length; i++) d[i] = start + i * step != 0; break; }
        }
    }

    public void Uniform(Tensor dst, Generator generator)
    {
        if (dst.DType == DType.Float32) generator.FillUniform(Elements<float>(dst));
        else generator.FillUniform(Elements<double>(dst));
    }

    public void Normal(Tensor dst, Generator generator)
    {
        if (dst.DType == DType.Float32) generator.FillNormal(Elements<float>(dst));
        else generator.FillNormal(Elements<double>(dst));
    }

    public void Randint(Tensor dst, Generator generator, long low, long high) => generator.FillInt(Elements<long>(dst), low, high);

    /// <summary>The elements of the contiguous <paramref name="t"/>.</summary>
    private static Span<T> Elements<T>(Tensor t) where T : unmanaged => t.Data<T>().AsSpan(t.StorageOffset, t.Numel);
}
