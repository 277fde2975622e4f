namespace Trace.Ops;

/// <summary>
/// What the passes, the memory planner and the backends may assume about an op. Each op's entry in
/// <see cref="OpTable"/> lists its traits once; nothing else keeps lists of op names.
/// </summary>
[Flags]
public enum OpTraits
{
    /// <summary>No trait.</summary>
    None = 0,
    /// <summary>Each output element depends only on the input elements at the same (broadcast) index.</summary>
    Elementwise = 1 << 0,
    /// <summary>The output may share storage with the first input (views, and ops such as <c>to</c> that may return their input).</summary>
    View = 1 << 1,
    /// <summary>Writes into its first input and returns it (<c>aten::add_</c>).</summary>
    InPlace = 1 << 2,
    /// <summary>The output is always a new tensor that no input aliases (a memory plan may place it in a reused buffer).</summary>
    FreshOutput = 1 << 3,
    /// <summary>Draws from a random generator: two runs on the same inputs differ, so it is never merged, folded or recomputed.</summary>
    Random = 1 << 4,
    /// <summary>Cheap enough that a backward pass recomputes it rather than saving its output.</summary>
    Cheap = 1 << 5,
    /// <summary>Reduces over dims.</summary>
    Reduction = 1 << 6,
    /// <summary>Makes a tensor from non-tensor arguments alone (sizes, a fill value, a dtype).</summary>
    Factory = 1 << 7,
    /// <summary>No gradient flows through it (comparisons, indices, casts to integers); the registry test needs no gradcheck case for it.</summary>
    NonDifferentiable = 1 << 8,
    /// <summary>A fusion group may contain it: compiled backends have a lowering for it in float32 and float64.</summary>
    Fusible = 1 << 9,
    /// <summary>Transcendental work per element (exp, tanh, erf…): loops over it split across cores sooner.</summary>
    Transcendental = 1 << 10,
}

/// <summary>
/// One op, defined once: its name and schema, its traits, how to run it from IR arguments through the eager API
/// (the reference every backend is checked against), and, for elementwise math, the kernel struct that compiled
/// code calls (the same struct the eager CPU kernel runs, so fused and eager agree bit for bit). Its backward rule
/// sits with the Tensor method that records it (rules are written with Tensor ops, so they trace).
/// </summary>
public sealed class OpDef
{
    internal OpDef(OpSchema schema, OpTraits traits, Func<OpArgs, Tensor[]> eval, Type? kernel, Func<int, (int, int)>? outputCount = null, Func<OpArgs, Tensor>? evalOne = null,
        Func<OpArgs, Tensor, Tensor[]>? evalOut = null, Func<OpArgs, Tensor, Tensor>? evalOneOut = null)
    {
        EvalOne = evalOne ?? (a => eval(a)[0]);
        EvalOneOut = evalOneOut ?? (evalOut is null ? null : (a, o) => evalOut(a, o)[0]);
        EvalOut = evalOut ?? (evalOneOut is null ? null : (a, o) => [evalOneOut(a, o)]);
        Schema = schema;
        Traits = traits;
        Eval = eval;
        Kernel = kernel;
        _outputCount = outputCount;
    }

    private readonly Func<int, (int, int)>? _outputCount;

    /// <summary>
    /// How many outputs a call with <paramref name="inputs"/> node inputs has: the schema's, except for ops whose overloads
    /// differ (<c>max(x)</c> returns one tensor, <c>max(x, dim, keepdim)</c> values and indices — or only values, as older IR holds).
    /// </summary>
    public (int Min, int Max) OutputCount(int inputs) => _outputCount?.Invoke(inputs) ?? (Schema.Outputs, Schema.Outputs);

    /// <summary>The op's qualified name, e.g. <c>aten::add</c>.</summary>
    public string Name => Schema.Name;

    /// <summary>Argument names and kinds, and the outputs.</summary>
    public OpSchema Schema { get; }

    /// <summary>What passes and backends may assume.</summary>
    public OpTraits Traits { get; }

    /// <summary>
    /// Runs the op through the eager API on arguments in schema order (tensors, numbers, bools, strings, int lists,
    /// or null for None) and returns its outputs (the first is the differentiable one; others are indices or statistics). Eager ops record autograd as usual, so gradients flow through it.
    /// </summary>
    public Func<OpArgs, Tensor[]> Eval { get; }

    /// <summary>The first output of <see cref="Eval"/>, without an array per call (what executors of one-output nodes run).</summary>
    public Func<OpArgs, Tensor> EvalOne { get; }

    /// <summary>
    /// The op's out= form (PyTorch's <c>aten::add.out</c>), or null when it has none: as <see cref="Eval"/>, but the first
    /// output is written into the given tensor — contiguous, of exactly the output's shape, dtype and device (elementwise
    /// binary ops also take a dtype the result casts to without changing category, as PyTorch's out= does) — which it
    /// returns; other outputs are new. A buffer that does not fit is an error naming the op. Compiled graphs hand planned buffers to ops this way. Like PyTorch's out= overloads it
    /// does not support autograd (an input that requires grad while autograd records is an error), and it is checked
    /// against <see cref="Eval"/> for every op that has it.
    /// </summary>
    public Func<OpArgs, Tensor, Tensor[]>? EvalOut { get; }

    /// <summary>The first output of <see cref="EvalOut"/>, without an array per call.</summary>
    public Func<OpArgs, Tensor, Tensor>? EvalOneOut { get; }

    /// <summary>
    /// For elementwise math: the kernel struct (<c>Trace.Kernels.IUnaryOp</c>/<c>IBinaryOp</c> over float and double;
    /// an open generic such as <c>AddOp&lt;&gt;</c> is closed over the element type) whose <c>Apply</c> compiled code
    /// calls; null for ops that backends lower by structure (comparisons, selects) or do not fuse.
    /// </summary>
    public Type? Kernel { get; }

    /// <summary>True when the op has all of <paramref name="traits"/>.</summary>
    public bool Has(OpTraits traits) => (Traits & traits) == traits;

    /// <inheritdoc/>
    public override string ToString() => Schema.ToString();
}
