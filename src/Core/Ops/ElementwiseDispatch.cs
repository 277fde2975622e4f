namespace Trace;

internal enum BinaryKind { Add, Sub, Mul, Div, Maximum, Minimum, Pow, ClampMin, ClampMax }

internal enum UnaryKind { Neg, Abs, Relu, Square, Exp, Log, Sqrt, Rsqrt, Tanh, Sigmoid, Gelu, GeluTanh, Erf }

internal enum CompareKind { Eq, Ne, Lt, Le, Gt, Ge, And, Or, Xor }

/// <summary>
/// Picks the result dtype and shape of an elementwise op (PyTorch promotion and broadcasting), casts the
/// operands, then runs the kernel of the tensors' device (<see cref="DeviceKernels.For(Device, string)"/>).
/// </summary>
internal static class ElementwiseDispatch
{
    /// <summary>
    /// Computes op(a, b) into a new tensor, or into <paramref name="into"/> (an in-place op: the result must
    /// have that tensor's shape, and its dtype must be castable without changing category).
    /// </summary>
    public static Tensor Binary(BinaryKind k, Tensor a, Tensor b, string op, Tensor? into = null)
    {
        (a, b) = (Join(a, b), Join(b, a));
        var kernels = Kernels(a, b, op);
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
        kernels.Binary(k, shape, r, x, y);
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

    /// <summary>op(a) into a new tensor, or into <paramref name="into"/> (an out= buffer of the result's exact shape and dtype).</summary>
    public static Tensor Unary(UnaryKind k, Tensor a, string op, Tensor? into = null)
    {
        var kernels = DeviceKernels.For(a.Device, op).Elementwise;
        bool floating = k >= UnaryKind.Exp;
        var dt = a.DType;
        if (dt == DType.Bool && k == UnaryKind.Neg)
            throw new ArgumentException($"{op}: negation, the `-` operator, on a bool tensor is not supported (shape {Shapes.Format(a._shape)}); to invert a mask use the `!` operator or LogicalNot().");
        if (dt == DType.Bool && !floating)
            throw new ArgumentException($"{op}: not supported for bool tensors (shape {Shapes.Format(a._shape)}).");
        if (floating && !dt.IsFloatingPoint()) dt = DTypes.DefaultFloat;
        var x = a.To(dt);
        var r = OutBuffer.Or(into, (int[])a._shape.Clone(), dt, a.Device, op);
        kernels.Unary(k, r, x);
        return r;
    }

    /// <summary>
    /// A floating unary op given by its kernel struct (the op table names it; no enum entry): integer and bool inputs
    /// are promoted to the default float dtype, as PyTorch's unary float ops do.
    /// </summary>
    public static Tensor UnaryFloating<TOp>(Tensor a, string op, Tensor? into = null) where TOp : Kernels.IUnaryOp<float>, Kernels.IUnaryOp<double>
    {
        var kernels = DeviceKernels.For(a.Device, op).Elementwise;
        var dt = a.DType.IsFloatingPoint() ? a.DType : DTypes.DefaultFloat;
        var x = a.To(dt);
        var r = OutBuffer.Or(into, (int[])a._shape.Clone(), dt, a.Device, op);
        kernels.UnaryFloating<TOp>(r, x);
        return r;
    }

    /// <summary>A comparison or logical op into a new bool tensor, or into <paramref name="into"/> (an out= buffer).</summary>
    public static Tensor Compare(CompareKind k, Tensor a, Tensor b, string op, Tensor? into = null)
    {
        (a, b) = (Join(a, b), Join(b, a));
        var kernels = Kernels(a, b, op);
        bool logical = k >= CompareKind.And;
        var dt = logical ? DType.Bool : DTypes.ResultType(a, b);
        if (dt == DType.Bool && !logical) dt = DType.Int32;
        var shape = Shapes.Broadcast(a._shape, b._shape, op);
        var x = a.To(dt);
        var y = b.To(dt);
        var r = OutBuffer.Or(into, shape, DType.Bool, a.Device, op);
        kernels.Compare(k, shape, r, x, y);
        return r;
    }

    /// <summary>cond ? a : b into a new tensor, or into <paramref name="into"/> (an out= buffer).</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b, string op, Tensor? into = null)
    {
        // 0-dim CPU operands join the device of the others (the condition may be one too: a scalar exponent's mask).
        var device = cond.Device.Type != DeviceType.Cpu ? cond.Device : a.Device.Type != DeviceType.Cpu ? a.Device : b.Device;
        if (device.Type != DeviceType.Cpu) (cond, a, b) = (JoinTo(cond, device), JoinTo(a, device), JoinTo(b, device));
        SameDevice(cond, a, op);
        var kernels = Kernels(a, b, op);
        var dt = DTypes.ResultType(a, b);
        var shape = Shapes.Broadcast(Shapes.Broadcast(cond._shape, a._shape, op), b._shape, op);
        var c = cond.To(DType.Bool);
        var x = a.To(dt);
        var y = b.To(dt);
        var r = OutBuffer.Or(into, shape, dt, a.Device, op);
        kernels.Where(shape, r, c, x, y);
        return r;
    }

    /// <summary>
    /// <paramref name="t"/>, or a copy of it on <paramref name="other"/>'s device when it is a 0-dim CPU tensor (a wrapped
    /// .NET number or a scalar tensor) next to a tensor on a GPU: PyTorch lets those join any device's op. (The gradient
    /// of such a scalar that requires grad is not moved back to the CPU yet: it arrives on the GPU.)
    /// </summary>
    internal static Tensor Join(Tensor t, Tensor other) => other.Device.Type != DeviceType.Cpu ? JoinTo(t, other.Device) : t;

    /// <summary><paramref name="t"/>, or a copy of it on <paramref name="device"/> when it is a 0-dim CPU tensor.</summary>
    private static Tensor JoinTo(Tensor t, Device device) =>
        t.Device != device && t.Device.Type == DeviceType.Cpu && t.Dim == 0 ? CudaTransfer.Move(t, device) : t;

    public static void SameDevice(Tensor a, Tensor b, string op)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: expected all tensors to be on the same device, but found {a.Device} and {b.Device}.");
    }

    /// <summary>The elementwise kernels of the device both operands are on.</summary>
    private static IElementwiseKernels Kernels(Tensor a, Tensor b, string op)
    {
        SameDevice(a, b, op);
        return DeviceKernels.For(a.Device, op).Elementwise;
    }
}
