using System.Collections.Concurrent;
using System.Globalization;

namespace Trace.Jit;

/// <summary>
/// How a <see cref="TensorType"/> holds symbolic sizes: its <c>Shape</c> and <c>Strides</c> stay <c>int[]</c>, a
/// non-negative entry is a static size, and an entry from <see cref="int.MinValue"/> up is the code of an interned
/// <see cref="SymExpr"/> (the same expression always has the same code, in this process; a small negative number is
/// no code, just an invalid size that <see cref="GraphVerifier"/> rejects). Passes that compare sizes for equality
/// therefore compare symbolic sizes exactly (<c>s0</c> equals only <c>s0</c>, never 1 or another symbol); code that
/// does arithmetic on sizes (element counts, loop bounds) evaluates them with <see cref="Evaluate(int[], long[])"/>
/// at run time. Printed, a symbolic size is its expression: <c>Float(s0, 1000, strides=[1000, 1], ...)</c>.
/// </summary>
public static class SymbolicDims
{
    private static readonly ConcurrentDictionary<string, int> Codes = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<int, SymExpr> Expressions = new();
    private static readonly Lock Gate = new();

    /// <summary>The size entry of <paramref name="e"/>: its value when constant (it must be a valid size), else its code.</summary>
    public static int Encode(SymExpr e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.IsConstant)
        {
            long c = e.ConstantValue;
            return c is >= 0 and <= int.MaxValue ? (int)c : throw new InvalidOperationException($"IR: {c} is not a valid size.");
        }
        var text = e.ToString();
        if (Codes.TryGetValue(text, out int code)) return code;
        lock (Gate)
        {
            if (Codes.TryGetValue(text, out code)) return code;
            code = int.MinValue + Expressions.Count;
            Expressions[code] = e;
            Codes[text] = code;
            return code;
        }
    }

    /// <summary>The expression of a size entry (a constant for a static size).</summary>
    public static SymExpr Decode(int size)
    {
        if (size >= 0) return SymExpr.Constant(size);
        return Expressions.TryGetValue(size, out var e) ? e : throw new InvalidOperationException($"IR: {size} is not a symbolic size code.");
    }

    /// <summary>True for the code of an interned expression (a negative entry that is not one is an invalid size).</summary>
    public static bool IsCode(int size) => size < 0 && Expressions.ContainsKey(size);

    /// <summary>True for a symbolic size entry (a code, not an invalid negative size).</summary>
    public static bool IsSymbolic(int size) => IsCode(size);

    /// <summary>True when any entry of <paramref name="sizes"/> is symbolic.</summary>
    public static bool AnySymbolic(int[] sizes) => sizes.Any(IsSymbolic);

    /// <summary>The text of a size entry: the number, or the expression.</summary>
    public static string Format(int size) => size >= 0 || !IsCode(size) ? size.ToString(CultureInfo.InvariantCulture) : Decode(size).ToString();

    /// <summary>Sizes as <c>(s0, 16)</c>, like <see cref="Shapes.Format"/>.</summary>
    public static string FormatShape(int[] sizes) => "(" + string.Join(", ", sizes.Select(Format)) + (sizes.Length == 1 ? ",)" : ")");

    /// <summary>Reads a size entry's text: a number or an expression.</summary>
    public static int Parse(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : Encode(SymExpr.Parse(text));

    /// <summary>The concrete sizes at <paramref name="symbols"/> (static entries are copied).</summary>
    public static int[] Evaluate(int[] sizes, long[]? symbols)
    {
        var r = new int[sizes.Length];
        for (int i = 0; i < r.Length; i++) r[i] = Evaluate(sizes[i], symbols);
        return r;
    }

    /// <summary>One size entry at <paramref name="symbols"/>.</summary>
    public static int Evaluate(int size, long[]? symbols)
    {
        if (size >= 0) return size;
        if (symbols is null) throw new InvalidOperationException($"JIT: the symbolic size {Format(size)} needs the graph's size symbols, which are not bound.");
        long v = Decode(size).Evaluate(symbols);
        return v is >= 0 and <= int.MaxValue ? (int)v
            : throw new InvalidOperationException($"JIT: the symbolic size {Format(size)} is {v} at ({string.Join(", ", symbols)}), not a valid size.");
    }

    /// <summary>The number of elements of <paramref name="sizes"/> as a size entry (symbolic when any size is).</summary>
    public static int Numel(int[] sizes) => Encode(sizes.Aggregate(SymExpr.Constant(1), (p, s) => p * Decode(s)));

    /// <summary>One more than the largest symbol index in <paramref name="sizes"/>.</summary>
    public static int SymbolCount(IEnumerable<int> sizes) => sizes.Where(IsSymbolic).Select(s => Decode(s).SymbolCount).DefaultIfEmpty(0).Max();

    /// <summary>
    /// True when <paramref name="strides"/> are row-major for <paramref name="shape"/> at every value of the symbols:
    /// static layouts as <see cref="Shapes.IsContiguous"/> decides; with symbols, each stride must be exactly the
    /// product of the sizes after it (a size that may be 1 is not skipped).
    /// </summary>
    public static bool IsContiguous(int[] shape, int[] strides)
    {
        if (strides.Length != shape.Length) return false;
        if (!AnySymbolic(shape) && !AnySymbolic(strides)) return Shapes.IsContiguous(shape, strides);
        var expected = SymExpr.Constant(1);
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (!Decode(strides[d]).Equals(expected)) return false;
            expected *= Decode(shape[d]);
        }
        return true;
    }
}
