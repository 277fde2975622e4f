using Trace.Kernels;

namespace Trace;

/// <summary>The CPU's copy kernels: strided, broadcasting, converting copies between host arrays, and span copies to and from the host.</summary>
internal sealed class CpuCopyKernels : ICopyKernels
{
    public void Copy(Tensor dst, Tensor src)
    {
        int[][] st = [dst._strides, Shapes.BroadcastStrides(src, dst._shape)];
        int[] off = [dst.StorageOffset, src.StorageOffset];
        var shape = dst._shape;
        switch (dst.DType, src.DType)
        {
            case (DType.Float32, DType.Float32): StridedLoop.Run(shape, st, off, new CopyRows<float>(dst.Data<float>(), src.Data<float>())); return;
            case (DType.Float64, DType.Float64): StridedLoop.Run(shape, st, off, new CopyRows<double>(dst.Data<double>(), src.Data<double>())); return;
            case (DType.Int64, DType.Int64): StridedLoop.Run(shape, st, off, new CopyRows<long>(dst.Data<long>(), src.Data<long>())); return;
            case (DType.Int32, DType.Int32): StridedLoop.Run(shape, st, off, new CopyRows<int>(dst.Data<int>(), src.Data<int>())); return;
            case (DType.Bool, DType.Bool): StridedLoop.Run(shape, st, off, new CopyRows<bool>(dst.Data<bool>(), src.Data<bool>())); return;
        }
        switch (src.DType)
        {
            case DType.Float32: ConvertFrom(dst, src.Data<float>(), shape, st, off); return;
            case DType.Float64: ConvertFrom(dst, src.Data<double>(), shape, st, off); return;
            case DType.Int64: ConvertFrom(dst, src.Data<long>(), shape, st, off); return;
            case DType.Int32: ConvertFrom(dst, src.Data<int>(), shape, st, off); return;
        }
        var b = src.Data<bool>();
        switch (dst.DType)
        {
            case DType.Float32: StridedLoop.Run(shape, st, off, new FromBoolRows<float>(dst.Data<float>(), b)); return;
            case DType.Float64: StridedLoop.Run(shape, st, off, new FromBoolRows<double>(dst.Data<double>(), b)); return;
            case DType.Int64: StridedLoop.Run(shape, st, off, new FromBoolRows<long>(dst.Data<long>(), b)); return;
            default: StridedLoop.Run(shape, st, off, new FromBoolRows<int>(dst.Data<int>(), b)); return;
        }
    }

    public void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged =>
        src.Data<T>().AsSpan(src.StorageOffset, dst.Length).CopyTo(dst);

    public void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged =>
        src.CopyTo(dst.Data<T>().AsSpan(dst.StorageOffset, src.Length));

    private static void ConvertFrom<TSrc>(Tensor dst, TSrc[] s, int[] shape, int[][] st, int[] off)
        where TSrc : unmanaged, System.Numerics.INumberBase<TSrc>
    {
        switch (dst.DType)
        {
            case DType.Float32: StridedLoop.Run(shape, st, off, new ConvertRows<TSrc, float>(dst.Data<float>(), s)); return;
            case DType.Float64: StridedLoop.Run(shape, st, off, new ConvertRows<TSrc, double>(dst.Data<double>(), s)); return;
            case DType.Int64: StridedLoop.Run(shape, st, off, new ConvertRows<TSrc, long>(dst.Data<long>(), s)); return;
            case DType.Int32: StridedLoop.Run(shape, st, off, new ConvertRows<TSrc, int>(dst.Data<int>(), s)); return;
            default: StridedLoop.Run(shape, st, off, new ToBoolRows<TSrc>(dst.Data<bool>(), s)); return;
        }
    }
}
