namespace Trace.Ops;

/// <summary>
/// Every op Trace reports, by name: the one table that the tracer, the IR verifier, the reference interpreter,
/// the passes and the backends read. Entries are grouped by family (elementwise, reductions, views, linear
/// algebra, indexing, in-place, factories), one file each; a registry test walks the table.
/// </summary>
public static partial class OpTable
{
    private static readonly Dictionary<string, OpDef> Defs = Build();

    private static Dictionary<string, OpDef> Build()
    {
        var all = new Dictionary<string, OpDef>(StringComparer.Ordinal);
        foreach (var d in ElementwiseOps().Concat(ReductionsOps()).Concat(ViewsOps()).Concat(LinalgOps()).Concat(IndexingOps()).Concat(InPlaceOps()).Concat(FactoriesOps()))
            if (!all.TryAdd(d.Name, d)) throw new InvalidOperationException($"OpTable: {d.Name} is defined twice.");
        return all;
    }

    /// <summary>All ops.</summary>
    public static IReadOnlyCollection<OpDef> All => Defs.Values;

    /// <summary>The op named <paramref name="name"/>, or null.</summary>
    public static OpDef? Find(string name) => Defs.GetValueOrDefault(name);

    /// <summary>The op named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No op has that name.</exception>
    public static OpDef Get(string name) => Find(name) ?? throw new KeyNotFoundException($"OpTable: no op named '{name}'.");

    /// <summary>True when an op named <paramref name="name"/> exists and has all of <paramref name="traits"/>.</summary>
    public static bool Has(string name, OpTraits traits) => Defs.TryGetValue(name, out var d) && d.Has(traits);

    /// <summary>An entry with one output.</summary>
    private static OpDef Def(string schema, OpTraits traits, Func<OpArgs, Tensor> eval, Type? kernel = null) =>
        new(OpSchema.Parse(schema), traits, a => [eval(a)], kernel, evalOne: eval);

    /// <summary>An entry with several outputs (or, with <paramref name="outputCount"/>, a count that depends on the inputs).</summary>
    private static OpDef DefN(string schema, OpTraits traits, Func<OpArgs, Tensor[]> eval, Func<int, (int, int)>? outputCount = null) =>
        new(OpSchema.Parse(schema), traits, eval, null, outputCount);

    /// <summary>A binary op over two operands, either of which may be a number.</summary>
    private static Tensor Binary(OpArgs a, Func<Tensor, Tensor, Tensor> f)
    {
        var (x, y) = a.Pair();
        return f(x, y);
    }
}
