using Trace.Kernels;

namespace Trace;

/// <summary>
/// The CPU's elementwise kernels: Trace.Kernels' strided loops over the host arrays, one call per dtype and op,
/// unchanged from when the ops called them inline. Operands arrive already cast to the result dtype.
/// </summary>
internal sealed class CpuElementwiseKernels : IElementwiseKernels
{
    public void Binary(BinaryKind k, int[] shape, Tensor r, Tensor x, Tensor y)
    {
        int[][] st = [r._strides, Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [r.StorageOffset, x.StorageOffset, y.StorageOffset];
        switch (r.DType)
        {
            case DType.Float32: BinaryF32(k, shape, st, off, r.Data<float>(), x.Data<float>(), y.Data<float>()); break;
            case DType.Float64: BinaryF64(k, shape, st, off, r.Data<double>(), x.Data<double>(), y.Data<double>()); break;
            case DType.Int64: BinaryInt(k, shape, st, off, r.Data<long>(), x.Data<long>(), y.Data<long>()); break;
            default: BinaryInt(k, shape, st, off, r.Data<int>(), x.Data<int>(), y.Data<int>()); break;
        }
    }

    private static void BinaryF32(BinaryKind k, int[] s, int[][] st, int[] off, float[] r, float[] a, float[] b)
    {
        switch (k)
        {
            case BinaryKind.Add: StridedLoop.Run(s, st, off, new BinaryRows<float, AddOp<float>>(r, a, b)); break;
            case BinaryKind.Sub: StridedLoop.Run(s, st, off, new BinaryRows<float, SubOp<float>>(r, a, b)); break;
            case BinaryKind.Mul: StridedLoop.Run(s, st, off, new BinaryRows<float, MulOp<float>>(r, a, b)); break;
            case BinaryKind.Div: StridedLoop.Run(s, st, off, new BinaryRows<float, DivOp<float>>(r, a, b)); break;
            case BinaryKind.Maximum: StridedLoop.Run(s, st, off, new BinaryRows<float, MaxOp<float>>(r, a, b)); break;
            case BinaryKind.Minimum: StridedLoop.Run(s, st, off, new BinaryRows<float, MinOp<float>>(r, a, b)); break;
            case BinaryKind.ClampMin: StridedLoop.Run(s, st, off, new BinaryRows<float, ClampMinOp<float>>(r, a, b)); break;
            case BinaryKind.ClampMax: StridedLoop.Run(s, st, off, new BinaryRows<float, ClampMaxOp<float>>(r, a, b)); break;
            default: StridedLoop.Run(s, st, off, new BinaryRows<float, PowOp<float>>(r, a, b), ParallelRange.ElementwiseGrain / 16); break;
        }
    }

    private static void BinaryF64(BinaryKind k, int[] s, int[][] st, int[] off, double[] r, double[] a, double[] b)
    {
        switch (k)
        {
            case BinaryKind.Add: StridedLoop.Run(s, st, off, new BinaryRows<double, AddOp<double>>(r, a, b)); break;
            case BinaryKind.Sub: StridedLoop.Run(s, st, off, new BinaryRows<double, SubOp<double>>(r, a, b)); break;
            case BinaryKind.Mul: StridedLoop.Run(s, st, off, new BinaryRows<double, MulOp<double>>(r, a, b)); break;
            case BinaryKind.Div: StridedLoop.Run(s, st, off, new BinaryRows<double, DivOp<double>>(r, a, b)); break;
            case BinaryKind.Maximum: StridedLoop.Run(s, st, off, new BinaryRows<double, MaxOp<double>>(r, a, b)); break;
            case BinaryKind.Minimum: StridedLoop.Run(s, st, off, new BinaryRows<double, MinOp<double>>(r, a, b)); break;
            case BinaryKind.ClampMin: StridedLoop.Run(s, st, off, new BinaryRows<double, ClampMinOp<double>>(r, a, b)); break;
            case BinaryKind.ClampMax: StridedLoop.Run(s, st, off, new BinaryRows<double, ClampMaxOp<double>>(r, a, b)); break;
            default: StridedLoop.Run(s, st, off, new BinaryRows<double, PowOp<double>>(r, a, b), ParallelRange.ElementwiseGrain / 16); break;
        }
    }

    private static void BinaryInt<T>(BinaryKind k, int[] s, int[][] st, int[] off, T[] r, T[] a, T[] b)
        where T : unmanaged, System.Numerics.IBinaryInteger<T>
    {
        switch (k)
        {
            case BinaryKind.Add: StridedLoop.Run(s, st, off, new BinaryRows<T, AddOp<T>>(r, a, b)); break;
            case BinaryKind.Sub: StridedLoop.Run(s, st, off, new BinaryRows<T, SubOp<T>>(r, a, b)); break;
            case BinaryKind.Mul: StridedLoop.Run(s, st, off, new BinaryRows<T, MulOp<T>>(r, a, b)); break;
            case BinaryKind.Maximum: StridedLoop.Run(s, st, off, new BinaryRows<T, MaxOp<T>>(r, a, b)); break;
            case BinaryKind.Minimum: StridedLoop.Run(s, st, off, new BinaryRows<T, MinOp<T>>(r, a, b)); break;
            case BinaryKind.ClampMin: StridedLoop.Run(s, st, off, new BinaryRows<T, ClampMinOp<T>>(r, a, b)); break;
            case BinaryKind.ClampMax: StridedLoop.Run(s, st, off, new BinaryRows<T, ClampMaxOp<T>>(r, a, b)); break;
            case BinaryKind.Pow: StridedLoop.Run(s, st, off, new BinaryRows<T, IntPowOp<T>>(r, a, b)); break;
            default: throw new InvalidOperationException($"binary op {k} has no integer kernel.");
        }
    }

    public void UnaryFloating<TOp>(Tensor r, Tensor x) where TOp : IUnaryOp<float>, IUnaryOp<double>
    {
        int[][] st = [r._strides, x._strides];
        int[] off = [r.StorageOffset, x.StorageOffset];
        // Transcendental work per element is larger: split across cores sooner.
        int grain = ParallelRange.ElementwiseGrain / 4;
        if (r.DType == DType.Float32) StridedLoop.Run(r._shape, st, off, new UnaryRows<float, TOp>(r.Data<float>(), x.Data<float>()), grain);
        else StridedLoop.Run(r._shape, st, off, new UnaryRows<double, TOp>(r.Data<double>(), x.Data<double>()), grain);
    }

    public void Unary(UnaryKind k, Tensor r, Tensor x)
    {
        int[][] st = [r._strides, x._strides];
        int[] off = [r.StorageOffset, x.StorageOffset];
        var s = r._shape;
        switch (r.DType)
        {
            case DType.Float32: UnaryFloat<float>(k, s, st, off, r.Data<float>(), x.Data<float>()); break;
            case DType.Float64: UnaryFloat<double>(k, s, st, off, r.Data<double>(), x.Data<double>()); break;
            case DType.Int64: UnaryNumber(k, s, st, off, r.Data<long>(), x.Data<long>()); break;
            default: UnaryNumber(k, s, st, off, r.Data<int>(), x.Data<int>()); break;
        }
    }

    private static void UnaryNumber<T>(UnaryKind k, int[] s, int[][] st, int[] off, T[] r, T[] x)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        switch (k)
        {
            case UnaryKind.Neg: StridedLoop.Run(s, st, off, new UnaryRows<T, NegOp<T>>(r, x)); break;
            case UnaryKind.Abs: StridedLoop.Run(s, st, off, new UnaryRows<T, AbsOp<T>>(r, x)); break;
            case UnaryKind.Relu: StridedLoop.Run(s, st, off, new UnaryRows<T, ReluOp<T>>(r, x)); break;
            case UnaryKind.Square: StridedLoop.Run(s, st, off, new UnaryRows<T, SquareOp<T>>(r, x)); break;
            default: throw new InvalidOperationException($"unary op {k} has no kernel for {typeof(T).Name}.");
        }
    }

    private static void UnaryFloat<T>(UnaryKind k, int[] s, int[][] st, int[] off, T[] r, T[] x)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        // Transcendental work per element is larger: split across cores sooner.
        int g = ParallelRange.ElementwiseGrain / 4;
        VectorMathFunction? vm = k switch
        {
            UnaryKind.Tanh => VectorMathFunction.Tanh,
            UnaryKind.Sigmoid => VectorMathFunction.Sigmoid,
            UnaryKind.Erf => VectorMathFunction.Erf,
            UnaryKind.Gelu => VectorMathFunction.Gelu,
            UnaryKind.GeluTanh => VectorMathFunction.GeluTanh,
            _ => null,
        };
        if (typeof(T) == typeof(float))
        {
            var (rf, xf) = ((float[])(object)r, (float[])(object)x);
            if (vm is { } f) { StridedLoop.Run(s, st, off, new VectorMathRows(rf, xf, f), g); return; }
            switch (k)
            {
                case UnaryKind.Exp: StridedLoop.Run(s, st, off, new UnaryRows<float, ExpOp>(rf, xf), g); return;
                case UnaryKind.Log: StridedLoop.Run(s, st, off, new UnaryRows<float, LogOp>(rf, xf), g); return;
                case UnaryKind.Sqrt: StridedLoop.Run(s, st, off, new UnaryRows<float, SqrtOp>(rf, xf), g); return;
                case UnaryKind.Rsqrt: StridedLoop.Run(s, st, off, new UnaryRows<float, RsqrtOp>(rf, xf), g); return;
            }
        }
        else
        {
            var (rd, xd) = ((double[])(object)r, (double[])(object)x);
            if (vm is { } f) { StridedLoop.Run(s, st, off, new VectorMathRows(rd, xd, f), g); return; }
            switch (k)
            {
                case UnaryKind.Exp: StridedLoop.Run(s, st, off, new UnaryRows<double, ExpOp>(rd, xd), g); return;
                case UnaryKind.Log: StridedLoop.Run(s, st, off, new UnaryRows<double, LogOp>(rd, xd), g); return;
                case UnaryKind.Sqrt: StridedLoop.Run(s, st, off, new UnaryRows<double, SqrtOp>(rd, xd), g); return;
                case UnaryKind.Rsqrt: StridedLoop.Run(s, st, off, new UnaryRows<double, RsqrtOp>(rd, xd), g); return;
            }
        }
        UnaryNumber(k, s, st, off, r, x);
    }

    public void Compare(CompareKind k, int[] shape, Tensor r, Tensor x, Tensor y)
    {
        int[][] st = [r._strides, Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [r.StorageOffset, x.StorageOffset, y.StorageOffset];
        var o = r.Data<bool>();
        switch (x.DType)
        {
            case DType.Float32: CompareT(k, shape, st, off, o, x.Data<float>(), y.Data<float>()); break;
            case DType.Float64: CompareT(k, shape, st, off, o, x.Data<double>(), y.Data<double>()); break;
            case DType.Int64: CompareT(k, shape, st, off, o, x.Data<long>(), y.Data<long>()); break;
            case DType.Int32: CompareT(k, shape, st, off, o, x.Data<int>(), y.Data<int>()); break;
            default:
                var (p, q) = (x.Data<bool>(), y.Data<bool>());
                switch (k)
                {
                    case CompareKind.And: StridedLoop.Run(shape, st, off, new CompareRows<bool, AndOp>(o, p, q)); break;
                    case CompareKind.Or: StridedLoop.Run(shape, st, off, new CompareRows<bool, OrOp>(o, p, q)); break;
                    default: StridedLoop.Run(shape, st, off, new CompareRows<bool, XorOp>(o, p, q)); break;
                }
                break;
        }
    }

    private static void CompareT<T>(CompareKind k, int[] s, int[][] st, int[] off, bool[] r, T[] a, T[] b)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        switch (k)
        {
            case CompareKind.Eq: StridedLoop.Run(s, st, off, new CompareRows<T, EqOp<T>>(r, a, b)); break;
            case CompareKind.Ne: StridedLoop.Run(s, st, off, new CompareRows<T, NeOp<T>>(r, a, b)); break;
            case CompareKind.Lt: StridedLoop.Run(s, st, off, new CompareRows<T, LtOp<T>>(r, a, b)); break;
            case CompareKind.Le: StridedLoop.Run(s, st, off, new CompareRows<T, LeOp<T>>(r, a, b)); break;
            case CompareKind.Gt: StridedLoop.Run(s, st, off, new CompareRows<T, GtOp<T>>(r, a, b)); break;
            default: StridedLoop.Run(s, st, off, new CompareRows<T, GeOp<T>>(r, a, b)); break;
        }
    }

    public void Where(int[] shape, Tensor r, Tensor c, Tensor x, Tensor y)
    {
        int[][] st = [r._strides, Shapes.BroadcastStrides(c, shape), Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [r.StorageOffset, c.StorageOffset, x.StorageOffset, y.StorageOffset];
        var cd = c.Data<bool>();
        switch (r.DType)
        {
            case DType.Float32: StridedLoop.Run(shape, st, off, new WhereRows<float>(r.Data<float>(), cd, x.Data<float>(), y.Data<float>())); break;
            case DType.Float64: StridedLoop.Run(shape, st, off, new WhereRows<double>(r.Data<double>(), cd, x.Data<double>(), y.Data<double>())); break;
            case DType.Int64: StridedLoop.Run(shape, st, off, new WhereRows<long>(r.Data<long>(), cd, x.Data<long>(), y.Data<long>())); break;
            case DType.Int32: StridedLoop.Run(shape, st, off, new WhereRows<int>(r.Data<int>(), cd, x.Data<int>(), y.Data<int>())); break;
            default: StridedLoop.Run(shape, st, off, new WhereRows<bool>(r.Data<bool>(), cd, x.Data<bool>(), y.Data<bool>())); break;
        }
    }

    public void GeluBackward(Tensor r, Tensor g, Tensor x, bool tanh)
    {
        int n = r.Numel;
        if (r.DType == DType.Float32)
            ParallelRange.Run(n, ParallelRange.ElementwiseGrain / 4, (s, e) => VectorMath.GeluBackward(
                g.Data<float>().AsSpan(g.StorageOffset + s, e - s), x.Data<float>().AsSpan(x.StorageOffset + s, e - s), r.Data<float>().AsSpan(r.StorageOffset + s, e - s), tanh));
        else
            ParallelRange.Run(n, ParallelRange.ElementwiseGrain / 4, (s, e) => VectorMath.GeluBackward(
                g.Data<double>().AsSpan(g.StorageOffset + s, e - s), x.Data<double>().AsSpan(x.StorageOffset + s, e - s), r.Data<double>().AsSpan(r.StorageOffset + s, e - s), tanh));
    }
}
