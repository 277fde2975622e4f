using Trace.Kernels;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA elementwise kernels: <see cref="GpuElementwise"/>'s generic kernels instantiated per dtype and op struct.
/// Arithmetic and comparisons reuse the CPU's kernel structs (their scalar forms compile with ILGPU); transcendental
/// ops use the GPU structs of <see cref="Kernels.Gpu"/> (the CPU ones are SIMD code ILGPU cannot compile).
/// </summary>
internal sealed class CudaElementwiseKernels : IElementwiseKernels
{
    /// <summary>One launch's operands: the output and up to three inputs over one layout.</summary>
    private readonly record struct Launch(GpuDevice D, GpuLayout L, bool Dense, int N, Tensor R, Tensor X, Tensor? Y = null, Tensor? C = null)
    {
        public void Unary<T, TOp>() where T : unmanaged where TOp : IGpuUnaryOp<T> =>
            GpuElementwise.Unary<T, TOp>(D, CudaViews.Of<T>(R), CudaViews.Of<T>(X), L, Dense, N);

        public void Binary<T, TOp>() where T : unmanaged where TOp : IGpuBinaryOp<T> =>
            GpuElementwise.Binary<T, TOp>(D, CudaViews.Of<T>(R), CudaViews.Of<T>(X), CudaViews.Of<T>(Y!), L, Dense, N);

        public void Compare<T, TOp>() where T : unmanaged where TOp : IGpuCompareOp<T> =>
            GpuElementwise.Compare<T, TOp>(D, CudaViews.Of<byte>(R), CudaViews.Of<T>(X), CudaViews.Of<T>(Y!), L, N);

        public void Where<T>() where T : unmanaged =>
            GpuElementwise.Where<T>(D, CudaViews.Of<T>(R), CudaViews.Of<byte>(C!), CudaViews.Of<T>(X), CudaViews.Of<T>(Y!), L, N);
    }

    private static string Name(BinaryKind k) => k switch
    {
        BinaryKind.ClampMin or BinaryKind.ClampMax => "aten::clamp",
        _ => $"aten::{k.ToString().ToLowerInvariant()}",
    };

    public void Binary(BinaryKind k, int[] shape, Tensor r, Tensor x, Tensor y)
    {
        string op = Name(k);
        var l = CudaViews.Layout(op, shape, out bool dense, r, x, y);
        var a = new Launch(CudaViews.Gpu(r), l, dense, r.Numel, r, x, y);
        switch (r.DType)
        {
            case DType.Float32:
                switch (k)
                {
                    case BinaryKind.Add: a.Binary<float, Scalar2<float, AddOp<float>>>(); return;
                    case BinaryKind.Sub: a.Binary<float, Scalar2<float, SubOp<float>>>(); return;
                    case BinaryKind.Mul: a.Binary<float, Scalar2<float, MulOp<float>>>(); return;
                    case BinaryKind.Div: a.Binary<float, Scalar2<float, DivOp<float>>>(); return;
                    case BinaryKind.Maximum: a.Binary<float, GpuMaximum>(); return;
                    case BinaryKind.Minimum: a.Binary<float, GpuMinimum>(); return;
                    case BinaryKind.ClampMin: a.Binary<float, Scalar2<float, ClampMinOp<float>>>(); return;
                    case BinaryKind.ClampMax: a.Binary<float, Scalar2<float, ClampMaxOp<float>>>(); return;
                    default: a.Binary<float, Scalar2<float, PowOp<float>>>(); return;
                }
            case DType.Float64:
                switch (k)
                {
                    case BinaryKind.Add: a.Binary<double, Scalar2<double, AddOp<double>>>(); return;
                    case BinaryKind.Sub: a.Binary<double, Scalar2<double, SubOp<double>>>(); return;
                    case BinaryKind.Mul: a.Binary<double, Scalar2<double, MulOp<double>>>(); return;
                    case BinaryKind.Div: a.Binary<double, Scalar2<double, DivOp<double>>>(); return;
                    case BinaryKind.Maximum: a.Binary<double, GpuMaximum>(); return;
                    case BinaryKind.Minimum: a.Binary<double, GpuMinimum>(); return;
                    case BinaryKind.ClampMin: a.Binary<double, Scalar2<double, ClampMinOp<double>>>(); return;
                    case BinaryKind.ClampMax: a.Binary<double, Scalar2<double, ClampMaxOp<double>>>(); return;
                    default: a.Binary<double, Scalar2<double, PowOp<double>>>(); return;
                }
            case DType.Int64: BinaryInt<long>(k, a, op); return;
            default: BinaryInt<int>(k, a, op); return;
        }
    }

    private static void BinaryInt<T>(BinaryKind k, Launch a, string op) where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        switch (k)
        {
            case BinaryKind.Add: a.Binary<T, Scalar2<T, AddOp<T>>>(); return;
            case BinaryKind.Sub: a.Binary<T, Scalar2<T, SubOp<T>>>(); return;
            case BinaryKind.Mul: a.Binary<T, Scalar2<T, MulOp<T>>>(); return;
            case BinaryKind.Maximum: a.Binary<T, Scalar2<T, MaxOp<T>>>(); return;
            case BinaryKind.Minimum: a.Binary<T, Scalar2<T, MinOp<T>>>(); return;
            case BinaryKind.ClampMin: a.Binary<T, Scalar2<T, ClampMinOp<T>>>(); return;
            case BinaryKind.ClampMax: a.Binary<T, Scalar2<T, ClampMaxOp<T>>>(); return;
            case BinaryKind.Pow: a.Binary<T, Scalar2<T, IntPowOp<T>>>(); return;
            default: throw new InvalidOperationException($"{op}: binary op {k} has no integer kernel.");
        }
    }

    public void Unary(UnaryKind k, Tensor r, Tensor x)
    {
        string op = $"aten::{k.ToString().ToLowerInvariant()}";
        var l = CudaViews.Layout(op, r._shape, out bool dense, r, x);
        var a = new Launch(CudaViews.Gpu(r), l, dense, r.Numel, r, x);
        switch (r.DType)
        {
            case DType.Float32:
                switch (k)
                {
                    case UnaryKind.Exp: a.Unary<float, GpuExp>(); return;
                    case UnaryKind.Log: a.Unary<float, GpuLog>(); return;
                    case UnaryKind.Sqrt: a.Unary<float, Scalar<float, SqrtOp>>(); return;
                    case UnaryKind.Rsqrt: a.Unary<float, GpuRsqrt>(); return;
                    case UnaryKind.Tanh: a.Unary<float, GpuTanh>(); return;
                    case UnaryKind.Sigmoid: a.Unary<float, GpuSigmoid>(); return;
                    case UnaryKind.Gelu: a.Unary<float, GpuGelu>(); return;
                    case UnaryKind.GeluTanh: a.Unary<float, GpuGeluTanh>(); return;
                    case UnaryKind.Erf: a.Unary<float, GpuErf>(); return;
                    default: UnaryNumber<float>(k, a, op); return;
                }
            case DType.Float64:
                switch (k)
                {
                    case UnaryKind.Exp: a.Unary<double, GpuExp>(); return;
                    case UnaryKind.Log: a.Unary<double, GpuLog>(); return;
                    case UnaryKind.Sqrt: a.Unary<double, Scalar<double, SqrtOp>>(); return;
                    case UnaryKind.Rsqrt: a.Unary<double, GpuRsqrt>(); return;
                    case UnaryKind.Tanh: a.Unary<double, GpuTanh>(); return;
                    case UnaryKind.Sigmoid: a.Unary<double, GpuSigmoid>(); return;
                    case UnaryKind.Gelu: a.Unary<double, GpuGelu>(); return;
                    case UnaryKind.GeluTanh: a.Unary<double, GpuGeluTanh>(); return;
                    case UnaryKind.Erf: a.Unary<double, GpuErf>(); return;
                    default: UnaryNumber<double>(k, a, op); return;
                }
            case DType.Int64: UnaryNumber<long>(k, a, op); return;
            default: UnaryNumber<int>(k, a, op); return;
        }
    }

    private static void UnaryNumber<T>(UnaryKind k, Launch a, string op) where T : unmanaged, System.Numerics.INumber<T>
    {
        switch (k)
        {
            case UnaryKind.Neg: a.Unary<T, Scalar<T, NegOp<T>>>(); return;
            case UnaryKind.Abs: a.Unary<T, Scalar<T, AbsOp<T>>>(); return;
            case UnaryKind.Relu: a.Unary<T, Scalar<T, ReluOp<T>>>(); return;
            case UnaryKind.Square: a.Unary<T, Scalar<T, SquareOp<T>>>(); return;
            default: throw new InvalidOperationException($"{op}: unary op {k} has no kernel for {typeof(T).Name}.");
        }
    }

    /// <remarks>The CPU kernel struct names the op; its GPU twin is looked up here (the CPU structs are SIMD code ILGPU cannot compile).</remarks>
    public void UnaryFloating<TOp>(Tensor r, Tensor x) where TOp : IUnaryOp<float>, IUnaryOp<double>
    {
        string op = typeof(TOp) == typeof(SiluOp) ? "aten::silu" : typeof(TOp) == typeof(Log1pOp) ? "aten::log1p"
            : typeof(TOp) == typeof(FloorOp) ? "aten::floor" : typeof(TOp) == typeof(RoundOp) ? "aten::round" : typeof(TOp).Name;
        var l = CudaViews.Layout(op, r._shape, out bool dense, r, x);
        var a = new Launch(CudaViews.Gpu(r), l, dense, r.Numel, r, x);
        bool f32 = r.DType == DType.Float32;
        if (typeof(TOp) == typeof(SiluOp)) { if (f32) a.Unary<float, GpuSilu>(); else a.Unary<double, GpuSilu>(); }
        else if (typeof(TOp) == typeof(Log1pOp)) { if (f32) a.Unary<float, GpuLog1p>(); else a.Unary<double, GpuLog1p>(); }
        else if (typeof(TOp) == typeof(FloorOp)) { if (f32) a.Unary<float, GpuFloor>(); else a.Unary<double, GpuFloor>(); }
        else if (typeof(TOp) == typeof(RoundOp)) { if (f32) a.Unary<float, GpuRound>(); else a.Unary<double, GpuRound>(); }
        else throw CudaViews.NoKernel($"the unary op of kernel struct {typeof(TOp).Name}");
    }

    public void Compare(CompareKind k, int[] shape, Tensor r, Tensor x, Tensor y)
    {
        string op = k >= CompareKind.And ? $"aten::logical_{k.ToString().ToLowerInvariant()}" : $"aten::{k.ToString().ToLowerInvariant()}";
        var l = CudaViews.Layout(op, shape, out _, r, x, y);
        var a = new Launch(CudaViews.Gpu(r), l, false, r.Numel, r, x, y);
        switch (x.DType)
        {
            case DType.Float32: CompareT<float>(k, a); return;
            case DType.Float64: CompareT<double>(k, a); return;
            case DType.Int64: CompareT<long>(k, a); return;
            case DType.Int32: CompareT<int>(k, a); return;
        }
        switch (k)
        {
            case CompareKind.And: a.Compare<byte, GpuAnd>(); return;
            case CompareKind.Or: a.Compare<byte, GpuOr>(); return;
            default: a.Compare<byte, GpuXor>(); return;
        }
    }

    private static void CompareT<T>(CompareKind k, Launch a) where T : unmanaged, System.Numerics.INumber<T>
    {
        switch (k)
        {
            case CompareKind.Eq: a.Compare<T, ScalarCompare<T, EqOp<T>>>(); return;
            case CompareKind.Ne: a.Compare<T, ScalarCompare<T, NeOp<T>>>(); return;
            case CompareKind.Lt: a.Compare<T, ScalarCompare<T, LtOp<T>>>(); return;
            case CompareKind.Le: a.Compare<T, ScalarCompare<T, LeOp<T>>>(); return;
            case CompareKind.Gt: a.Compare<T, ScalarCompare<T, GtOp<T>>>(); return;
            default: a.Compare<T, ScalarCompare<T, GeOp<T>>>(); return;
        }
    }

    public void Where(int[] shape, Tensor r, Tensor c, Tensor x, Tensor y)
    {
        var l = CudaViews.Layout("aten::where", shape, out _, r, c, x, y);
        var a = new Launch(CudaViews.Gpu(r), l, false, r.Numel, r, x, y, c);
        switch (r.DType)
        {
            case DType.Float32: a.Where<float>(); return;
            case DType.Float64: a.Where<double>(); return;
            case DType.Int64: a.Where<long>(); return;
            case DType.Int32: a.Where<int>(); return;
            default: a.Where<byte>(); return;
        }
    }

    public void GeluBackward(Tensor r, Tensor g, Tensor x, bool tanh)
    {
        var l = CudaViews.Layout("aten::gelu_backward", r._shape, out bool dense, r, g, x);
        var a = new Launch(CudaViews.Gpu(r), l, dense, r.Numel, r, g, x);
        switch (r.DType, tanh)
        {
            case (DType.Float32, false): a.Binary<float, GpuGeluBackward>(); return;
            case (DType.Float32, true): a.Binary<float, GpuGeluTanhBackward>(); return;
            case (_, false): a.Binary<double, GpuGeluBackward>(); return;
            default: a.Binary<double, GpuGeluTanhBackward>(); return;
        }
    }
}
