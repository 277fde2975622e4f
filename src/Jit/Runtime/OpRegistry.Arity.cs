namespace Trace.Jit;

/// <summary>How many node inputs an op reads: at least <see cref="Min"/>, at most <see cref="Max"/> (null: no limit).</summary>
public readonly record struct OpArity(int Min, int? Max)
{
    /// <summary>True when <paramref name="count"/> inputs are allowed.</summary>
    public bool Allows(int count) => count >= Min && (Max is not int max || count <= max);

    /// <summary><c>2</c>, <c>2 or 3</c>, <c>2 to 5</c> or <c>at least 2</c>.</summary>
    public override string ToString() => Max switch
    {
        null => $"at least {Min}",
        int max when max == Min => $"{Min}",
        int max when max == Min + 1 => $"{Min} or {max}",
        int max => $"{Min} to {max}",
    };
}

public static partial class OpRegistry
{
    /// <summary>
    /// The node inputs each executor reads (tensors, then non-tensor arguments, as the tracer records them), so
    /// that <see cref="GraphVerifier"/> rejects a call of the wrong arity before it runs. A test checks that this
    /// table and the executor table name the same ops.
    /// </summary>
    private static readonly Dictionary<string, OpArity> Arities = new()
    {
        ["aten::add"] = new(2, 2), ["aten::sub"] = new(2, 2), ["aten::mul"] = new(2, 2), ["aten::div"] = new(2, 2),
        ["aten::pow"] = new(2, 2), ["aten::maximum"] = new(2, 2), ["aten::minimum"] = new(2, 2),
        ["aten::clamp"] = new(3, 3),
        ["aten::neg"] = new(1, 1), ["aten::abs"] = new(1, 1), ["aten::exp"] = new(1, 1), ["aten::log"] = new(1, 1),
        ["aten::sqrt"] = new(1, 1), ["aten::rsqrt"] = new(1, 1), ["aten::square"] = new(1, 1), ["aten::tanh"] = new(1, 1),
        ["aten::sigmoid"] = new(1, 1), ["aten::relu"] = new(1, 1), ["aten::erf"] = new(1, 1),
        ["aten::gelu"] = new(2, 2), ["aten::gelu_backward"] = new(3, 3),
        ["aten::eq"] = new(2, 2), ["aten::ne"] = new(2, 2), ["aten::lt"] = new(2, 2), ["aten::le"] = new(2, 2),
        ["aten::gt"] = new(2, 2), ["aten::ge"] = new(2, 2),
        ["aten::logical_and"] = new(2, 2), ["aten::logical_or"] = new(2, 2), ["aten::logical_xor"] = new(2, 2),
        ["aten::logical_not"] = new(1, 1),
        ["aten::where"] = new(3, 3),
        ["aten::sum"] = new(3, 3), ["aten::prod"] = new(3, 3), ["aten::amax"] = new(3, 3), ["aten::amin"] = new(3, 3),
        ["aten::max"] = new(1, 3), ["aten::min"] = new(1, 3), ["aten::var"] = new(4, 4), ["aten::std"] = new(4, 4), ["aten::argmax"] = new(3, 3), ["aten::argmin"] = new(3, 3),
        ["aten::softmax"] = new(2, 2), ["aten::log_softmax"] = new(2, 2),
        ["aten::layer_norm"] = new(5, 5),
        ["aten::any"] = new(1, 1), ["aten::all"] = new(1, 1),
        ["aten::matmul"] = new(2, 2), ["aten::linear"] = new(2, 3),
        ["trace::linear_relu"] = new(2, 3), ["trace::linear_add"] = new(4, 4),
        ["aten::view"] = new(2, 2), ["aten::reshape"] = new(2, 2), ["aten::transpose"] = new(3, 3), ["aten::permute"] = new(2, 2),
        ["aten::squeeze"] = new(1, 2), ["aten::unsqueeze"] = new(2, 2), ["aten::expand"] = new(2, 2),
        ["aten::narrow"] = new(4, 4), ["aten::slice"] = new(5, 5), ["aten::select"] = new(3, 3), ["aten::slice_backward"] = new(5, 5),
        ["aten::clone"] = new(1, 1), ["aten::contiguous"] = new(1, 1), ["aten::detach"] = new(1, 1), ["aten::to"] = new(2, 2),
        ["aten::cat"] = new(2, null),
        ["aten::gather"] = new(3, 3), ["aten::gather_backward"] = new(4, 4),
        ["aten::index_select"] = new(3, 3), ["aten::index_select_backward"] = new(4, 4),
        ["aten::masked_fill"] = new(3, 3),
        ["aten::copy_"] = new(2, 2), ["aten::add_"] = new(2, 2), ["aten::sub_"] = new(2, 2), ["aten::mul_"] = new(2, 2),
        ["aten::div_"] = new(2, 2), ["aten::clamp_"] = new(3, 3), ["aten::fill_"] = new(2, 2),
        ["aten::rand"] = new(2, 2), ["aten::randn"] = new(2, 2), ["aten::randint"] = new(3, 3),
        ["aten::zeros"] = new(2, 2), ["aten::full"] = new(3, 3), ["aten::arange"] = new(3, 3),
    };

    /// <summary>The number of inputs <paramref name="kind"/> reads, or null for an op the registry cannot execute.</summary>
    public static OpArity? ArityOf(string kind) =>
        Arities.TryGetValue(kind, out var a) || MultiOutputArities.TryGetValue(kind, out a) ? a : null;

    /// <summary>Op kinds that have an arity entry (the same set as <see cref="Kinds"/>).</summary>
    internal static IReadOnlyCollection<string> KindsWithArity => [.. Arities.Keys.Union(MultiOutputArities.Keys)];
}
