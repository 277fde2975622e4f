using Trace.Ops;

namespace Trace.Jit;

/// <summary>
/// Records the ops of one eager run into a <see cref="Graph"/> (installed with <see cref="Dispatch.Observe"/>).
/// Tensors it has not seen become constants — except tensors that require grad (parameters captured by a
/// closure), which become extra graph inputs so that they stay live, and tensors a factory made during the trace
/// (<c>Tensor.Ones([t, t])</c>, <c>Tensor.Arange(t)</c>) that still hold what it made, which become that factory's node. Non-tensor arguments become
/// <c>prim::Constant</c>/<c>prim::ListConstruct</c> nodes; reads of tensor values into .NET become
/// <c>prim::ValueGuard</c> nodes. State written in place is tracked: each written tensor's values before its first write
/// are kept (<see cref="Mutated"/>), and a captured tensor that existed before the trace and is written to becomes a
/// live input too (the replay must update the real buffer, as eager does); captured tensors only read are frozen as
/// constants and listed in <see cref="CapturedConstants"/> so that calls can notice when one changes afterwards.
/// </summary>
internal sealed class Tracer : IOpObserver
{
    private readonly Dictionary<Tensor, Value> _env = new(ReferenceEqualityComparer.Instance);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, object> _factories = [];
    private readonly HashSet<Tensor> _written = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Node, Tensor> _frozen = [];
    private readonly long _firstSerial = Storage.NextSerial;

    /// <summary>Each tensor written in place during the trace, as it was before its first write, in write order.</summary>
    public List<TensorState> Mutated { get; } = [];

    /// <summary>
    /// Tensors that existed before the trace, are read by it and were frozen into constants, with their storage versions
    /// now: a version that moves later means the constant no longer matches what eager code would read.
    /// </summary>
    public IEnumerable<(Tensor Source, int Version)> CapturedConstants() =>
        _frozen.Where(f => Graph.Nodes.Contains(f.Key)).Select(f => (f.Value, f.Value.Storage.Version));

    public Graph Graph { get; } = new();

    /// <summary>Tensors lifted to graph inputs because they require grad, in input order after the explicit ones.</summary>
    public List<Tensor> LiftedInputs { get; } = [];

    /// <summary>Binds a tensor to a new named graph input.</summary>
    public Value BindInput(Tensor t, string name)
    {
        var v = Graph.AddInput(name, TensorType.Of(t));
        _env[t] = v;
        return v;
    }

    public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay) => Record(op, inputs, [output], replay);

    /// <summary>An op with several outputs becomes one node with one output value per tensor, in order.</summary>
    public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) => Record(op, inputs, outputs, null);

    private void Record(OpCall op, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs, Func<Tensor?[], Tensor>? replay)
    {
        // An op on numbers alone (a backward rule's `exponent - 1`) depends on nothing the graph computes: left
        // unrecorded, its result becomes a constant where it is used.
        if (replay is null && inputs.Count > 0 && inputs.All(t => t is null || t.IsWrappedNumber)) return;
        var tensors = new List<Value>(inputs.Count);
        foreach (var t in inputs) tensors.Add(t is null ? Graph.AppendConstant(null) : ValueOf(t));
        var attributes = new List<Value>(op.Attributes.Length);
        foreach (var a in op.Attributes) attributes.Add(Attribute(a));
        var args = replay is null ? InSchemaOrder(op.Name, tensors, attributes) : [.. tensors, .. attributes];
        var types = new JitType[outputs.Count];
        for (int i = 0; i < types.Length; i++) types[i] = TensorType.Of(outputs[i]);
        var n = Graph.Append(op.Name, args, types);
        // Replays carry what a name cannot: a custom function's code, a random op's own generator.
        n.Replay = replay;
        // In-place ops return their first input: rebinding the tensor keeps the graph in SSA form.
        for (int i = 0; i < outputs.Count; i++) _env[outputs[i]] = n.Outputs[i];
    }

    /// <summary>
    /// A recorded op's arguments in its schema's order: ops report their tensors and their other arguments apart, and
    /// the schema interleaves them (<c>aten::native_layer_norm(input, normalized_shape, weight, bias, eps)</c>, as in PyTorch).
    /// An op outside the table, or a call whose counts do not match its schema's kinds, keeps tensors first.
    /// </summary>
    private static List<Value> InSchemaOrder(string op, List<Value> tensors, List<Value> attributes)
    {
        if (attributes.Count == 0 || tensors.Count == 0 || OpTable.Find(op)?.Schema is not { } schema) return [.. tensors, .. attributes];
        var kinds = schema.Args.Take(tensors.Count + attributes.Count).ToList();
        int tensorArgs = kinds.Count(a => a.Kind == ArgKind.Tensor);
        if (kinds.Count != tensors.Count + attributes.Count || tensorArgs != tensors.Count || kinds.Any(a => a.Kind == ArgKind.TensorList))
            return [.. tensors, .. attributes];
        var args = new List<Value>(kinds.Count);
        int t = 0, o = 0;
        foreach (var arg in kinds) args.Add(arg.Kind == ArgKind.Tensor ? tensors[t++] : attributes[o++]);
        return args;
    }

    /// <summary>Remembers how a factory made <paramref name="tensor"/>, for when the trace uses it.</summary>
    public void OnCreate(Tensor tensor, OpCall factory) => _factories.AddOrUpdate(tensor, factory);

    /// <summary>
    /// Saves the target before its first write and binds it. Writes to captured state that existed before the trace
    /// (through views too) turn its frozen constant into a live input, so that replays write the real tensor; a tensor the
    /// traced code created itself stays a constant, copied afresh for each run.
    /// </summary>
    public void OnMutating(Tensor tensor)
    {
        if (_written.Add(tensor)) Mutated.Add(TensorState.Of(tensor));
        var v = ValueOf(tensor);
        while (v.Node is { } n && n.Kind != "prim::Constant" && PassUtil.MayAliasFirstInput(n) && n.Inputs.Count > 0) v = n.Inputs[0];
        if (v.Node is not { Kind: "prim::Constant" } constant || !_frozen.Remove(constant, out var source)) return;
        LiftedInputs.Add(source);
        var input = Graph.AddInput($"captured.{LiftedInputs.Count - 1}", TensorType.Of(source));
        Graph.ReplaceAllUses(constant.Output, input);
        Graph.Remove(constant);
        foreach (var t in _env.Where(e => e.Value == constant.Output).Select(e => e.Key).ToList()) _env[t] = input;
    }

    public void OnRead(Tensor tensor, string api)
    {
        var v = ValueOf(tensor);
        var guard = Graph.Append("prim::ValueGuard", [v]);
        guard.Attribute = ReadValues(tensor);
        guard.HasAttribute = true;
    }

    /// <summary>The values a guard compares, read without notifying observers.</summary>
    internal static double[] ReadValues(Tensor t)
    {
        using var _ = Dispatch.Internal();
        return t.To(DType.Float64).ToArray<double>();
    }

    /// <summary>The graph value of a tensor seen during tracing.</summary>
    public Value ValueOf(Tensor t)
    {
        if (_env.TryGetValue(t, out var v)) return v;
        if (t.RequiresGrad && t.IsLeaf)
        {
            LiftedInputs.Add(t);
            return BindInput(t, $"captured.{LiftedInputs.Count - 1}");
        }
        if (t.IsWrappedNumber)
        {
            double x = Tracer.ReadValues(t)[0];
            v = t.DType.IsFloatingPoint() ? Graph.AppendConstant(x) : t.DType == DType.Bool ? Graph.AppendConstant(x != 0) : Graph.AppendConstant((long)x);
        }
        else if (_factories.TryGetValue(t, out var made) && (OpCall)made is var factory && StillMade(t, factory))
        {
            var args = factory.Attributes.Select(Attribute).ToList();
            v = Graph.Append(factory.Name, args, TensorType.Of(t)).Output;
        }
        else
        {
            Tensor frozen;
            using (Dispatch.Internal()) frozen = t.Detach().Clone();
            v = Graph.AppendConstant(frozen);
            if (t.Storage.Serial < _firstSerial) _frozen[v.Node!] = t;
        }
        _env[t] = v;
        return v;
    }

    /// <summary>Whether <paramref name="t"/> holds what <paramref name="factory"/> makes (nothing wrote into it since).</summary>
    private static bool StillMade(Tensor t, OpCall factory)
    {
        var args = factory.Attributes.Select(a => a switch
        {
            int[] list => list.Select(x => (long)x).ToArray(),
            DType d => ScalarTypes.Code(d),
            _ => a,
        }).ToArray();
        using var _ = Dispatch.Internal();
        return PassUtil.SameTensor(t, OpExecutors.Execute(factory.Name, args));
    }

    private Value Attribute(object? a) => a switch
    {
        int[] list => List(list.Select(x => (long)x)),
        long[] list => List(list),
        DType d => Graph.AppendConstant(ScalarTypes.Code(d)),
        int i => Graph.AppendConstant((long)i),
        _ => Graph.AppendConstant(a),
    };

    private Value List(IEnumerable<long> items)
    {
        var elements = items.Select(x => Graph.AppendConstant(x)).ToList();
        return Graph.Append("prim::ListConstruct", elements, JitType.IntList).Output;
    }
}
