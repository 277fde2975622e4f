using System.Globalization;
using System.Text;

namespace Trace.Jit;

/// <summary>
/// A size expression: a polynomial with integer coefficients over the size symbols <c>s0</c>, <c>s1</c>, ... of a
/// graph's dynamic dims — <c>s0</c>, <c>16*s0</c>, <c>s0*s1</c>, <c>s0-1</c>, <c>s0*s0</c>. Its text has no spaces:
/// terms by decreasing degree, then by their symbols, the constant last (<c>2*s0*s1+s1-1</c>); equal
/// polynomials have equal text.
/// </summary>
public sealed class SymExpr : IEquatable<SymExpr>
{
    /// <summary>One term: a coefficient times the product of <see cref="Symbols"/> (ascending, repeated for powers; empty for the constant).</summary>
    internal readonly record struct Term(long Coefficient, int[] Symbols);

    private readonly Term[] _terms;
    private readonly string _text;

    private SymExpr(IEnumerable<Term> terms)
    {
        var merged = new Dictionary<string, Term>(StringComparer.Ordinal);
        foreach (var t in terms)
        {
            if (t.Coefficient == 0) continue;
            var key = string.Join(",", t.Symbols);
            merged[key] = merged.TryGetValue(key, out var m) ? m with { Coefficient = checked(m.Coefficient + t.Coefficient) } : t;
        }
        _terms = [.. merged.Values.Where(t => t.Coefficient != 0).OrderByDescending(t => t.Symbols.Length).ThenBy(t => t.Symbols, SymbolOrder.Instance)];
        _text = Format(_terms);
    }

    /// <summary>The constant <paramref name="value"/>.</summary>
    public static SymExpr Constant(long value) => new([new Term(value, [])]);

    /// <summary>The symbol <c>s</c><paramref name="index"/>.</summary>
    public static SymExpr Symbol(int index) => index < 0
        ? throw new ArgumentOutOfRangeException(nameof(index), $"IR: size symbol index {index} is negative.")
        : new([new Term(1, [index])]);

    /// <summary>The terms in canonical order.</summary>
    internal IReadOnlyList<Term> Terms => _terms;

    /// <summary>True when no symbol occurs.</summary>
    public bool IsConstant => _terms.All(t => t.Symbols.Length == 0);

    /// <summary>The value of a constant expression.</summary>
    public long ConstantValue => IsConstant ? _terms.Sum(t => t.Coefficient)
        : throw new InvalidOperationException($"IR: size expression {this} is not a constant.");

    /// <summary>The symbol index when the expression is exactly one symbol (<c>s2</c> → 2), else null.</summary>
    public int? BareSymbol => _terms is [{ Coefficient: 1, Symbols: [var s] }] ? s : null;

    /// <summary>One more than the largest symbol index that occurs (0 for a constant).</summary>
    public int SymbolCount => _terms.Select(t => t.Symbols.Length == 0 ? 0 : t.Symbols[^1] + 1).DefaultIfEmpty(0).Max();

    /// <summary>The sum.</summary>
    public static SymExpr operator +(SymExpr a, SymExpr b) => new(a._terms.Concat(b._terms));

    /// <summary>The difference.</summary>
    public static SymExpr operator -(SymExpr a, SymExpr b) => new(a._terms.Concat(b._terms.Select(t => t with { Coefficient = -t.Coefficient })));

    /// <summary>The product.</summary>
    public static SymExpr operator *(SymExpr a, SymExpr b) =>
        new(a._terms.SelectMany(x => b._terms, (x, y) => new Term(checked(x.Coefficient * y.Coefficient), [.. x.Symbols.Concat(y.Symbols).Order()])));

    /// <summary>The value at <paramref name="symbols"/> (symbol i has value symbols[i]).</summary>
    /// <exception cref="InvalidOperationException">A symbol has no value, or the value overflows 64 bits.</exception>
    public long Evaluate(ReadOnlySpan<long> symbols)
    {
        long sum = 0;
        try
        {
            foreach (var t in _terms)
            {
                long p = t.Coefficient;
                foreach (int s in t.Symbols)
                {
                    if (s >= symbols.Length)
                        throw new InvalidOperationException($"JIT: size expression {this} reads s{s}, but only {symbols.Length} size symbol(s) are bound.");
                    p = checked(p * symbols[s]);
                }
                sum = checked(sum + p);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidOperationException($"JIT: size expression {this} overflows at ({string.Join(", ", symbols.ToArray())}).");
        }
        return sum;
    }

    /// <summary>Parses the text form (<c>2*s0*s1+s1-1</c>; spaces are allowed).</summary>
    /// <exception cref="FormatException">The text is not a size expression.</exception>
    public static SymExpr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Replace(" ", "", StringComparison.Ordinal);
        if (s.Length == 0) throw new FormatException("IR: empty size expression.");
        var terms = new List<Term>();
        int start = 0;
        for (int i = 1; i <= s.Length; i++)
        {
            if (i < s.Length && s[i] is not ('+' or '-')) continue;
            terms.Add(ParseTerm(s[start..i], text));
            start = i;
        }
        return new SymExpr(terms);
    }

    private static Term ParseTerm(string term, string text)
    {
        long sign = 1;
        if (term.StartsWith('+')) term = term[1..];
        else if (term.StartsWith('-')) { sign = -1; term = term[1..]; }
        long coefficient = sign;
        var symbols = new List<int>();
        foreach (var factor in term.Split('*'))
        {
            if (factor.Length > 1 && factor[0] == 's' && int.TryParse(factor.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                symbols.Add(index);
            else if (long.TryParse(factor, NumberStyles.None, CultureInfo.InvariantCulture, out long c))
                coefficient = checked(coefficient * c);
            else throw new FormatException($"IR: '{text}' is not a size expression (bad factor '{factor}'; expected an integer or s<i>).");
        }
        return new Term(coefficient, [.. symbols.Order()]);
    }

    private static string Format(Term[] terms)
    {
        if (terms.Length == 0) return "0";
        var sb = new StringBuilder();
        foreach (var t in terms)
        {
            long c = t.Coefficient;
            if (sb.Length > 0) sb.Append(c < 0 ? '-' : '+');
            else if (c < 0) sb.Append('-');
            long abs = Math.Abs(c);
            var factors = t.Symbols.Select(s => "s" + s.ToString(CultureInfo.InvariantCulture)).ToList();
            if (abs != 1 || factors.Count == 0) factors.Insert(0, abs.ToString(CultureInfo.InvariantCulture));
            sb.Append(string.Join("*", factors));
        }
        return sb.ToString();
    }

    /// <inheritdoc/>
    public bool Equals(SymExpr? other) => other is not null && other._text == _text;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as SymExpr);

    /// <inheritdoc/>
    public override int GetHashCode() => _text.GetHashCode(StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => _text;

    private sealed class SymbolOrder : IComparer<int[]>
    {
        public static readonly SymbolOrder Instance = new();

        public int Compare(int[]? x, int[]? y)
        {
            for (int i = 0; i < Math.Min(x!.Length, y!.Length); i++)
                if (x[i] != y[i]) return x[i].CompareTo(y[i]);
            return x.Length.CompareTo(y.Length);
        }
    }
}
