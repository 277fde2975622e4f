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

/// <summary>
/// Terminal node of a leaf that requires grad: adds the incoming gradient into <see cref="Tensor.Grad"/>. A leaf
/// has one such node (<see cref="Tensor.GradAccumulator"/>), and the addition holds its lock, so that backward
/// passes running on several threads over a shared model (parameters) lose no update.
/// </summary>
internal sealed class AccumulateGrad(Tensor leaf) : GradNode
{
    private readonly Lock _gate = new();

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
        lock (_gate)
            Leaf.Grad = Leaf.Grad is null ? (shared ? g.Clone() : g) : Leaf.Grad.Add(g);
        return [];
    }
}

/// <summary>The grad_fn of an op's output: a node whose output's gradient <see cref="Tensor.RetainGrad"/> can keep.</summary>
internal abstract class RetainingNode : GradNode
{
    private Tensor? _retained;
    private Lock? _retainedGate;

    /// <summary>Keeps <paramref name="t"/>'s gradient in its <see cref="Tensor.Grad"/> during backward (<see cref="Tensor.RetainGrad"/>).</summary>
    internal void Retain(Tensor t)
    {
        Interlocked.CompareExchange(ref _retainedGate, new Lock(), null);
        _retained = t;
    }

    /// <summary>Adds one backward pass's gradient to the retained tensor's <see cref="Tensor.Grad"/> (under a lock, as for leaves).</summary>
    internal void AccumulateRetained(Tensor g)
    {
        if (_retained is not { } keep) return;
        lock (_retainedGate!)
            keep.Grad = keep.Grad is null ? g : keep.Grad.Add(g);
    }
}

/// <summary>
/// A node whose backward rules are closures written with Tensor ops next to the op's forward: one rule
/// per input, run only for inputs that need a gradient. Every tensor the rules read is version-checked
/// before they run: the op's saved tensors, and every input without a rule of its own (an index, a mask, a
/// condition: such an input is passed to the node only because the other rules read it).
/// </summary>
internal sealed class FunctionNode : RetainingNode
{
    private readonly string _name;
    private readonly GradNode?[] _next;
    private readonly SavedVersion[] _saved;
    private Func<Tensor, Tensor>?[]? _rules;

    public FunctionNode(string name, Tensor?[] inputs, Func<Tensor, Tensor>?[] rules, Tensor[] saved)
    {
        _name = name;
        _rules = rules;
        _next = new GradNode?[inputs.Length];
        int read = saved.Length;
        for (int i = 0; i < inputs.Length; i++)
        {
            _next[i] = inputs[i] is { RequiresGrad: true } t && rules[i] is not null ? t.GradFn ?? t.GradAccumulator() : null;
            if (inputs[i] is not null && rules[i] is null) read++;
        }
        _saved = new SavedVersion[read];
        int k = 0;
        foreach (var t in saved) _saved[k++] = new(t, t.Storage.Version);
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is { } t && rules[i] is null) _saved[k++] = new(t, t.Storage.Version);
    }

    public override string Name => _name;
    public override IReadOnlyList<GradNode?> Next => _next;

    internal override Tensor?[] Apply(Tensor g)
    {
        var rules = _rules ?? throw new InvalidOperationException(
            $"autograd: trying to backward through the graph a second time (through {_name}), but the saved intermediate results have already been freed. Specify retainGraph: true on the first Backward call.");
        foreach (var s in _saved) s.Check(_name);
        var grads = new Tensor?[rules.Length];
        for (int i = 0; i < rules.Length; i++)
            if (_next[i] is not null) grads[i] = rules[i]!(g);
        return grads;
    }

    internal override void Release() => _rules = null;
}

/// <summary>A tensor a backward rule reads, with the version of its storage when the op ran.</summary>
internal readonly record struct SavedVersion(Tensor Tensor, int Version)
{
    /// <summary>Throws PyTorch's error when the tensor was modified in place since it was saved by <paramref name="op"/>.</summary>
    public void Check(string op)
    {
        int now = Tensor.Storage.Version;
        if (now == Version) return;
        throw new InvalidOperationException(
            $"one of the variables needed for gradient computation has been modified by an inplace operation: [{LegacyTypeName(Tensor.DType)} [{string.Join(", ", Tensor.Shape)}]], " +
            $"which is saved by {op} for its backward, is at version {now}; expected version {Version} instead. " +
            "Hint: modify it after backward, or clone() it before the in-place operation.");
    }

    /// <summary>PyTorch's legacy tensor type name used in this message (<c>torch.FloatTensor</c>).</summary>
    private static string LegacyTypeName(DType t) => t switch
    {
        DType.Float32 => "torch.FloatTensor",
        DType.Float64 => "torch.DoubleTensor",
        DType.Int64 => "torch.LongTensor",
        DType.Int32 => "torch.IntTensor",
        _ => "torch.BoolTensor",
    };
}
