using System.Globalization;

namespace Trace.Ops;

/// <summary>
/// Typed access to an op call's arguments in schema order (tensors, then numbers, bools, strings, int lists, or null
/// for None), with errors that name the op, the argument and what it expected.
/// </summary>
public readonly struct OpArgs(string op, object?[] values)
{
    /// <summary>The op being called.</summary>
    public string Op => op;

    /// <summary>Number of arguments given.</summary>
    public int Count => values.Length;

    /// <summary>True when argument <paramref name="i"/> is a tensor.</summary>
    public bool IsTensor(int i) => At(i) is Tensor;

    /// <summary>A tensor argument.</summary>
    public Tensor T(int i) => At(i) as Tensor ?? throw Bad(i, "Tensor");

    /// <summary>A tensor argument that may be None or left out.</summary>
    public Tensor? OptT(int i) => i < values.Length ? values[i] as Tensor : null;

    /// <summary>An int argument.</summary>
    public long L(int i) => At(i) is long l ? l : throw Bad(i, "int");

    /// <summary>An int argument that must fit in 32 bits.</summary>
    public int I(int i) => ToInt(i, L(i));

    /// <summary>A float argument (an int is accepted).</summary>
    public double D(int i) => At(i) switch { double d => d, long l => l, _ => throw Bad(i, "float") };

    /// <summary>A float argument that may be None.</summary>
    public double? OptD(int i) => At(i) is null ? null : D(i);

    /// <summary>An int argument that may be None or left out.</summary>
    public int? OptI(int i) => i < values.Length && values[i] is not null ? I(i) : null;

    /// <summary>A bool argument.</summary>
    public bool B(int i) => At(i) is bool b ? b : throw Bad(i, "bool");

    /// <summary>A string argument.</summary>
    public string S(int i) => At(i) as string ?? throw Bad(i, "str");

    /// <summary>A dtype argument (a c10::ScalarType code).</summary>
    public DType DT(int i) => ScalarTypes.FromCode(L(i));

    /// <summary>An int list argument whose elements fit in 32 bits.</summary>
    public int[] Ints(int i)
    {
        if (At(i) is not long[] list) throw Bad(i, "int[]");
        var r = new int[list.Length];
        for (int k = 0; k < r.Length; k++) r[k] = ToInt(i, list[k]);
        return r;
    }

    /// <summary>Arguments <paramref name="from"/> up to (not including) <paramref name="to"/>, all tensors (a <c>Tensor[]</c>).</summary>
    public Tensor[] Tensors(int from, int to)
    {
        if (to <= from) throw Bad(from, "a list of tensors");
        var r = new Tensor[to - from];
        for (int k = 0; k < r.Length; k++) r[k] = T(from + k);
        return r;
    }

    /// <summary>The two operands of a binary op, either of which may be a number (it becomes a wrapped 0-dim tensor).</summary>
    public (Tensor, Tensor) Pair() => IsTensor(0) ? (T(0), TS(1, T(0))) : (TS(0, T(1)), T(1));

    /// <summary>A tensor argument, or a number turned into a wrapped 0-dim tensor typed against <paramref name="like"/>.</summary>
    public Tensor TS(int i, Tensor like) => At(i) switch
    {
        Tensor t => t,
        long l => like.WrapScalar(l, ScalarKind.Integer),
        double d => like.WrapScalar(d, ScalarKind.Floating),
        bool b => like.WrapScalar(b ? 1 : 0, ScalarKind.Bool),
        _ => throw Bad(i, "Tensor or number"),
    };

    /// <summary>Argument <paramref name="i"/>, or null past the end (each accessor then names what it expected).</summary>
    private object? At(int i) => (uint)i < (uint)values.Length ? values[i] : null;

    private int ToInt(int i, long value) => value is >= int.MinValue and <= int.MaxValue ? (int)value
        : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{op}: argument {i} is {value}, which does not fit in a 32-bit int."));

    private ArgumentException Bad(int i, string expected) => new(
        $"{op} expects argument {i} to be {expected}, got {((uint)i < (uint)values.Length ? values[i]?.GetType().Name ?? "None" : "nothing")}.");
}

/// <summary>TorchScript's integer codes for dtypes (c10::ScalarType), used for dtype arguments in the IR.</summary>
public static class ScalarTypes
{
    /// <summary>The code of a dtype: Int=3, Long=4, Float=6, Double=7, Bool=11.</summary>
    public static long Code(DType d) => d switch
    {
        DType.Int32 => 3,
        DType.Int64 => 4,
        DType.Float32 => 6,
        DType.Float64 => 7,
        _ => 11,
    };

    /// <summary>The dtype of a code.</summary>
    public static DType FromCode(long code) => code switch
    {
        3 => DType.Int32,
        4 => DType.Int64,
        6 => DType.Float32,
        7 => DType.Float64,
        11 => DType.Bool,
        _ => throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"unknown scalar type code {code} (expected 3, 4, 6, 7 or 11).")),
    };
}
