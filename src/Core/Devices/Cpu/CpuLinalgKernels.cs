using Trace.Kernels;

namespace Trace;

/// <summary>The CPU's matrix products: the packed SGEMM/DGEMM and exact integer GEMM of Trace.Kernels, as the ops called them inline.</summary>
internal sealed class CpuLinalgKernels : ILinalgKernels
{
    public void BatchedGemm(Tensor a, Tensor b, Tensor r, int nb, int m, int n, int k, string op)
    {
        var dt = r.DType;
        var batch = r._shape[..nb];
        // Collapse the batch dims of a, b and r into as few strided dims as possible.
        var (dims, st) = StridedLoop.Coalesce(batch, [a._strides[..nb], b._strides[..nb], r._strides[..nb]]);
        int inner = dims.Length == 0 ? 1 : dims[^1];
        int[] innerSt = dims.Length == 0 ? [0, 0, 0] : [st[0][^1], st[1][^1], st[2][^1]];
        int outer = 1;
        for (int i = 0; i < dims.Length - 1; i++) outer *= dims[i];
        var idx = new int[Math.Max(dims.Length - 1, 0)];
        for (int o = 0; o < outer; o++)
        {
            int ao = a.StorageOffset, bo = b.StorageOffset, ro = r.StorageOffset, rem = o;
            for (int d = idx.Length - 1; d >= 0; d--)
            {
                int i = rem % dims[d];
                rem /= dims[d];
                ao += i * st[0][d]; bo += i * st[1][d]; ro += i * st[2][d];
            }
            if (dt == DType.Int64)
                IntegerBatch(inner, m, n, k, a.Data<long>(), ao, innerSt[0], a._strides[nb], a._strides[nb + 1],
                    b.Data<long>(), bo, innerSt[1], b._strides[nb], b._strides[nb + 1], r.Data<long>(), ro, innerSt[2]);
            else if (dt == DType.Int32)
                IntegerBatch(inner, m, n, k, a.Data<int>(), ao, innerSt[0], a._strides[nb], a._strides[nb + 1],
                    b.Data<int>(), bo, innerSt[1], b._strides[nb], b._strides[nb + 1], r.Data<int>(), ro, innerSt[2]);
            else if (dt == DType.Float32)
                Kernels.Gemm.SgemmBatched(inner, m, n, k, 1f, a.Data<float>().AsSpan(ao), innerSt[0], a._strides[nb], a._strides[nb + 1],
                    b.Data<float>().AsSpan(bo), innerSt[1], b._strides[nb], b._strides[nb + 1], 0f, r.Data<float>().AsSpan(ro), innerSt[2], n);
            else
                Kernels.Gemm.DgemmBatched(inner, m, n, k, 1.0, a.Data<double>().AsSpan(ao), innerSt[0], a._strides[nb], a._strides[nb + 1],
                    b.Data<double>().AsSpan(bo), innerSt[1], b._strides[nb], b._strides[nb + 1], 0.0, r.Data<double>().AsSpan(ro), innerSt[2], n);
        }
    }

    /// <summary>
    /// <paramref name="batch"/> exact integer products (<see cref="IntegerGemm"/>), problem i's operands at i times
    /// their batch strides from the given offsets, its m×n output contiguous at <paramref name="ro"/> + i·<paramref name="rBatch"/>.
    /// </summary>
    private static void IntegerBatch<T>(int batch, int m, int n, int k, T[] a, int ao, int aBatch, int ars, int acs,
        T[] b, int bo, int bBatch, int brs, int bcs, T[] r, int ro, int rBatch) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        for (int i = 0; i < batch; i++)
            IntegerGemm.Run<T>(m, n, k, a.AsSpan(ao + i * aBatch), ars, acs, b.AsSpan(bo + i * bBatch), brs, bcs,
                r.AsSpan(ro + i * rBatch), n, accumulate: false);
    }

    public void Gemm(Tensor a, Tensor b, Tensor r, int m, int n, int k, float beta, GemmEpilogue epilogue, string op)
    {
        if (a.DType == DType.Float32)
            Kernels.Gemm.Sgemm(m, n, k, 1f, a.Data<float>().AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
                b.Data<float>().AsSpan(b.StorageOffset), b._strides[0], b._strides[1], beta, r.Data<float>().AsSpan(r.StorageOffset), n, epilogue);
        else if (a.DType == DType.Float64)
            Kernels.Gemm.Dgemm(m, n, k, 1.0, a.Data<double>().AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
                b.Data<double>().AsSpan(b.StorageOffset), b._strides[0], b._strides[1], beta, r.Data<double>().AsSpan(r.StorageOffset), n, epilogue);
        else if (a.DType == DType.Int64)
            IntegerGemm2D(a.Data<long>(), a, b.Data<long>(), b, r.Data<long>().AsSpan(r.StorageOffset, m * n), m, n, k, beta != 0, epilogue);
        else
            IntegerGemm2D(a.Data<int>(), a, b.Data<int>(), b, r.Data<int>().AsSpan(r.StorageOffset, m * n), m, n, k, beta != 0, epilogue);
    }

    private static void IntegerGemm2D<T>(T[] ad, Tensor a, T[] bd, Tensor b, Span<T> rd, int m, int n, int k, bool accumulate,
        GemmEpilogue epilogue) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        IntegerGemm.Run<T>(m, n, k, ad.AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
            bd.AsSpan(b.StorageOffset), b._strides[0], b._strides[1], rd, n, accumulate);
        if (epilogue is GemmEpilogue.Gelu or GemmEpilogue.GeluTanh)
            throw new NotSupportedException($"GEMM: the GELU epilogue needs a floating dtype, not {typeof(T).Name} products.");
        if (epilogue == GemmEpilogue.Relu)
            for (int i = 0; i < m * n; i++) if (rd[i] < T.Zero) rd[i] = T.Zero;
    }
}
