namespace Trace;

/// <summary>Element type of a tensor. The order is the promotion order within PyTorch's categories.</summary>
public enum DType
{
    /// <summary>Boolean (1 byte per element).</summary>
    Bool,
    /// <summary>32-bit signed integer.</summary>
    Int32,
    /// <summary>64-bit signed integer (PyTorch's default integer type, used for indices).</summary>
    Int64,
    /// <summary>32-bit IEEE float (the default floating type).</summary>
    Float32,
    /// <summary>64-bit IEEE float.</summary>
    Float64,
}

/// <summary>Facts about <see cref="DType"/> values and PyTorch's type promotion.</summary>
public static class DTypes
{
    /// <summary>The default floating type (float32, as in PyTorch).</summary>
    public const DType DefaultFloat = DType.Float32;

    /// <summary>True for Float32 and Float64.</summary>
    public static bool IsFloatingPoint(this DType t) => t is DType.Float32 or DType.Float64;

    /// <summary>True for Int32 and Int64.</summary>
    public static bool IsIntegral(this DType t) => t is DType.Int32 or DType.Int64;

    /// <summary>Size in bytes of one element.</summary>
    public static int ElementSize(this DType t) => t switch
    {
        DType.Bool => 1,
        DType.Int32 or DType.Float32 => 4,
        _ => 8,
    };

    /// <summary>PyTorch's name for the dtype, e.g. <c>torch.float32</c>.</summary>
    public static string TorchName(this DType t) => t switch
    {
        DType.Bool => "torch.bool",
        DType.Int32 => "torch.int32",
        DType.Int64 => "torch.int64",
        DType.Float32 => "torch.float32",
        _ => "torch.float64",
    };

    /// <summary>The .NET element type stored for this dtype.</summary>
    public static Type ClrType(this DType t) => t switch
    {
        DType.Bool => typeof(bool),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float32 => typeof(float),
        _ => typeof(double),
    };

    /// <summary>The dtype stored as .NET type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32 :
        typeof(T) == typeof(double) ? DType.Float64 :
        typeof(T) == typeof(long) ? DType.Int64 :
        typeof(T) == typeof(int) ? DType.Int32 :
        typeof(T) == typeof(bool) ? DType.Bool :
        throw new NotSupportedException($"Trace has no dtype for .NET type {typeof(T).Name}; use float, double, long, int or bool.");

    internal static int Category(DType t) => t switch
    {
        DType.Bool => 0,
        DType.Int32 or DType.Int64 => 1,
        _ => 2,
    };

    /// <summary>Promotes two dtypes of equal priority (the larger in bool &lt; int &lt; float order).</summary>
    public static DType Promote(DType a, DType b) => (DType)Math.Max((int)a, (int)b);

    /// <summary>
    /// PyTorch's result type for a tensor-tensor op: dimensioned tensors decide; a zero-dim tensor only
    /// wins when it is of a higher category (bool &lt; integer &lt; floating).
    /// </summary>
    public static DType ResultType(Tensor a, Tensor b)
    {
        bool a0 = a.Dim == 0, b0 = b.Dim == 0;
        if (a0 == b0) return Promote(a.DType, b.DType);
        var (dimmed, zero) = a0 ? (b.DType, a.DType) : (a.DType, b.DType);
        return Category(zero) > Category(dimmed) ? zero : dimmed;
    }

    /// <summary>Result type of a tensor with a .NET scalar of the given category.</summary>
    public static DType ResultType(DType tensor, ScalarKind scalar)
    {
        int cat = scalar switch { ScalarKind.Bool => 0, ScalarKind.Integer => 1, _ => 2 };
        if (cat <= Category(tensor)) return tensor;
        return cat == 2 ? DefaultFloat : DType.Int64;
    }
}

/// <summary>The category of a .NET scalar operand.</summary>
public enum ScalarKind
{
    /// <summary>A bool.</summary>
    Bool,
    /// <summary>An int or long.</summary>
    Integer,
    /// <summary>A float or double.</summary>
    Floating,
}
