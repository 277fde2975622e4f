namespace Trace;

public sealed partial class Tensor
{
    private bool _requiresGrad;
    private AccumulateGrad? _accumulator;

    /// <summary>
    /// Whether gradients are computed for this tensor. Settable on leaves (floating point only); an op's
    /// output requires grad when any input does and grad mode is on.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException($"autograd: you can only change RequiresGrad of leaf tensors; this tensor was produced by {GradFn.Name}. Use Detach() to get a tensor that does not require grad.");
            if (value && !IsFloatingPoint)
                throw new InvalidOperationException($"autograd: only tensors of floating point dtype can require gradients, got {DType.TorchName()}.");
            _requiresGrad = value;
        }
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor.</summary>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>The accumulated gradient (filled on leaves by <see cref="Backward"/>).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The backward node of the op that produced this tensor; null for leaves.</summary>
    public GradNode? GradFn { get; internal set; }

    /// <summary>True for tensors not produced by a recorded op (user-created tensors and parameters).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>This leaf's one gradient accumulator (created once even when forwards on several threads ask at once).</summary>
    internal AccumulateGrad GradAccumulator()
    {
        if (Volatile.Read(ref _accumulator) is { } a) return a;
        Interlocked.CompareExchange(ref _accumulator, new AccumulateGrad(this), null);
        return _accumulator!;
    }

    /// <summary>
    /// Computes gradients of this tensor with respect to the graph leaves and accumulates them into their
    /// <see cref="Grad"/>. A scalar needs no <paramref name="gradient"/>; otherwise pass dL/d(this).
    /// </summary>
    /// <param name="gradient">Gradient of the final objective with respect to this tensor.</param>
    /// <param name="retainGraph">Keep the graph so that Backward can run through it again.</param>
    /// <param name="createGraph">Record the backward computation itself, for higher-order gradients.</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, bool createGraph = false) =>
        Engine.Backward(this, gradient, retainGraph || createGraph, createGraph);

    /// <summary>Keeps this non-leaf tensor's gradient in <see cref="Grad"/> during backward.</summary>
    public void RetainGrad()
    {
        if (GradFn is RetainingNode f) f.Retain(this);
        else if (!RequiresGrad) throw new InvalidOperationException("autograd: can't retain_grad on a tensor that doesn't require gradients.");
    }

    /// <summary>
    /// True for a module parameter (PyTorch's <c>isinstance(t, nn.Parameter)</c>): a tensor passed to
    /// <c>Module.RegisterParameter</c> or marked by <see cref="Nn.Module.Parameter"/>. Views and copies of it
    /// (<see cref="Detach"/>, <c>To</c>, ops) are not parameters.
    /// </summary>
    public bool IsParameter => ParameterMark != ParameterMark.None;

    /// <summary>How this tensor became a parameter (set by <see cref="Nn.Module"/> only).</summary>
    internal ParameterMark ParameterMark { get; set; }

    /// <summary>A tensor sharing this one's storage, cut from the graph (does not require grad).</summary>
    public Tensor Detach() => Dispatch.Record("aten::detach", () => new Tensor(Storage, _shape, _strides, StorageOffset), this);

    /// <summary>Throws when an in-place op would silently break autograd on this tensor.</summary>
    internal void CheckInPlace(string op)
    {
        if (!Autograd.IsEnabled) return;
        if (IsLeaf && RequiresGrad)
            throw new InvalidOperationException($"{op}: a leaf tensor that requires grad (shape {Shapes.Format(_shape)}) is being used in an in-place operation; wrap the update in 'using var _ = Autograd.NoGrad();'.");
        if (RequiresGrad)
            throw new InvalidOperationException($"{op}: in-place operations on tensors that are part of the autograd graph (produced by {GradFn!.Name}) are not supported; use the out-of-place op.");
    }
}

/// <summary>How a tensor became a module parameter; a module's field scan treats the two kinds differently.</summary>
internal enum ParameterMark : byte
{
    /// <summary>Not a parameter.</summary>
    None,
    /// <summary>Marked by <see cref="Nn.Module.Parameter"/>: a tensor field holding it becomes a parameter named after the field.</summary>
    Declared,
    /// <summary>Passed to <c>Module.RegisterParameter</c>: a tensor field elsewhere holding it is an alias, not a second parameter.</summary>
    Registered,
}
