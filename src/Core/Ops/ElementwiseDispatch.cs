using Trace.Kernels;

namespace Trace;

internal enum BinaryKind { Add, Sub, Mul, Div, Maximum, Minimum, Pow, ClampMin, ClampMax }

internal enum UnaryKind { Neg, Abs, Relu, Square, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Gelu, GeluTanh, Erf }

internal enum CompareKind { Eq, Ne, Lt, Le, Gt, Ge, And, Or, Xor }

/// <summary>
/// Picks the result dtype and shape of an elementwise op (PyTorch promotion and broadcasting), then
/// calls the dtype-specialized kernel from Trace.Kernels. One table per op family.
/// </summary>
internal static class ElementwiseDispatch
{
    /// <summary>
    /// Computes op(a, b) into a new tensor, or into <paramref name="into"/> (an in-place op: the result must
    /// have that tensor's shape, and its dtype must be castable without changing category).
    /// </summary>
    public static Tensor Binary(BinaryKind k, Tensor a, Tensor b, string op, Tensor? into = null)
    {
        SameDevice(a, b, op);
        var dt = DTypes.ResultType(a, b);
        if (k == BinaryKind.Div && !dt.IsFloatingPoint()) dt = DTypes.DefaultFloat;
        if (dt == DType.Bool) return BinaryBool(k, a, b, op, into);
        var shape = Shapes.Broadcast(a._shape, b._shape, op);
        if (into is not null)
        {
            if (!shape.AsSpan().SequenceEqual(into._shape))
                throw new ArgumentException($"{op}: output with shape {Shapes.Format(into._shape)} doesn't match the broadcast shape {Shapes.Format(shape)}.");
            if (DTypes.Category(dt) > DTypes.Category(into.DType))
                throw new ArgumentException($"{op}: result type {dt.TorchName()} can't be cast to the desired output type {into.DType.TorchName()}.");
            dt = into.DType;
        }
        var x = a.To(dt);
        var y = b.To(dt);
        if (k == BinaryKind.Pow && dt.IsIntegral() && y.Lt(0L).Any().Item<int>() != 0)
            throw new ArgumentException($"{op}: integers to negative integer powers are not allowed (dtype {dt.TorchName()}).");
        var r = into ?? new Tensor(shape, dt, a.Device, op: op);
        int[][] st = [r._strides, Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [r.StorageOffset, x.StorageOffset, y.StorageOffset];
        switch (dt)
        {
            case DType.Float32: BinaryF32(k, shape, st, off, r.Data<float>(), x.Data<float>(), y.Data<float>()); break;
            case DType.Float64: BinaryF64(k, shape, st, off, r.Data<double>(), x.Data<double>(), y.Data<double>()); break;
            case DType.Int64: BinaryInt(k, shape, st, off, r.Data<long>(), x.Data<long>(), y.Data<long>()); break;
            default: BinaryInt(k, shape, st, off, r.Data<int>(), x.Data<int>(), y.Data<int>()); break;
        }
        return r;
    }

    /// <summary>
    /// Bool ⊕ bool stays bool, as in PyTorch: add and maximum are logical or, mul and minimum logical and; subtraction
    /// and the rest are errors (PyTorch's messages).
    /// </summary>
    private static Tensor BinaryBool(BinaryKind k, Tensor a, Tensor b, string op, Tensor? into)
    {
        var logical = k switch
        {
            BinaryKind.Add or BinaryKind.Maximum => CompareKind.Or,
            BinaryKind.Mul or BinaryKind.Minimum => CompareKind.And,
            BinaryKind.Sub => throw new ArgumentException($"{op}: subtraction, the `-` operator, with two bool tensors is not supported (shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}); use the `^` or LogicalXor() operator instead."),
            _ => throw new ArgumentException($"{op}: not supported for bool tensors (shapes {Shapes.Format(a._shape)} and {Shapes.Format(b._shape)}); use the logical ops or convert with .To(DType.Int64)."),
        };
        var r = Compare(logical, a, b, op);
        if (into is null) return r;
        if (!r._shape.AsSpan().SequenceEqual(into._shape))
            throw new ArgumentException($"{op}: output with shape {Shapes.Format(into._shape)} doesn't match the broadcast shape {Shapes.Format(r._shape)}.");
        Tensor.CopyStrided(into, r, op);
        return into;
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

    public static Tensor Unary(UnaryKind k, Tensor a, string op)
    {
        a.RequireCpu(op);
        bool floating = k >= UnaryKind.Exp;
        var dt = a.DType;
        if (dt == DType.Bool && k == UnaryKind.Neg)
            throw new ArgumentException($"{op}: negation, the `-` operator, on a bool tensor is not supported (shape {Shapes.Format(a._shape)}); to invert a mask use the `!` operator or LogicalNot().");
        if (dt == DType.Bool && !floating)
            throw new ArgumentException($"{op}: not supported for bool tensors (shape {Shapes.Format(a._shape)}).");
        if (floating && !dt.IsFloatingPoint()) dt = DTypes.DefaultFloat;
        var x = a.To(dt);
        var r = new Tensor((int[])a._shape.Clone(), dt, a.Device, op: op);
        int[][] st = [r._strides, x._strides];
        int[] off = [0, x.StorageOffset];
        var s = r._shape;
        switch (dt)
        {
            case DType.Float32: UnaryFloat<float>(k, s, st, off, r.Data<float>(), x.Data<float>()); break;
            case DType.Float64: UnaryFloat<double>(k, s, st, off, r.Data<double>(), x.Data<double>()); break;
            case DType.Int64: UnaryNumber(k, s, st, off, r.Data<long>(), x.Data<long>()); break;
            default: UnaryNumber(k, s, st, off, r.Data<int>(), x.Data<int>()); break;
        }
        return r;
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

    /// <summary>
    /// A floating unary op given by its kernel struct (the op table names it; no enum entry): integer and bool inputs
    /// are promoted to the default float dtype, as PyTorch's unary float ops do.
    /// </summary>
    public static Tensor UnaryFloating<TOp>(Tensor a, string op) where TOp : IUnaryOp<float>, IUnaryOp<double>
    {
        a.RequireCpu(op);
        var dt = a.DType.IsFloatingPoint() ? a.DType : DTypes.DefaultFloat;
        var x = a.To(dt);
        var r = new Tensor((int[])a._shape.Clone(), dt, a.Device, op: op);
        int[][] st = [r._strides, x._strides];
        int[] off = [0, x.StorageOffset];
        int grain = ParallelRange.ElementwiseGrain / 4;
        if (dt == DType.Float32) StridedLoop.Run(r._shape, st, off, new UnaryRows<float, TOp>(r.Data<float>(), x.Data<float>()), grain);
        else StridedLoop.Run(r._shape, st, off, new UnaryRows<double, TOp>(r.Data<double>(), x.Data<double>()), grain);
        return r;
    }

    public static Tensor Compare(CompareKind k, Tensor a, Tensor b, string op)
    {
        SameDevice(a, b, op);
        bool logical = k >= CompareKind.And;
        var dt = logical ? DType.Bool : DTypes.ResultType(a, b);
        if (dt == DType.Bool && !logical) dt = DType.Int32;
        var shape = Shapes.Broadcast(a._shape, b._shape, op);
        var x = a.To(dt);
        var y = b.To(dt);
        var r = new Tensor(shape, DType.Bool, a.Device, op: op);
        int[][] st = [r._strides, Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [0, x.StorageOffset, y.StorageOffset];
        var o = r.Data<bool>();
        switch (dt)
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
        return r;
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

    public static Tensor Where(Tensor cond, Tensor a, Tensor b, string op)
    {
        SameDevice(a, b, op);
        SameDevice(cond, a, op);
        var dt = DTypes.ResultType(a, b);
        var shape = Shapes.Broadcast(Shapes.Broadcast(cond._shape, a._shape, op), b._shape, op);
        var c = cond.To(DType.Bool);
        var x = a.To(dt);
        var y = b.To(dt);
        var r = new Tensor(shape, dt, a.Device, op: op);
        int[][] st = [r._strides, Shapes.BroadcastStrides(c, shape), Shapes.BroadcastStrides(x, shape), Shapes.BroadcastStrides(y, shape)];
        int[] off = [0, c.StorageOffset, x.StorageOffset, y.StorageOffset];
        var cd = c.Data<bool>();
        switch (dt)
        {
            case DType.Float32: StridedLoop.Run(shape, st, off, new WhereRows<float>(r.Data<float>(), cd, x.Data<float>(), y.Data<float>())); break;
            case DType.Float64: StridedLoop.Run(shape, st, off, new WhereRows<double>(r.Data<double>(), cd, x.Data<double>(), y.Data<double>())); break;
            case DType.Int64: StridedLoop.Run(shape, st, off, new WhereRows<long>(r.Data<long>(), cd, x.Data<long>(), y.Data<long>())); break;
            case DType.Int32: StridedLoop.Run(shape, st, off, new WhereRows<int>(r.Data<int>(), cd, x.Data<int>(), y.Data<int>())); break;
            default: StridedLoop.Run(shape, st, off, new WhereRows<bool>(r.Data<bool>(), cd, x.Data<bool>(), y.Data<bool>())); break;
        }
        return r;
    }

    public static void SameDevice(Tensor a, Tensor b, string op)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: expected all tensors to be on the same device, but found {a.Device} and {b.Device}.");
        a.RequireCpu(op);
    }
}
