using Trace.Ops;

namespace Trace.Jit;

/// <summary>Runs IR nodes through the eager ops: the op table's <see cref="OpDef.Eval"/>, looked up once per node.</summary>
internal static class OpExecutors
{
    /// <summary>The executor of <paramref name="kind"/> (one that throws when the table has no such op, so that a graph fails only if it reaches it).</summary>
    public static Func<object?[], Tensor> Resolve(string kind)
    {
        if (OpTable.Find(kind) is not { } def) return _ => throw Missing(kind);
        var (eval, label) = (def.EvalOne, "JIT: " + kind);
        return args => eval(new OpArgs(label, args));
    }

    private static NotSupportedException Missing(string kind) =>
        new($"JIT: no executor for op '{kind}'; it cannot be run from IR (custom functions run only in the graph they were traced into).");

    /// <summary>The executor of a node with several outputs: one tensor per output, in order.</summary>
    public static Func<object?[], Tensor[]> ResolveMany(string kind)
    {
        if (OpTable.Find(kind) is not { } def) return _ => throw Missing(kind);
        var (eval, label) = (def.Eval, "JIT: " + kind);
        return args => eval(new OpArgs(label, args));
    }

    /// <summary>The out= executor of <paramref name="kind"/> (writes its first output into the given buffer), or null when the op has no out= form.</summary>
    public static Func<object?[], Tensor, Tensor>? ResolveOut(string kind)
    {
        if (OpTable.Find(kind)?.EvalOneOut is not { } eval) return null;
        var label = "JIT: " + kind;
        return (args, into) => eval(new OpArgs(label, args), into);
    }

    /// <summary>The out= executor of a node with several outputs, or null when the op has no out= form.</summary>
    public static Func<object?[], Tensor, Tensor[]>? ResolveManyOut(string kind)
    {
        if (OpTable.Find(kind)?.EvalOut is not { } eval) return null;
        var label = "JIT: " + kind;
        return (args, into) => eval(new OpArgs(label, args), into);
    }

    /// <summary>Executes <paramref name="kind"/> once on resolved arguments.</summary>
    public static Tensor Execute(string kind, object?[] args) => Resolve(kind)(args);
}
