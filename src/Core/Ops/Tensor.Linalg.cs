using Trace.Kernels;

namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch semantics: dot for 1-D·1-D, matrix-vector, matrix-matrix, and batched
    /// with broadcasting of the batch dims (1-D operands get a dim prepended/appended, then removed).
    /// Transposed and other strided operands are read in place, without copies.
    /// </summary>
    public Tensor Matmul(Tensor other)
    {
        const string op = "aten::matmul";
        var (a, b) = (this, other);
        if (a.Dim == 0 || b.Dim == 0)
            throw new ArgumentException($"{op}: both arguments to matmul need to be at least 1D, but they are {a.Dim}D and {b.Dim}D (shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}).");
        CheckGemmDTypes(op, a, b); // before 1-D operands are reshaped, so errors show the caller's shapes
        bool va = a.Dim == 1, vb = b.Dim == 1;
        var a2 = va ? a.Unsqueeze(0) : a;
        var b2 = vb ? b.Unsqueeze(1) : b;
        int m = a2.Size(-2), k = a2.Size(-1), k2 = b2.Size(-2), n = b2.Size(-1);
        if (k != k2)
            throw new ArgumentException($"{op}: shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)} cannot be multiplied ({k} != {k2}).");
        var batchA = a2._shape[..^2];
        var batchB = b2._shape[..^2];
        var batch = Shapes.Broadcast(batchA, batchB, op);
        var r = Dispatch.Record(op, () => BatchedGemm(op, a2.Expand([.. batch, m, k]), b2.Expand([.. batch, k, n]), batch, m, n, k),
            a2, g => g.Matmul(b2.MT).SumTo(a2),
            b2, g => a2.MT.Matmul(g).SumTo(b2), a2, b2);
        if (va) r = r.Squeeze(-2);
        if (vb) r = r.Squeeze(-1);
        return r;
    }

    /// <summary>2-D matrix product (no broadcasting).</summary>
    public Tensor Mm(Tensor other)
    {
        if (Dim != 2 || other.Dim != 2)
            throw new ArgumentException($"aten::mm: expected 2-D tensors, got shapes {Shapes.Format(_shape)} and {Shapes.Format(other._shape)}.");
        return Matmul(other);
    }

    /// <summary>Batched 3-D matrix product with equal batch sizes (no broadcasting).</summary>
    public Tensor Bmm(Tensor other)
    {
        if (Dim != 3 || other.Dim != 3 || _shape[0] != other._shape[0])
            throw new ArgumentException($"aten::bmm: expected 3-D tensors with equal batch size, got shapes {Shapes.Format(_shape)} and {Shapes.Format(other._shape)}.");
        return Matmul(other);
    }

    /// <summary>
    /// y = x·Wᵀ + b with x of shape (..., in), W (out, in), b (out). W is read transposed in place and the
    /// bias is written into the output before the GEMM accumulates into it.
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) =>
        LinearOp("aten::linear", input, weight, bias, null, Kernels.GemmEpilogue.None);

    /// <summary>relu(linear(input, weight, bias)) with the relu applied by the GEMM to each strip of the output while it is in cache (the JIT's <c>trace::linear_relu</c>).</summary>
    internal static Tensor LinearRelu(Tensor input, Tensor weight, Tensor? bias) =>
        LinearOp("trace::linear_relu", input, weight, bias, null, Kernels.GemmEpilogue.Relu);

    /// <summary>linear(input, weight, bias) + residual with the residual written into the output before the GEMM accumulates (the JIT's <c>trace::linear_add</c>).</summary>
    internal static Tensor LinearAdd(Tensor input, Tensor weight, Tensor? bias, Tensor residual) =>
        LinearOp("trace::linear_add", input, weight, bias, residual, Kernels.GemmEpilogue.None);

    /// <summary>
    /// y = epilogue(x·Wᵀ + b [+ residual]): W is read transposed in place; the bias (and residual) are written into
    /// the output before the GEMM accumulates into it, and the epilogue runs inside the GEMM.
    /// </summary>
    private static Tensor LinearOp(string op, Tensor input, Tensor weight, Tensor? bias, Tensor? residual, Kernels.GemmEpilogue epilogue)
    {
        if (weight.Dim != 2)
            throw new ArgumentException($"{op}: weight must be 2-D (out_features, in_features), got shape {Shapes.Format(weight._shape)}.");
        if (input.Dim == 0 || input.Size(-1) != weight._shape[1])
            throw new ArgumentException($"{op}: input of shape {Shapes.Format(input._shape)} cannot be multiplied with weight of shape {Shapes.Format(weight._shape)} transposed ({(input.Dim == 0 ? 0 : input.Size(-1))} != {weight._shape[1]}).");
        if (bias is not null && (bias.Dim != 1 || bias._shape[0] != weight._shape[0]))
            throw new ArgumentException($"{op}: bias of shape {Shapes.Format(bias._shape)} does not match out_features {weight._shape[0]} of weight {Shapes.Format(weight._shape)}.");
        CheckGemmDTypes(op, input, weight);
        if (bias is not null && bias.DType != input.DType)
            throw new ArgumentException($"{op}: bias dtype {bias.DType.TorchName()} does not match input dtype {input.DType.TorchName()}.");
        int outF = weight._shape[0], inF = weight._shape[1];
        var outShape = input._shape.ToArray();
        outShape[^1] = outF;
        if (residual is not null && (!residual._shape.AsSpan().SequenceEqual(outShape) || residual.DType != input.DType))
            throw new ArgumentException($"{op}: residual {residual.DType.TorchName()} {Shapes.Format(residual._shape)} must match the output {input.DType.TorchName()} {Shapes.Format(outShape)}.");
        Tensor Compute()
        {
            var x2 = input.Reshape(-1, inF);
            int m = x2._shape[0];
            var r = new Tensor([m, outF], input.DType, input.Device, op: op);
            float beta = 0;
            if (residual is not null)
            {
                CopyStrided(r, residual.Reshape(m, outF), op);
                if (bias is not null) ElementwiseDispatch.Binary(BinaryKind.Add, r, bias, op, into: r);
                beta = 1;
            }
            else if (bias is not null)
            {
                CopyStrided(r, bias, op);
                beta = 1;
            }
            Gemm2D(op, x2, weight.T, r, m, outF, inF, beta, epilogue);
            return r.AsStrided(outShape, Shapes.ContiguousStrides(outShape), 0);
        }
        Tensor?[] inputs = residual is null ? [input, weight, bias] : [input, weight, bias, residual];
        return Dispatch.Record(op, Compute, inputs, y =>
        {
            // Relu's gradient mask comes from the output, as aten::relu's (threshold_backward: 0 where the result is <= 0).
            Func<Tensor, Tensor> pre = epilogue == Kernels.GemmEpilogue.Relu ? g => Where(y.Le(0.0), 0.0, g) : g => g;
            Func<Tensor, Tensor>?[] rules =
            [
                g => pre(g).Matmul(weight),
                g => pre(g).Reshape(-1, outF).T.Matmul(input.Reshape(-1, inF)),
                g => pre(g).Reshape(-1, outF).Sum(0),
                .. residual is null ? Array.Empty<Func<Tensor, Tensor>?>() : [g => g],
            ];
            return new(rules, epilogue == Kernels.GemmEpilogue.Relu ? [input, weight, y] : [input, weight]);
        });
    }

    private static void CheckGemmDTypes(string op, Tensor a, Tensor b)
    {
        ElementwiseDispatch.SameDevice(a, b, op);
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: expected both operands to have the same dtype, but got {a.DType.TorchName()} and {b.DType.TorchName()} (shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}).");
        if (a.DType == DType.Bool)
            throw new ArgumentException($"{op}: not supported for bool tensors.");
    }

    private static Tensor BatchedGemm(string op, Tensor a, Tensor b, int[] batch, int m, int n, int k)
    {
        CheckGemmDTypes(op, a, b);
        var dt = a.DType;
        var r = new Tensor([.. batch, m, n], dt, a.Device, op: op);
        int nb = batch.Length;
        // Collapse the batch dims of a, b and r into as few strided dims as possible.
        var (dims, st) = StridedLoop.Coalesce(batch, [a._strides[..nb], b._strides[..nb], r._strides[..nb]]);
        int inner = dims.Length == 0 ? 1 : dims[^1];
        int[] innerSt = dims.Length == 0 ? [0, 0, 0] : [st[0][^1], st[1][^1], st[2][^1]];
        int outer = 1;
        for (int i = 0; i < dims.Length - 1; i++) outer *= dims[i];
        var idx = new int[Math.Max(dims.Length - 1, 0)];
        for (int o = 0; o < outer; o++)
        {
            int ao = a.StorageOffset, bo = b.StorageOffset, ro = 0, rem = o;
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
        return r;
    }

    /// <summary>
    /// <paramref name="batch"/> exact integer products (<see cref="Kernels.IntegerGemm"/>), problem i's operands at i times
    /// their batch strides from the given offsets, its m×n output contiguous at <paramref name="ro"/> + i·<paramref name="rBatch"/>.
    /// </summary>
    private static void IntegerBatch<T>(int batch, int m, int n, int k, T[] a, int ao, int aBatch, int ars, int acs,
        T[] b, int bo, int bBatch, int brs, int bcs, T[] r, int ro, int rBatch) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        for (int i = 0; i < batch; i++)
            Kernels.IntegerGemm.Run<T>(m, n, k, a.AsSpan(ao + i * aBatch), ars, acs, b.AsSpan(bo + i * bBatch), brs, bcs,
                r.AsSpan(ro + i * rBatch), n, accumulate: false);
    }

    /// <summary>r (contiguous m×n) = a·b + beta·r for 2-D strided a, b.</summary>
    private static void Gemm2D(string op, Tensor a, Tensor b, Tensor r, int m, int n, int k, float beta,
        Kernels.GemmEpilogue epilogue = Kernels.GemmEpilogue.None)
    {
        if (a.DType == DType.Float32)
            Kernels.Gemm.Sgemm(m, n, k, 1f, a.Data<float>().AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
                b.Data<float>().AsSpan(b.StorageOffset), b._strides[0], b._strides[1], beta, r.Data<float>(), n, epilogue);
        else if (a.DType == DType.Float64)
            Kernels.Gemm.Dgemm(m, n, k, 1.0, a.Data<double>().AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
                b.Data<double>().AsSpan(b.StorageOffset), b._strides[0], b._strides[1], beta, r.Data<double>(), n, epilogue);
        else if (a.DType == DType.Int64)
            IntegerGemm2D(a.Data<long>(), a, b.Data<long>(), b, r.Data<long>(), m, n, k, beta != 0, epilogue);
        else
            IntegerGemm2D(a.Data<int>(), a, b.Data<int>(), b, r.Data<int>(), m, n, k, beta != 0, epilogue);
    }

    private static void IntegerGemm2D<T>(T[] ad, Tensor a, T[] bd, Tensor b, T[] rd, int m, int n, int k, bool accumulate,
        Kernels.GemmEpilogue epilogue) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        Kernels.IntegerGemm.Run<T>(m, n, k, ad.AsSpan(a.StorageOffset), a._strides[0], a._strides[1],
            bd.AsSpan(b.StorageOffset), b._strides[0], b._strides[1], rd, n, accumulate);
        if (epilogue == Kernels.GemmEpilogue.Relu)
            for (int i = 0; i < m * n; i++) if (rd[i] < T.Zero) rd[i] = T.Zero;
    }
}
