using Trace.Nn;
using Trace.Optim;

namespace Trace.Jit;

/// <summary>
/// A whole training step traced and compiled: forward, loss, backward (traced through the ops' own backward
/// rules) in one graph replayed without building a tape, then the optimizer's update. One
/// <see cref="Step"/> does what <c>optimizer.ZeroGrad(); lossFn(batch).Backward(); optimizer.Step();</c> does
/// eagerly: every parameter's <see cref="Tensor.Grad"/> holds this step's gradient — written into the existing
/// <c>.Grad</c> tensor when it is a contiguous tensor of the parameter's shape (as PyTorch's backward writes into
/// <c>.grad</c> in place), so keep a copy (<c>Clone()</c>) of a gradient you want to outlive the next step — and the
/// optimizer (its state is shared with eager use) updates all parameters in one multi-tensor pass.
/// Guards, retracing and the trace check are those of <see cref="TracedModule"/>. Tracing the step is not a step: state
/// the forward writes in place (running statistics) is as before <c>Jit.TraceStep</c>, and each <see cref="Step"/> writes it once.
/// </summary>
public sealed class TracedStep
{
    private readonly Tensor[] _parameters;

    internal TracedStep(TracedModule graph, Optimizer optimizer, Tensor[] parameters)
    {
        Traced = graph;
        Optimizer = optimizer;
        _parameters = parameters;
    }

    /// <summary>The traced loss-and-gradients function: outputs are the loss, then one gradient per parameter.</summary>
    public TracedModule Traced { get; }

    /// <summary>The optimizer that applies the update.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Runs one training step on <paramref name="batch"/> and returns the loss (computed before the update).</summary>
    /// <exception cref="InvalidOperationException">The optimizer's parameters changed since the step was traced.</exception>
    public Tensor Step(params Tensor[] batch)
    {
        if (!Optimizer.ParamGroups.SelectMany(g => g.Params).SequenceEqual(_parameters, ReferenceEqualityComparer.Instance))
            throw new InvalidOperationException("Jit.TraceStep: the optimizer's parameters changed (a param group was added) since the step was traced; trace the step again.");
        // Each step's gradients are written into the parameters' existing .Grad buffers (as PyTorch's backward
        // writes into .grad), so a steady-state step allocates no gradient memory.
        var buffers = new Tensor?[_parameters.Length + 1];
        var seen = new HashSet<Storage>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
            if (ReusableBuffer(_parameters[i]) is { } b && seen.Add(b.Storage)) buffers[i + 1] = b;   // a shared .Grad is written once at most
        Tensor[] outputs;
        using (Autograd.EnableGrad()) outputs = Traced.Call(batch, buffers);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            // Written into the old gradient: keep that tensor (same object, new values), as PyTorch's .grad.
            if (buffers[i + 1] is { } b && ReferenceEquals(b, outputs[i + 1])) b.BumpVersion();
            else p.Grad = outputs[i + 1];
        }
        Optimizer.Step();
        return outputs[0];
    }

    /// <summary>A parameter's gradient when the step may overwrite it: contiguous, from element 0 of a storage of its own size.</summary>
    private static Tensor? ReusableBuffer(Tensor p) =>
        p.Grad is { IsContiguous: true, StorageOffset: 0 } g && g.DType == p.DType && g.Shape.SequenceEqual(p.Shape) && g.Storage.Length == g.Numel && g.GradFn is null
            ? g : null;

    /// <summary>
    /// Builds the traced function: loss and the gradient of every optimized parameter, as tensors the graph returns.
    /// A parameter the loss does not depend on is an error (eagerly its gradient would stay null and the optimizer skip it).
    /// </summary>
    internal static TracedStep Create(string name, Module? model, Func<Tensor[], Tensor> loss, Optimizer optimizer, Tensor[] example,
        IReadOnlyList<(string Name, Tensor Tensor)> namedParameters, IReadOnlyList<(string Name, Tensor Tensor)> buffers, string[] inputNames, TraceOptions? options)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(optimizer);
        var parameters = optimizer.ParamGroups.SelectMany(g => g.Params).ToArray();
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (n, t) in namedParameters) names.TryAdd(t, n);
        var bound = parameters.Select((p, i) => (names.TryGetValue(p, out var n) ? n : $"param.{i}", p)).ToArray();
        // Graph inputs read live at each call: the optimized parameters, then the buffers.
        (string, Tensor)[] live = [.. bound, .. buffers.Where(b => !parameters.Contains(b.Tensor, ReferenceEqualityComparer.Instance))];
        Tensor[] LossAndGrads(Tensor[] batch)
        {
            var l = loss(batch);
            if (l.Numel != 1 || !l.IsFloatingPoint)
                throw new ArgumentException($"Jit.TraceStep: the loss must be a one-element floating point tensor, got {l.DType.TorchName()} of shape {Shapes.Format(l.Shape)}.");
            var grads = Autograd.Grad([l], parameters, allowUnused: true);
            for (int i = 0; i < grads.Length; i++)
                if (grads[i] is null)
                    throw new ArgumentException($"Jit.TraceStep: the loss does not depend on parameter {bound[i].Item1} (shape {Shapes.Format(parameters[i].Shape)}); leave it out of the optimizer or set RequiresGrad = false on it.");
            return [l.Detach(), .. grads!];
        }
        ArgumentNullException.ThrowIfNull(example);
        Jit.CheckExamples("Jit.TraceStep", example);
        var traced = new TracedModule(name, LossAndGrads, () => live, inputNames, (options ?? new TraceOptions()) with { CompileBackward = false }, model)
        {
            ComputesGradients = true,
        };
        using (Autograd.EnableGrad())
            traced.TraceNew(example, live, traced.SignatureOf([.. example, .. live.Select(p => p.Item2)]), asCall: false);
        return new TracedStep(traced, optimizer, parameters);
    }
}
