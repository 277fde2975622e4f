namespace Trace;

/// <summary>
/// A node of the backward graph (PyTorch's <c>grad_fn</c>): given the gradient of the tensor it produced,
/// returns the gradients of its inputs, which flow to <see cref="Next"/>.
/// </summary>
public abstract class GradNode
{
    /// <summary>The op that produced the tensor, e.g. <c>aten::mul</c> (shown as <c>MulBackward</c> in PyTorch).</summary>
    public abstract string Name { get; }

    /// <summary>Where each input's gradient goes: the input's own node, or null for inputs that need no grad.</summary>
    public abstract IReadOnlyList<GradNode?> Next { get; }

    /// <summary>Computes the input gradients from the output gradient.</summary>
    internal abstract Tensor?[] Apply(Tensor gradOutput);

    /// <summary>Frees what the node saved for backward (called after a backward without retainGraph).</summary>
    internal virtual void Release() { }

    /// <inheritdoc/>
    public override string ToString() => $"<{Name} backward>";
}

/// <summary>Terminal node of a leaf that requires grad: adds the incoming gradient into <see cref="Tensor.Grad"/>.</summary>
internal sealed class AccumulateGrad(Tensor leaf) : GradNode
{
    public Tensor Leaf { get; } = leaf;
    public override string Name => "AccumulateGrad";

    /// <summary>Storages already handed out as gradients during the current backward pass (set by the engine).</summary>
    [ThreadStatic] internal static HashSet<Storage>? GivenAway;
    public override IReadOnlyList<GradNode?> Next => [];

    internal override Tensor?[] Apply(Tensor g)
    {
        if (!g.Shape.SequenceEqual(Leaf.Shape))
            throw new InvalidOperationException($"autograd: gradient of shape {Shapes.Format(g.Shape)} does not match leaf of shape {Shapes.Format(Leaf.Shape)}.");
        g = g.DType == Leaf.DType ? g : g.To(Leaf.DType);
        // A gradient buffer is stored as-is only once: if its storage already went to another leaf (or is
        // the caller's own gradient tensor), store a copy, so that in-place changes to one .Grad (ZeroGrad,
        // an optimizer) never reach another tensor.
        bool shared = !g.IsContiguous || ReferenceEquals(g, Leaf) || (GivenAway is { } given && !given.Add(g.Storage));
        Leaf.Grad = Leaf.Grad is null ? (shared ? g.Clone() : g) : Leaf.Grad.Add(g);
        return [];
    }
}

/// <summary>
/// A node whose backward rules are closures written with Tensor ops next to the op's forward: one rule
/// per input, run only for inputs that need a gradient.
/// </summary>
internal sealed class FunctionNode : GradNode
{
    private readonly string _name;
    private readonly GradNode?[] _next;
    private readonly (Tensor Tensor, int Version)[] _saved;
    private Func<Tensor, Tensor>?[]? _rules;

    public FunctionNode(string name, Tensor?[] inputs, Func<Tensor, Tensor>?[] rules, Tensor[] saved)
    {
        _name = name;
        _rules = rules;
        _next = new GradNode?[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            _next[i] = inputs[i] is { RequiresGrad: true } t && rules[i] is not null ? t.GradFn ?? t.GradAccumulator() : null;
        _saved = saved.Select(t => (t, t.Storage.Version)).ToArray();
    }

    public override string Name => _name;
    public override IReadOnlyList<GradNode?> Next => _next;

    /// <summary>A non-leaf tensor whose gradient is kept (<see cref="Tensor.RetainGrad"/>).</summary>
    internal Tensor? Retained { get; set; }

    internal override Tensor?[] Apply(Tensor g)
    {
        var rules = _rules ?? throw new InvalidOperationException(
            $"autograd: trying to backward through the graph a second time (through {_name}), but the saved intermediate results have already been freed. Specify retainGraph: true on the first Backward call.");
        foreach (var (t, v) in _saved)
            if (t.Storage.Version != v)
                throw new InvalidOperationException(
                    $"autograd: one of the tensors needed for gradient computation has been modified by an inplace operation: the tensor of shape {Shapes.Format(t.Shape)} saved by {_name} is at version {t.Storage.Version}; expected version {v} instead.");
        var grads = new Tensor?[rules.Length];
        for (int i = 0; i < rules.Length; i++)
            if (_next[i] is not null) grads[i] = rules[i]!(g);
        return grads;
    }

    internal override void Release() => _rules = null;
}
