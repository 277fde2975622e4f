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
        foreach (var d in ElementwiseOps().Concat(ReductionsOps()).Concat(ViewsOps()).Concat(LinalgOps()).Concat(ConvolutionOps()).Concat(IndexingOps()).Concat(InPlaceOps())
                     .Concat(FactoriesOps()).Concat(SortScanOps()).Concat(ScatterOps()).Concat(RecurrentOps()))
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

    /// <summary>An entry with one output; <paramref name="out"/>, its out= form, gets the op's name.</summary>
    private static OpDef Def(string schema, OpTraits traits, Func<OpArgs, Tensor> eval, Type? kernel = null, Func<OpArgs, Tensor, string, Tensor>? @out = null)
    {
        var parsed = OpSchema.Parse(schema);
        return new(parsed, traits, a => [eval(a)], kernel, evalOne: eval, evalOneOut: @out is null ? null : (a, r) => @out(a, r, parsed.Name));
    }

    /// <summary>An entry with several outputs (or, with <paramref name="outputCount"/>, a count that depends on the inputs).</summary>
    private static OpDef DefN(string schema, OpTraits traits, Func<OpArgs, Tensor[]> eval, Func<int, (int, int)>? outputCount = null, Func<OpArgs, Tensor, Tensor[]>? @out = null) =>
        new(OpSchema.Parse(schema), traits, eval, null, outputCount, evalOut: @out);

    /// <summary>The out= form of an elementwise binary op.</summary>
    private static Func<OpArgs, Tensor, string, Tensor> BinaryOut(BinaryKind k) => (a, r, op) =>
    {
        var (x, y) = a.Pair();
        return Dispatch.Out(op, r, [x, y], () => ElementwiseDispatch.Binary(k, x, y, op, r));
    };

    /// <summary>The out= form of an elementwise unary op.</summary>
    private static Func<OpArgs, Tensor, string, Tensor> UnaryOut(UnaryKind k) => (a, r, op) =>
        Dispatch.Out(op, r, [a.T(0)], () => ElementwiseDispatch.Unary(k, a.T(0), op, r));

    /// <summary>The out= form of a floating unary op given by its kernel struct.</summary>
    private static Func<OpArgs, Tensor, string, Tensor> UnaryOut<TOp>() where TOp : Trace.Kernels.IUnaryOp<float>, Trace.Kernels.IUnaryOp<double> => (a, r, op) =>
        Dispatch.Out(op, r, [a.T(0)], () => ElementwiseDispatch.UnaryFloating<TOp>(a.T(0), op, r));

    /// <summary>The out= form of a comparison or logical op.</summary>
    private static Func<OpArgs, Tensor, string, Tensor> CompareOut(CompareKind k) => (a, r, op) =>
    {
        var (x, y) = a.Pair();
        return Dispatch.Out(op, r, [x, y], () => ElementwiseDispatch.Compare(k, x, y, op, r));
    };

    /// <summary>A binary op over two operands, either of which may be a number.</summary>
    private static Tensor Binary(OpArgs a, Func<Tensor, Tensor, Tensor> f)
    {
        var (x, y) = a.Pair();
        return f(x, y);
    }
}
