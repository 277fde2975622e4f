namespace Trace.Jit;

/// <summary>
/// Records the ops of one eager run into a <see cref="Graph"/> (installed with <see cref="Dispatch.Observe"/>).
/// Tensors it has not seen become constants — except tensors that require grad (parameters captured by a
/// closure), which become extra graph inputs so that they stay live, and tensors a factory made during the trace
/// (<c>Tensor.Ones([t, t])</c>, <c>Tensor.Arange(t)</c>) that still hold what it made, which become that factory's node. Non-tensor arguments become
/// <c>prim::Constant</c>/<c>prim::ListConstruct</c> nodes; reads of tensor values into .NET become
/// <c>prim::ValueGuard</c> nodes.
/// </summary>
internal sealed class Tracer : IOpObserver
{
    private readonly Dictionary<Tensor, Value> _env = new(ReferenceEqualityComparer.Instance);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<Tensor, object> _factories = [];

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

    /// <summary>Remembers how a factory made <paramref name="tensor"/>, for when the trace uses it.</summary>
    public void OnCreate(Tensor tensor, OpCall factory) => _factories.AddOrUpdate(tensor, factory);

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
        return PassUtil.SameTensor(t, OpRegistry.Execute(factory.Name, args));
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
