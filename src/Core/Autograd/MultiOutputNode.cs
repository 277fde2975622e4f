namespace Trace;

/// <summary>
/// The backward of an op with several differentiable outputs (PyTorch's nodes with several output edges: the LSTM cell's
/// h' and c', unbind's pieces). Each such output's grad_fn is an <see cref="OutputSlot"/>; the engine hands each slot's
/// summed gradient to this node and runs it once, when every slot has been reached or skipped, with one gradient per
/// output (null for an output no gradient reached — PyTorch's undefined gradient). The backward maps them to one gradient
/// per input (null where none flows); the tensors it reads are version-checked first.
/// </summary>
internal sealed class MultiOutputNode : GradNode
{
    private readonly string _name;
    private readonly GradNode?[] _next;
    private readonly SavedVersion[] _saved;
    private Func<Tensor?[], Tensor?[]>? _backward;

    public MultiOutputNode(string name, Tensor?[] inputs, int outputs, Func<Tensor?[], Tensor?[]> backward, Tensor[] saved)
    {
        _name = name;
        Outputs = outputs;
        _backward = backward;
        _next = [.. inputs.Select(t => t is { RequiresGrad: true } ? t.GradFn ?? t.GradAccumulator() : null)];
        _saved = [.. saved.Select(t => new SavedVersion(t, t.Storage.Version))];
    }

    /// <summary>How many outputs carry gradients (slots 0 to Outputs − 1).</summary>
    public int Outputs { get; }

    public override string Name => _name;
    public override IReadOnlyList<GradNode?> Next => _next;

    /// <summary>Never called: the engine runs <see cref="ApplyAll"/> with the slots' gradients.</summary>
    internal override Tensor?[] Apply(Tensor gradOutput) =>
        throw new InvalidOperationException($"autograd: {_name} has {Outputs} outputs; its backward takes one gradient per output.");

    /// <summary>The inputs' gradients from the outputs' (null where no gradient reached an output).</summary>
    internal Tensor?[] ApplyAll(Tensor?[] gradOutputs)
    {
        var backward = _backward ?? throw new InvalidOperationException(
            $"autograd: trying to backward through the graph a second time (through {_name}), but the saved intermediate results have already been freed. Specify retainGraph: true on the first Backward call.");
        foreach (var s in _saved) s.Check(_name);
        var grads = backward(gradOutputs);
        if (grads.Length != _next.Length)
            throw new InvalidOperationException($"autograd: {_name}'s backward returned {grads.Length} gradients for {_next.Length} inputs.");
        return grads;
    }

    internal override void Release() => _backward = null;
}

/// <summary>The grad_fn of output <see cref="Index"/> of a <see cref="MultiOutputNode"/>: passes its gradient to that slot of the node.</summary>
internal sealed class OutputSlot(MultiOutputNode owner, int index) : RetainingNode
{
    private readonly GradNode?[] _next = [owner];

    /// <summary>The op's node.</summary>
    public MultiOutputNode Owner => owner;

    /// <summary>Which output this is.</summary>
    public int Index => index;

    public override string Name => owner.Name;
    public override IReadOnlyList<GradNode?> Next => _next;

    /// <summary>The gradient, unchanged, for the engine to put in the owner's slot.</summary>
    internal override Tensor?[] Apply(Tensor gradOutput) => [gradOutput];
}

/// <summary>What an op with several differentiable outputs records: the gradients of all inputs from those of all outputs, and the tensors that reads.</summary>
internal readonly record struct MultiBackward(Func<Tensor?[], Tensor?[]> Grads, params Tensor[] Saved);
