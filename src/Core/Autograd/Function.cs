namespace Trace;

/// <summary>What a custom <see cref="Function"/> keeps between its forward and backward.</summary>
public sealed class FunctionContext
{
    private Tensor[] _saved = [];

    /// <summary>Tensors saved by <see cref="SaveForBackward"/>, in order.</summary>
    public IReadOnlyList<Tensor> SavedTensors => _saved;

    /// <summary>Saves tensors for backward; modifying them in place before backward is reported as an error.</summary>
    public void SaveForBackward(params Tensor[] tensors) => _saved = tensors;

    /// <summary>Free-form values (shapes, flags) for backward.</summary>
    public Dictionary<string, object> Items { get; } = [];
}

/// <summary>
/// A user-defined differentiable operation (like <c>torch.autograd.Function</c>): override
/// <see cref="Forward"/> (runs without recording) and <see cref="Backward"/> (one gradient per input, or
/// null), then call <see cref="Apply"/>.
/// </summary>
/// <example>
/// <code>
/// sealed class MyReLU : Function
/// {
///     protected override Tensor Forward(FunctionContext ctx, Tensor[] x) { ctx.SaveForBackward(x[0]); return x[0].Clamp(min: 0); }
///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g.MaskedFill(ctx.SavedTensors[0].Lt(0), 0)];
/// }
/// var y = new MyReLU().Apply(x);
/// </code>
/// </example>
public abstract class Function
{
    /// <summary>The op name shown in the graph (defaults to the class name).</summary>
    public virtual string Name => GetType().Name;

    /// <summary>Computes the output; autograd recording is off inside.</summary>
    protected abstract Tensor Forward(FunctionContext ctx, Tensor[] inputs);

    /// <summary>Maps the output's gradient to one gradient per input (null where none).</summary>
    protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);

    /// <summary>Runs forward and records this function's backward when any input requires grad.</summary>
    public Tensor Apply(params Tensor[] inputs)
    {
        var ctx = new FunctionContext();
        bool record = Autograd.ShouldRecord(inputs);
        Tensor Compute()
        {
            var output = Forward(ctx, inputs);
            return record && ReferenceEquals(output, inputs.FirstOrDefault()) ? output.Detach() : output;
        }
        var rules = Autograd.SharedRules(inputs.Length, g => Backward(ctx, g), (cached, k) =>
        {
            if (cached.Length != inputs.Length)
                throw new InvalidOperationException($"{Name}.Backward returned {cached.Length} gradients, but Forward had {inputs.Length} inputs.");
            var gi = cached[k] ?? Tensor.Zeros(inputs[k].Shape.ToArray(), inputs[k].DType, inputs[k].Device);
            if (!gi.Shape.SequenceEqual(inputs[k].Shape))
                throw new InvalidOperationException($"{Name}.Backward returned a gradient of shape {Shapes.Format(gi.Shape)} for input {k} of shape {Shapes.Format(inputs[k].Shape)}.");
            return gi;
        });
        return Dispatch.Record(Name, Compute, inputs, _ => new(rules, ctx.SavedTensors.ToArray()), replay: x => Apply(x!));
    }
}
