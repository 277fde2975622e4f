using Trace.Ops;

namespace Trace.Jit;

/// <summary>
/// A graph prepared for repeated runs: values numbered into slots of an array, each node's executor, argument
/// slots and constant resolved once, int lists built once, and (optionally) a <see cref="MemoryPlan"/>.
/// It is the executable of both backends: <see cref="CpuBackend"/> plans memory and runs fusion groups compiled,
/// <see cref="ReferenceBackend"/> does neither; the backend supplies how a fusion group runs (<see cref="FusionGroupRunner"/>).
/// Specializations keep one per graph; <see cref="Interpreter.Run(Graph, IReadOnlyList{Tensor})"/> prepares one per call.
/// The graph must not change after preparation. A symbolic graph (sizes that depend on dynamic dims) binds its size
/// symbols at each call (<see cref="SymbolBinder"/>) and evaluates its <c>prim::SymInt</c>/<c>prim::SymFloat</c> nodes
/// and its fusion groups' sizes from them.
/// </summary>
internal sealed class GraphProgram : IExecutable
{
    /// <summary>
    /// Runs a fusion group (whose body's input types the inputs were checked against) and returns its one output, written
    /// into <paramref name="into"/> when given (a contiguous buffer of the output's type from element 0 of its storage).
    /// </summary>
    internal delegate Tensor FusionGroupRunner(Node group, Tensor[] inputs, long[]? symbols, Tensor? into);

    private enum StepKind { Constant, MutatedConstant, List, FusionGroup, Guard, Op, MultiOp, Size }

    /// <summary>
    /// One node: <see cref="Output"/> is its slot (one output), <see cref="Outputs"/> its slots (a multi-output op, run by
    /// <see cref="ExecuteMany"/>). <see cref="ExecuteOut"/>/<see cref="ExecuteManyOut"/> are the op's out= forms (null when it has none).
    /// </summary>
    private readonly record struct Step(Node Node, StepKind Kind, int[] Args, int Output, object? Value, Func<object?[], Tensor>? Execute)
    {
        public int[] Outputs { get; init; } = [];

        public Func<object?[], Tensor[]>? ExecuteMany { get; init; }

        public Func<object?[], Tensor, Tensor>? ExecuteOut { get; init; }

        public Func<object?[], Tensor, Tensor[]>? ExecuteManyOut { get; init; }
    }

    private readonly Graph _graph;
    private readonly Step[] _steps;
    private readonly int _slots;
    private readonly int[] _outputs;
    private readonly bool[] _outputIsConstant;
    private readonly int[] _outputOfStep;   // per step: the graph output it produces as a fresh tensor, or -1
    private readonly SymbolBinder? _binder;  // null for a graph without symbolic sizes
    private readonly bool _checkShapes;      // symbolic graphs: every op's output has the sizes its type evaluates to
    private readonly FusionGroupRunner _runFusionGroup;
    private readonly bool _acceptsOutputBuffers;
    private readonly bool _constantsRequireGrad;   // a tensor constant that requires grad: eager ops on it record a tape

    /// <summary>Prepares <paramref name="graph"/> as the CPU backend runs it (fusion groups compiled), with or without a memory plan.</summary>
    public GraphProgram(Graph graph, bool planMemory) : this(graph, planMemory, CpuBackend.RunFusionGroup) { }

    /// <summary>
    /// Prepares <paramref name="graph"/>; <paramref name="runFusionGroup"/> runs its fusion groups, and with
    /// <paramref name="acceptsOutputBuffers"/> false a caller's output buffers are ignored.
    /// </summary>
    public GraphProgram(Graph graph, bool planMemory, FusionGroupRunner runFusionGroup, bool acceptsOutputBuffers = true)
    {
        _graph = graph;
        _runFusionGroup = runFusionGroup;
        _acceptsOutputBuffers = acceptsOutputBuffers;
        var slot = new Dictionary<Value, int>();
        foreach (var v in graph.Inputs) slot[v] = slot.Count;
        var steps = new List<Step>(graph.Nodes.Count);
        var mutated = PassUtil.MutatedValues(graph);
        foreach (var n in graph.Nodes)
        {
            var args = n.Inputs.Select(v => slot.TryGetValue(v, out int s) ? s : throw new InvalidOperationException($"JIT: {n} reads %{v.Name} before it is defined.")).ToArray();
            CheckRunnable(n);
            int output = -1;
            if (n.Outputs.Count == 1) slot[n.Output] = output = slot.Count;
            if (n.Outputs.Count > 1)
            {
                // Several outputs (native_layer_norm's output, mean and rstd): one slot each; the first may be planned.
                var outputs = new int[n.Outputs.Count];
                for (int k = 0; k < outputs.Length; k++) slot[n.Outputs[k]] = outputs[k] = slot.Count;
                steps.Add(new Step(n, StepKind.MultiOp, args, -1, null, null)
                    { Outputs = outputs, ExecuteMany = OpExecutors.ResolveMany(n.Kind), ExecuteManyOut = OpExecutors.ResolveManyOut(n.Kind) });
                continue;
            }
            var step = n.Kind switch
            {
                // A constant that an in-place op writes to (directly or through a view) gets a fresh copy per run, so that runs stay independent.
                "prim::Constant" => n.Attribute is TensorRef
                    ? new Step(n, mutated.Contains(n.Output) ? StepKind.MutatedConstant : StepKind.Constant,
                        args, output, graph.ConstantTensor(n), null)
                    : new Step(n, StepKind.Constant, args, output, n.Attribute, null),
                "prim::ListConstruct" => new Step(n, StepKind.List, args, output,
                    n.Inputs.All(v => v.Node is { Kind: "prim::Constant", Attribute: long }) ? n.Inputs.Select(v => (long)v.Node!.Attribute!).ToArray() : null, null),
                "prim::FusionGroup" => new Step(n, StepKind.FusionGroup, args, output, null, null),
                "prim::ValueGuard" => new Step(n, StepKind.Guard, args, output, null, null),
                SymbolicScalar.IntKind or SymbolicScalar.FloatKind => new Step(n, StepKind.Size, args, output, SymbolicScalar.Expression(n), null),
                _ => n.Replay is { } replay
                    ? new Step(n, StepKind.Op, args, output, null, a => replay([.. a.Select(x => x as Tensor)]))
                    : new Step(n, StepKind.Op, args, output, null, OpExecutors.Resolve(n.Kind)) { ExecuteOut = OpExecutors.ResolveOut(n.Kind) },
            };
            steps.Add(step);
        }
        _steps = [.. steps];
        _slots = slot.Count;
        _outputs = graph.Outputs.Select(o => slot.TryGetValue(o, out int s) ? s : throw new InvalidOperationException($"JIT: graph output %{o.Name} is not defined in the graph.")).ToArray();
        _outputIsConstant = graph.Outputs.Select(o => o.Node?.Kind == "prim::Constant").ToArray();
        // An output can be written into a caller's buffer when a fresh op that can write into a buffer produces it and it is returned once.
        _outputOfStep = Enumerable.Repeat(-1, _steps.Length).ToArray();
        for (int i = 0; i < graph.Outputs.Count; i++)
            if (graph.Outputs[i].Node is { Outputs.Count: 1 } p && PassUtil.IsFresh(p) && MemoryPlan.WritesInto(p) && graph.Outputs.Count(o => o == graph.Outputs[i]) == 1)
                _outputOfStep[graph.Nodes.IndexOf(p)] = i;
        Plan = planMemory ? MemoryPlan.Build(graph) : null;
        _constantsRequireGrad = graph.TensorConstants.Any(t => t.RequiresGrad);
        _binder = SymbolBinder.For(graph);
        _checkShapes = _binder is not null;
    }

    /// <summary>The graph it runs.</summary>
    public Graph Graph => _graph;

    /// <summary>True when the graph's sizes depend on size symbols bound at each call.</summary>
    public bool IsSymbolic => _binder is not null;

    /// <summary>The size symbols' values for a call on <paramref name="inputs"/> (null for a static graph); checks the inputs' sizes.</summary>
    public long[]? BindSymbols(IReadOnlyList<Tensor> inputs) => _binder?.Bind(inputs, null);

    /// <summary>Buffer reuse for the graph's intermediates, or null.</summary>
    public MemoryPlan? Plan { get; }

    /// <summary>
    /// Runs the graph; intermediates use the memory plan when no tape is recorded, no trace observes the run and no other
    /// run holds the plan. <paramref name="outputBuffers"/> (optional, one per output, null entries allowed) are tensors the
    /// caller gives up for the outputs: an output made by a fresh op with an out= form is written into its tensor (and that
    /// tensor returned) when the tensor is contiguous from element 0 of a storage of its own size, of the output's dtype, shape
    /// and device, and no tape is recorded; otherwise the buffer is left alone.
    /// <paramref name="symbols"/> are the size symbols' values when the caller bound them (a backward graph gets its
    /// forward's); otherwise a symbolic graph binds them from its inputs.
    /// </summary>
    /// <exception cref="GuardFailedException">A value guard saw a different value than at trace time.</exception>
    /// <exception cref="ArgumentException">The inputs differ in count, or one in dtype, device or shape, from the graph's declared input types.</exception>
    public Tensor[] Run(IReadOnlyList<Tensor> inputs, Tensor?[]? outputBuffers = null, long[]? symbols = null)
    {
        var bound = _binder?.Bind(inputs, symbols) ?? symbols;
        InputTypes.Check(_graph, inputs, "graph", bound);
        // Buffers are written through out= forms, which record no tape: only when nothing in the run could need one.
        bool untaped = !Autograd.IsEnabled || (!_constantsRequireGrad && !inputs.Any(t => t.RequiresGrad));
        var plan = Plan;
        bool planned = plan is not null && untaped && !Dispatch.IsObserved && plan.TryEnter();
        try
        {
            return RunSteps(inputs, planned ? plan : null, _acceptsOutputBuffers && untaped ? outputBuffers : null, bound);
        }
        finally
        {
            if (planned) plan!.Exit();
        }
    }

    /// <summary>
    /// The buffer the node of step <paramref name="index"/> writes its output into — the caller's buffer for the graph output
    /// it makes, when that fits, else its planned one — or null (a new tensor).
    /// </summary>
    private Tensor? Into(int index, in Step step, MemoryPlan? plan, Tensor?[]? outputBuffers, long[]? symbols)
    {
        var given = outputBuffers is not null && _outputOfStep[index] is int o and >= 0 && o < outputBuffers.Length ? outputBuffers[o] : null;
        if (given is null && plan?.IsPlanned(index) != true) return null;
        if (step.ExecuteOut is null && step.ExecuteManyOut is null && step.Kind != StepKind.FusionGroup) return null;
        if (step.Node.Outputs[0].TensorType is not { } declared) return null;
        var shape = symbols is null ? declared.Shape : SymbolicDims.Evaluate(declared.Shape, symbols);
        if (given is not null && given.DType == declared.DType && given.Device == declared.Device && given.IsContiguous && given.StorageOffset == 0
            && given.Storage.Length == given.Numel && given.Shape.SequenceEqual(shape) && given.GradFn is null && !given.RequiresGrad)
            return given;
        return plan?.Buffer(index, declared, shape);
    }

    private Tensor[] RunSteps(IReadOnlyList<Tensor> inputs, MemoryPlan? plan, Tensor?[]? outputBuffers, long[]? symbols)
    {
        var env = new object?[_slots];
        for (int i = 0; i < inputs.Count; i++) env[i] = inputs[i];
        var profile = OpProfile.Current;
        for (int index = 0; index < _steps.Length; index++)
        {
            var step = _steps[index];
            long start = profile is null ? 0 : OpProfile.Begin();
            switch (step.Kind)
            {
                case StepKind.Constant:
                    env[step.Output] = step.Value;
                    continue;
                case StepKind.MutatedConstant:
                    env[step.Output] = CopyOf((Tensor)step.Value!);
                    continue;
                case StepKind.List:
                    env[step.Output] = step.Value ?? step.Args.Select(a => env[a] is long l ? l : throw new InvalidOperationException($"JIT: {step.Node} expects int elements.")).ToArray();
                    continue;
                case StepKind.Size:
                {
                    long v = ((SymExpr)step.Value!).Evaluate(symbols ?? throw new InvalidOperationException($"JIT: {step.Node} needs the graph's size symbols, which are not bound."));
                    env[step.Output] = step.Node.Kind == SymbolicScalar.FloatKind ? (object)(double)v : v;
                    continue;
                }
                case StepKind.Guard:
                    CheckGuard(step.Node, TensorArg(env, step, 0));
                    break;
                case StepKind.FusionGroup:
                {
                    var groupInputs = new Tensor[step.Args.Length];
                    for (int k = 0; k < groupInputs.Length; k++) groupInputs[k] = TensorArg(env, step, k);
                    env[step.Output] = RunFusionGroup(step.Node, groupInputs, symbols, Into(index, step, plan, outputBuffers, symbols));
                    break;
                }
                case StepKind.MultiOp:
                {
                    var args = Arguments(env, step);
                    var outputs = Into(index, step, plan, outputBuffers, symbols) is { } into ? step.ExecuteManyOut!(args, into) : step.ExecuteMany!(args);
                    if (outputs.Length != step.Outputs.Length)
                        throw new InvalidOperationException($"JIT: {step.Node.Kind} returned {outputs.Length} tensors for the node's {step.Outputs.Length} outputs.");
                    for (int k = 0; k < outputs.Length; k++)
                    {
                        if (_checkShapes) CheckShape(step.Node, step.Node.Outputs[k], outputs[k], symbols);
                        env[step.Outputs[k]] = outputs[k];
                    }
                    break;
                }
                default:
                {
                    var args = Arguments(env, step);
                    var output = Into(index, step, plan, outputBuffers, symbols) is { } into ? step.ExecuteOut!(args, into) : step.Execute!(args);
                    if (_checkShapes) CheckShape(step.Node, step.Node.Output, output, symbols);
                    env[step.Output] = output;
                    break;
                }
            }
            profile?.End(step.Node, start);
        }
        var result = new Tensor[_outputs.Length];
        for (int i = 0; i < result.Length; i++)
        {
            // A constant returned as an output is copied: callers own their outputs and may change them in place.
            var t = env[_outputs[i]] as Tensor ?? throw new InvalidOperationException($"JIT: graph output %{_graph.Outputs[i].Name} is not a tensor.");
            result[i] = _outputIsConstant[i] ? CopyOf(t) : t;
        }
        return result;
    }

    /// <summary>A fusion group's inputs are checked against its body's types, then the backend runs it.</summary>
    private Tensor RunFusionGroup(Node n, Tensor[] inputs, long[]? symbols, Tensor? into)
    {
        // A compiled loop runs over the declared shape in the declared dtype: an intermediate whose declared type
        // differs from what the op produced (a hand-edited graph) must not be cut or converted.
        InputTypes.Check(n.Subgraph!, inputs, "prim::FusionGroup body", symbols);
        return _runFusionGroup(n, inputs, symbols, into);
    }

    /// <summary>Output <paramref name="value"/> of a symbolic graph's op has the sizes its type says at this call's symbols.</summary>
    /// <exception cref="SymbolicShapeException">It does not: the graph's size formulas do not hold at these sizes.</exception>
    private static void CheckShape(Node n, Value value, Tensor output, long[]? symbols)
    {
        if (symbols is null || value.TensorType is not { } t) return;
        var shape = output.Shape;
        bool same = shape.Count == t.Shape.Length;
        for (int d = 0; same && d < shape.Count; d++) same = shape[d] == SymbolicDims.Evaluate(t.Shape[d], symbols);
        if (!same) throw new SymbolicShapeException(n, value, output, symbols);
    }

    /// <summary><paramref name="result"/>, or — given a buffer — its values copied into <paramref name="into"/>, which is returned.</summary>
    internal static Tensor CopyInto(Tensor? into, Tensor result)
    {
        if (into is null) return result;
        using var _ = Dispatch.Internal();
        return result.Clone(into);
    }

    private static Tensor CopyOf(Tensor t)
    {
        using var _ = Dispatch.Internal();
        return t.Clone();
    }

    /// <summary>
    /// Fails preparation, naming the node, for what the steps cannot execute (a graph that passed
    /// <see cref="GraphVerifier.Lint"/> always passes): one output per node but guards and the ops with several outputs
    /// (<see cref="Trace.Ops.OpDef.OutputCount"/>; without a replay, which returns one tensor), a body per fusion
    /// group, a tensor output type for a group, a value per guard, tensor constants that exist.
    /// </summary>
    private static void CheckRunnable(Node n)
    {
        string? problem = n.Kind switch
        {
            "prim::ValueGuard" => n.Inputs.Count != 1 || n.Attribute is not double[] ? "a value guard reads one tensor and holds the values it compares" : null,
            _ when n.Outputs.Count > 1 && (n.Kind.StartsWith("prim::", StringComparison.Ordinal) || n.Replay is not null || (n.Def?.OutputCount(n.Inputs.Count).Max ?? 1) < n.Outputs.Count)
                => $"it has {n.Outputs.Count} outputs; {n.Kind} with {n.Inputs.Count} input(s) has {n.Def?.OutputCount(n.Inputs.Count).Max ?? 1} at most",
            _ when n.Outputs.Count == 0 => "it has no outputs; the executors run nodes of one output or more",
            "prim::FusionGroup" => n.Subgraph is null ? "it has no body" : n.Output.TensorType is null ? "its output is not a specialized tensor type" : null,
            "prim::Constant" => n.Attribute is TensorRef r && (r.Index < 0 || r.Index >= n.Owner.TensorConstants.Count)
                ? $"it refers to <Tensor:{r.Index}>, but the graph has {n.Owner.TensorConstants.Count} tensor constant(s)" : null,
            _ => null,
        };
        if (problem is not null) throw new InvalidOperationException($"JIT: cannot run {n}: {problem} (GraphVerifier.Lint checks a graph before it runs).");
    }

    /// <summary>The values a step's node reads, in input order.</summary>
    private static object?[] Arguments(object?[] env, Step step)
    {
        var args = new object?[step.Args.Length];
        for (int k = 0; k < args.Length; k++) args[k] = env[step.Args[k]];
        return args;
    }

    /// <summary>Argument <paramref name="k"/> of a step that reads tensors only (a guard, a fusion group).</summary>
    private static Tensor TensorArg(object?[] env, Step step, int k) => env[step.Args[k]] as Tensor
        ?? throw new InvalidOperationException($"JIT: {step.Node} expects input {k} (%{step.Node.Inputs[k].Name}) to be a tensor, got {env[step.Args[k]]?.GetType().Name ?? "None"}.");

    private static void CheckGuard(Node guard, Tensor t)
    {
        var expected = (double[])guard.Attribute!;
        var actual = Tracer.ReadValues(t);
        bool same = expected.Length == actual.Length;
        for (int i = 0; same && i < actual.Length; i++)
            same = expected[i].Equals(actual[i]);
        if (!same) throw new GuardFailedException(guard, expected, actual);
    }
}
