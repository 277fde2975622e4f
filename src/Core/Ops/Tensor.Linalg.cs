using Trace.Kernels;

namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product with PyTorch semantics: dot for 1-D·1-D, matrix-vector, matrix-matrix, and batched
    /// with broadcasting of the batch dims (1-D operands get a dim prepended/appended, then removed).
    /// Transposed and other strided operands are read in place, without copies.
    /// </summary>
    public Tensor Matmul(Tensor other) => Matmul(other, null);

    /// <summary><see cref="Matmul(Tensor)"/>, or its out= form writing into <paramref name="out"/> (see <see cref="Dispatch.Out(OpCall, Tensor, Tensor?[], Func{Tensor})"/>).</summary>
    internal Tensor Matmul(Tensor other, Tensor? @out)
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
        int[] shape = [.. batch, m, n];
        if (@out is not null)
        {
            // The result as the caller sees it (1-D operands' dims removed), viewed as the GEMM writes it.
            int[] result = [.. batch, .. va ? Array.Empty<int>() : [m], .. vb ? Array.Empty<int>() : [n]];
            OutBuffer.Check(@out, result, a.DType, a.Device, op);
            var full = @out.AsStrided(shape, Shapes.ContiguousStrides(shape), @out.StorageOffset);
            return Dispatch.Out(op, @out, [a, b], () =>
            {
                BatchedGemm(op, a2.Expand([.. batch, m, k]), b2.Expand([.. batch, k, n]), batch, m, n, k, full);
                return @out;
            });
        }
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
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Linear(input, weight, bias, null);

    /// <summary><see cref="Linear(Tensor, Tensor, Tensor?)"/>, or its out= form writing into <paramref name="out"/>.</summary>
    internal static Tensor Linear(Tensor input, Tensor weight, Tensor? bias, Tensor? @out) =>
        LinearOp("aten::linear", input, weight, bias, null, Kernels.GemmEpilogue.None, @out);

    /// <summary>relu(linear(input, weight, bias)) with the relu applied by the GEMM to each strip of the output while it is in cache (the JIT's <c>trace::linear_relu</c>).</summary>
    internal static Tensor LinearRelu(Tensor input, Tensor weight, Tensor? bias, Tensor? @out = null) =>
        LinearOp("trace::linear_relu", input, weight, bias, null, Kernels.GemmEpilogue.Relu, @out);

    /// <summary>gelu(linear(input, weight, bias)) with the GELU applied by the GEMM to each strip of the output while it is in cache (the JIT's <c>trace::linear_gelu</c>).</summary>
    internal static Tensor LinearGelu(Tensor input, Tensor weight, Tensor? bias, GeluApproximation approximate, Tensor? @out = null)
    {
        if (!input.IsFloatingPoint)
            throw new ArgumentException($"trace::linear_gelu: GELU needs a floating input, not {input.DType.TorchName()}.");
        return LinearOp(new OpCall("trace::linear_gelu", approximate == GeluApproximation.Tanh ? "tanh" : "none"), input, weight, bias, null,
            approximate == GeluApproximation.Tanh ? Kernels.GemmEpilogue.GeluTanh : Kernels.GemmEpilogue.Gelu, @out);
    }

    /// <summary>linear(input, weight, bias) + residual with the residual written into the output before the GEMM accumulates (the JIT's <c>trace::linear_add</c>).</summary>
    internal static Tensor LinearAdd(Tensor input, Tensor weight, Tensor? bias, Tensor residual, Tensor? @out = null) =>
        LinearOp("trace::linear_add", input, weight, bias, residual, Kernels.GemmEpilogue.None, @out);

    /// <summary>
    /// y = epilogue(x·Wᵀ + b [+ residual]): W is read transposed in place; the bias (and residual) are written into
    /// the output before the GEMM accumulates into it, and the epilogue runs inside the GEMM. With <paramref name="out"/>, the
    /// out= form: the result is written there.
    /// </summary>
    private static Tensor LinearOp(OpCall call, Tensor input, Tensor weight, Tensor? bias, Tensor? residual, Kernels.GemmEpilogue epilogue, Tensor? @out)
    {
        string op = call.Name;
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
            var r = @out is null ? new Tensor([m, outF], input.DType, input.Device, op: op) : @out.AsStrided([m, outF], [outF, 1], @out.StorageOffset);
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
            return @out ?? r.AsStrided(outShape, Shapes.ContiguousStrides(outShape), 0);
        }
        if (@out is not null) OutBuffer.Check(@out, outShape, input.DType, input.Device, op);
        Tensor?[] inputs = residual is null ? [input, weight, bias] : [input, weight, bias, residual];
        return Dispatch.Run(call, @out, Compute, inputs, y =>
        {
            // Relu's gradient mask comes from the output, as aten::relu's (threshold_backward: 0 where the result is <= 0).
            // GELU's needs the pre-activation, which the fused op does not keep: the backward recomputes it.
            bool gelu = epilogue is Kernels.GemmEpilogue.Gelu or Kernels.GemmEpilogue.GeluTanh;
            Tensor? seen = null, masked = null;
            Tensor Pre(Tensor g)
            {
                if (ReferenceEquals(g, seen)) return masked!;
                seen = g;
                return masked = epilogue == Kernels.GemmEpilogue.Relu ? Where(y.Le(0.0), 0.0, g)
                    : gelu ? g.GeluBackward(Linear(input, weight, bias), epilogue == Kernels.GemmEpilogue.GeluTanh ? GeluApproximation.Tanh : GeluApproximation.None)
                    : g;
            }
            Func<Tensor, Tensor>?[] rules =
            [
                g => Pre(g).Matmul(weight),
                g => Pre(g).Reshape(-1, outF).T.Matmul(input.Reshape(-1, inF)),
                g => Pre(g).Reshape(-1, outF).Sum(0),
                .. residual is null ? Array.Empty<Func<Tensor, Tensor>?>() : [g => g],
            ];
            return new(rules, epilogue == Kernels.GemmEpilogue.Relu ? [input, weight, y] : gelu && bias is not null ? [input, weight, bias] : [input, weight]);
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

    private static Tensor BatchedGemm(string op, Tensor a, Tensor b, int[] batch, int m, int n, int k, Tensor? into = null)
    {
        CheckGemmDTypes(op, a, b);
        var kernels = DeviceKernels.For(a.Device, op).Linalg;
        var r = into ?? new Tensor([.. batch, m, n], a.DType, a.Device, op: op);
        kernels.BatchedGemm(a, b, r, batch.Length, m, n, k, op);
        return r;
    }

    /// <summary>r (contiguous m×n) = a·b + beta·r for 2-D strided a, b.</summary>
    private static void Gemm2D(string op, Tensor a, Tensor b, Tensor r, int m, int n, int k, float beta,
        Kernels.GemmEpilogue epilogue = Kernels.GemmEpilogue.None) =>
        DeviceKernels.For(a.Device, op).Linalg.Gemm(a, b, r, m, n, k, beta, epilogue, op);
}
