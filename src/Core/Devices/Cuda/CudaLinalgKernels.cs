using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// Matrix products on the CUDA device: the ILGPU GEMM (<see cref="GpuGemm"/>, shared-memory tiles, strided operands read
/// in place, bias through beta, relu in the store) for float32 and float64. Integer products are an error naming the op
/// and dtype, as on PyTorch's CUDA device (the CPU table computes them exactly); bool is refused by the op on every device.
/// </summary>
internal sealed class CudaLinalgKernels : ILinalgKernels
{
    /// <inheritdoc/>
    public void Gemm(Tensor a, Tensor b, Tensor r, int m, int n, int k, float beta, Kernels.GemmEpilogue epilogue, string op)
    {
        Require(a, op);
        var p = new GpuGemmArgs
        {
            M = m, N = n, K = k, Alpha = 1, Beta = beta, Relu = epilogue == Kernels.GemmEpilogue.Relu ? 1 : 0,
            Gelu = epilogue switch { Kernels.GemmEpilogue.Gelu => 1, Kernels.GemmEpilogue.GeluTanh => 2, _ => 0 },
            AOffset = a.StorageOffset, ARowStride = a._strides[0], AColStride = a._strides[1],
            BOffset = b.StorageOffset, BRowStride = b._strides[0], BColStride = b._strides[1],
            COffset = r.StorageOffset, Ldc = r._strides[0],
        };
        if (a.DType == DType.Float64) GpuGemm.Run(CudaViews.Gpu(r), CudaViews.Of<double>(a), CudaViews.Of<double>(b), CudaViews.Of<double>(r), p, 1);
        else GpuGemm.Run(CudaViews.Gpu(r), CudaViews.Of<float>(a), CudaViews.Of<float>(b), CudaViews.Of<float>(r), p, 1);
    }

    /// <inheritdoc/>
    public void BatchedGemm(Tensor a, Tensor b, Tensor r, int batchDims, int m, int n, int k, string op)
    {
        Require(a, op);
        if (a.DType == DType.Float64) BatchedGemm<double>(a, b, r, batchDims, m, n, k);
        else BatchedGemm<float>(a, b, r, batchDims, m, n, k);
    }

    private static void BatchedGemm<T>(Tensor a, Tensor b, Tensor r, int batchDims, int m, int n, int k) where T : unmanaged
    {
        var batchShape = r._shape[..batchDims];
        int batch = batchShape.Aggregate(1, (x, y) => x * y);
        var (av, bv, rv, gpu) = (CudaViews.Of<T>(a), CudaViews.Of<T>(b), CudaViews.Of<T>(r), CudaViews.Gpu(r));
        var p = new GpuGemmArgs
        {
            M = m, N = n, K = k, Alpha = 1,
            ARowStride = a._strides[batchDims], AColStride = a._strides[batchDims + 1],
            BRowStride = b._strides[batchDims], BColStride = b._strides[batchDims + 1], Ldc = n,
        };
        // One launch when each operand's batch entries lie at one stride apart (the usual layouts); else one per entry.
        if (UniformStride(a, batchDims) is int sa && UniformStride(b, batchDims) is int sb)
        {
            GpuGemm.Run(gpu, av, bv, rv, p with { AOffset = a.StorageOffset, BOffset = b.StorageOffset, COffset = r.StorageOffset, ABatchStride = sa, BBatchStride = sb, CBatchStride = m * n }, batch);
            return;
        }
        for (int e = 0; e < batch; e++)
            GpuGemm.Run(gpu, av, bv, rv, p with { AOffset = Offset(a, batchShape, e), BOffset = Offset(b, batchShape, e), COffset = r.StorageOffset + e * m * n }, 1);
    }

    private static void Require(Tensor a, string op)
    {
        if (a.DType is not (DType.Float32 or DType.Float64))
            throw new NotSupportedException($"{op}: matrix products of {a.DType.TorchName()} tensors are not supported on {a.Device} " +
                "(float32 and float64 only, as PyTorch's CUDA matmul); the CPU computes integer products exactly: move the tensors with .Cpu().");
    }

    /// <summary>The stride between consecutive flattened batch entries of <paramref name="t"/>, when one stride reaches them all.</summary>
    private static int? UniformStride(Tensor t, int batchDims)
    {
        if (batchDims == 0) return 0;
        int stride = t._strides[batchDims - 1];
        for (int d = batchDims - 2; d >= 0; d--)
        {
            // Outer dims must continue the inner ones' progression (size-1 dims can have any stride).
            if (t._shape[d] == 1) continue;
            int inner = 1;
            for (int q = d + 1; q < batchDims; q++) inner *= t._shape[q];
            if (t._strides[d] != stride * inner) return null;
        }
        return stride;
    }

    private static int Offset(Tensor t, int[] batchShape, int entry)
    {
        int offset = t.StorageOffset;
        for (int d = batchShape.Length - 1; d >= 0; d--)
        {
            offset += entry % batchShape[d] * t._strides[d];
            entry /= batchShape[d];
        }
        return offset;
    }
}
