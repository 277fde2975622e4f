namespace Trace.Jit;

public static partial class OpRegistry
{
    /// <summary>
    /// Executors of ops with several outputs, which return one tensor per node output, in order. The first output is
    /// the differentiable one; the others are indices or saved statistics (see <c>Dispatch.Record</c>'s multi-output form).
    /// <c>aten::max</c>/<c>aten::min</c> are here in their dim form (values, indices); their reduce-all form, and the
    /// values-only dim form of older IR text, stay in the one-output table.
    /// </summary>
    private static readonly Dictionary<string, Func<Args, Tensor[]>> MultiOps = new()
    {
        ["aten::native_layer_norm"] = a =>
        {
            var (y, mean, rstd) = a.T(0).NativeLayerNorm(a.Ints(3), a.OptT(1), a.OptT(2), a.D(4));
            return [y, mean, rstd];
        },
        ["aten::max"] = a => Pair(a.T(0).Max(a.I(1), a.B(2))),
        ["aten::min"] = a => Pair(a.T(0).Min(a.I(1), a.B(2))),
    };

    /// <summary>The inputs of the ops only the multi-output table runs (tensors, then non-tensor arguments).</summary>
    private static readonly Dictionary<string, OpArity> MultiOutputArities = new()
    {
        ["aten::native_layer_norm"] = new(5, 5),
    };

    private static Tensor[] Pair(ValuesIndices r) => [r.Values, r.Indices];

    /// <summary>
    /// How many outputs a node of <paramref name="kind"/> with <paramref name="inputCount"/> inputs has: 3 for
    /// <c>aten::native_layer_norm</c> (output, mean, rstd), 2 for <c>aten::max</c>/<c>aten::min</c> along a dim
    /// (values, indices), and otherwise 1 — or 1 or 2 for the dim form of max/min, whose values-only node older IR holds.
    /// </summary>
    public static (int Min, int Max) OutputCountOf(string kind, int inputCount) => kind switch
    {
        "aten::native_layer_norm" => (3, 3),
        "aten::max" or "aten::min" when inputCount == 3 => (1, 2),
        _ => (1, 1),
    };

    /// <summary>Executes the multi-output op <paramref name="kind"/> on resolved arguments: one tensor per output.</summary>
    public static Tensor[] ExecuteMany(string kind, object?[] args) => ResolveMany(kind)(args);

    /// <summary>The multi-output executor of <paramref name="kind"/>, looked up once (one that throws when there is none).</summary>
    internal static Func<object?[], Tensor[]> ResolveMany(string kind)
    {
        if (!MultiOps.TryGetValue(kind, out var f))
            return _ => throw new NotSupportedException($"JIT: no executor for op '{kind}' with several outputs; it cannot be run from IR.");
        return args => f(new Args(kind, args));
    }
}
