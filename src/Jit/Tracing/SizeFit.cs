namespace Trace.Jit;

/// <summary>
/// Finds the size expression behind a number that traces at different sizes recorded differently: given the
/// number's value in each trace and the size symbols' values there, the simplest expression that reproduces
/// every value exactly, tried in this order — a constant; <c>c·m</c>; <c>c·m + d</c>; <c>c1·m1 + c2·m2 + d</c> — with
/// integer coefficients and m a product of up to three symbols (<c>B·T</c>, <c>T·T</c>, <c>B·T·T</c>). Anything else (a
/// floor division, a clamp, a branch) has no expression; a fit that more traces contradict is replaced by a
/// new fit over all of them (<see cref="DynamicShapes"/>).
/// </summary>
internal static class SizeFit
{
    /// <summary>The expression with value <paramref name="values"/>[k] at symbols <paramref name="symbols"/>[k] for every trace k, or null.</summary>
    public static SymExpr? Fit(IReadOnlyList<long> values, IReadOnlyList<long[]> symbols)
    {
        if (values.All(v => v == values[0])) return SymExpr.Constant(values[0]);
        int count = symbols[0].Length;
        var monomials = Monomials(count, 3);
        foreach (var m in monomials)
            if (Scaled(values, symbols, m) is { } e) return e;
        foreach (var m in monomials)
            if (Affine(values, symbols, m) is { } e) return e;
        var low = monomials.Where(m => m.Length <= 2).ToList();
        for (int a = 0; a < low.Count; a++)
            for (int b = a + 1; b < low.Count; b++)
                if (TwoTerms(values, symbols, low[a], low[b]) is { } e) return e;
        return null;
    }

    /// <summary>Products of 1 to <paramref name="degree"/> symbols (ascending indices, repeats allowed), by degree then index.</summary>
    private static List<int[]> Monomials(int count, int degree)
    {
        var all = new List<int[]>();
        var level = Enumerable.Range(0, count).Select(s => new[] { s }).ToList();
        for (int d = 1; d <= degree && level.Count > 0; d++)
        {
            all.AddRange(level);
            level = [.. level.SelectMany(m => Enumerable.Range(m[^1], count - m[^1]).Select(s => (int[])[.. m, s]))];
        }
        return all;
    }

    private static long Value(int[] monomial, long[] symbols)
    {
        long p = 1;
        foreach (int s in monomial) p = checked(p * symbols[s]);
        return p;
    }

    private static SymExpr Term(long c, int[] monomial) => monomial.Aggregate(SymExpr.Constant(c), (e, s) => e * SymExpr.Symbol(s));

    private static SymExpr? Verified(SymExpr e, IReadOnlyList<long> values, IReadOnlyList<long[]> symbols)
    {
        for (int k = 0; k < values.Count; k++)
            if (e.Evaluate(symbols[k]) != values[k]) return null;
        return e;
    }

    private static SymExpr? Scaled(IReadOnlyList<long> values, IReadOnlyList<long[]> symbols, int[] m)
    {
        long m0 = Value(m, symbols[0]);
        if (m0 == 0 || values[0] % m0 != 0) return null;
        return Verified(Term(values[0] / m0, m), values, symbols);
    }

    private static SymExpr? Affine(IReadOnlyList<long> values, IReadOnlyList<long[]> symbols, int[] m)
    {
        long m0 = Value(m, symbols[0]);
        for (int k = 1; k < values.Count; k++)
        {
            long mk = Value(m, symbols[k]);
            if (mk == m0) continue;
            long dv = values[k] - values[0], dm = mk - m0;
            if (dv % dm != 0) return null;
            long c = dv / dm;
            return Verified(Term(c, m) + SymExpr.Constant(values[0] - c * m0), values, symbols);
        }
        return null;
    }

    /// <summary>c1·m1 + c2·m2 + d from the first three traces that determine it (solved exactly by Cramer's rule), checked on all.</summary>
    private static SymExpr? TwoTerms(IReadOnlyList<long> values, IReadOnlyList<long[]> symbols, int[] m1, int[] m2)
    {
        int n = values.Count;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                for (int k = j + 1; k < n; k++)
                {
                    int[] rows = [i, j, k];
                    var a = rows.Select(r => new[] { Value(m1, symbols[r]), Value(m2, symbols[r]), 1L }).ToArray();
                    var v = rows.Select(r => values[r]).ToArray();
                    Int128 det = Det(a);
                    if (det == 0) continue;
                    var coefficients = new long[3];
                    for (int c = 0; c < 3; c++)
                    {
                        var ac = a.Select((row, r) => row.Select((x, col) => col == c ? v[r] : x).ToArray()).ToArray();
                        Int128 num = Det(ac);
                        if (num % det != 0) return null;
                        coefficients[c] = (long)(num / det);
                    }
                    return Verified(Term(coefficients[0], m1) + Term(coefficients[1], m2) + SymExpr.Constant(coefficients[2]), values, symbols);
                }
        return null;
    }

    private static Int128 Det(long[][] a) =>
        (Int128)a[0][0] * ((Int128)a[1][1] * a[2][2] - (Int128)a[1][2] * a[2][1])
        - (Int128)a[0][1] * ((Int128)a[1][0] * a[2][2] - (Int128)a[1][2] * a[2][0])
        + (Int128)a[0][2] * ((Int128)a[1][0] * a[2][1] - (Int128)a[1][1] * a[2][0]);
}
