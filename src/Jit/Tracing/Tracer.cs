namespace Trace.Jit;

/// <summary>
/// Records the ops of one eager run into a <see cref="Graph"/> (installed with <see cref="Dispatch.Observe"/>).
/// Tensors it has not seen become constants — except tensors that require grad (parameters captured by a
/// closure), which become extra graph inputs so that they stay live. Non-tensor arguments become
/// <c>prim::Constant</c>/<c>prim::ListConstruct</c> nodes; reads of tensor values into .NET become
/// <c>prim::ValueGuard</c> nodes.
/// </summary>
internal sealed class Tracer : IOpObserver
{
    private readonly Dictionary<Tensor, Value> _env = new(ReferenceEqualityComparer.Instance);

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

    public void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay)
    {
        var args = new List<Value>();
        foreach (var t in inputs) args.Add(t is null ? Graph.AppendConstant(null) : ValueOf(t));
        foreach (var a in op.Attributes) args.Add(Attribute(a));
        var n = Graph.Append(op.Name, args, TensorType.Of(output));
        // Replays carry what a name cannot: a custom function's code, a random op's own generator.
        n.Replay = replay;
        // In-place ops return their first input: rebinding the tensor keeps the graph in SSA form.
        _env[output] = n.Output;
    }

    /// <summary>Binds the target before it changes, so that a tensor unknown to the trace is captured with its old values.</summary>
    public void OnMutating(Tensor tensor) => ValueOf(tensor);

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
        else
        {
            Tensor frozen;
            using (Dispatch.Internal()) frozen = t.Detach().Clone();
            v = Graph.AppendConstant(frozen);
        }
        _env[t] = v;
        return v;
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
