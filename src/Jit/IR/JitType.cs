namespace Trace.Jit;

/// <summary>The type of an IR value: a tensor with its full specialization, or a scalar/list/none type.</summary>
public abstract class JitType
{
    /// <summary>The canonical text form (<c>Float(64, 1000, strides=[1000, 1], requires_grad=0, device=cpu)</c>, <c>int</c>, <c>int[]</c>).</summary>
    public abstract override string ToString();

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is JitType t && t.ToString() == ToString();

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    /// <summary><c>int</c> (64-bit).</summary>
    public static readonly JitType Int = new ScalarType("int");
    /// <summary><c>float</c> (double precision).</summary>
    public static readonly JitType Float = new ScalarType("float");
    /// <summary><c>bool</c>.</summary>
    public static readonly JitType Bool = new ScalarType("bool");
    /// <summary><c>str</c>.</summary>
    public static readonly JitType Str = new ScalarType("str");
    /// <summary><c>int[]</c>.</summary>
    public static readonly JitType IntList = new ScalarType("int[]");
    /// <summary>The type of an absent optional argument.</summary>
    public static readonly JitType None = new ScalarType("NoneType");
    /// <summary>A tensor of unknown specialization.</summary>
    public static readonly JitType AnyTensor = new ScalarType("Tensor");
}

/// <summary>A non-tensor type, named as TorchScript names it.</summary>
public sealed class ScalarType(string name) : JitType
{
    /// <summary>The type's name.</summary>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// A tensor type specialized on dtype, shape, strides, requires_grad and device. Sizes and strides may be
/// symbolic (negative entries, see <see cref="SymbolicDims"/>), printed as expressions: <c>Float(s0, 16, strides=[16, 1], ...)</c>.
/// </summary>
public sealed class TensorType(DType dtype, int[] shape, int[] strides, bool requiresGrad, Device device) : JitType
{
    /// <summary>Element type.</summary>
    public DType DType { get; } = dtype;
    /// <summary>Sizes.</summary>
    public int[] Shape { get; } = shape;
    /// <summary>Strides.</summary>
    public int[] Strides { get; } = strides;
    /// <summary>Whether the value requires grad.</summary>
    public bool RequiresGrad { get; } = requiresGrad;
    /// <summary>Device.</summary>
    public Device Device { get; } = device;

    /// <summary>True when a size or stride is symbolic (depends on a dynamic dim).</summary>
    public bool IsSymbolic => SymbolicDims.AnySymbolic(Shape) || SymbolicDims.AnySymbolic(Strides);

    /// <summary>The type of a concrete tensor.</summary>
    public static TensorType Of(Tensor t) => new(t.DType, t.Shape.ToArray(), t.Strides.ToArray(), t.RequiresGrad, t.Device);

    /// <summary>TorchScript's scalar-type name: Float, Double, Long, Int, Bool.</summary>
    public static string DTypeName(DType d) => d switch
    {
        DType.Float32 => "Float",
        DType.Float64 => "Double",
        DType.Int64 => "Long",
        DType.Int32 => "Int",
        _ => "Bool",
    };

    /// <summary>Inverse of <see cref="DTypeName"/>.</summary>
    public static DType ParseDType(string name) => name switch
    {
        "Float" => DType.Float32,
        "Double" => DType.Float64,
        "Long" => DType.Int64,
        "Int" => DType.Int32,
        "Bool" => DType.Bool,
        _ => throw new FormatException($"IR: unknown tensor dtype '{name}'."),
    };

    /// <inheritdoc/>
    public override string ToString()
    {
        var parts = new List<string>();
        parts.AddRange(Shape.Select(SymbolicDims.Format));
        if (Shape.Length > 0) parts.Add($"strides=[{string.Join(", ", Strides.Select(SymbolicDims.Format))}]");
        parts.Add($"requires_grad={(RequiresGrad ? 1 : 0)}");
        parts.Add($"device={Device}");
        return $"{DTypeName(DType)}({string.Join(", ", parts)})";
    }
}
