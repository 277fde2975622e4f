namespace Trace;

/// <summary>An op invocation as observers see it: its name (<c>aten::sum</c>) and its non-tensor arguments in order.</summary>
public readonly record struct OpCall(string Name, params object?[] Attributes)
{
    /// <summary>An op without non-tensor arguments.</summary>
    public static implicit operator OpCall(string name) => new(name);
}

/// <summary>
/// Sees every op executed on its thread, in order: the single interception point of op dispatch. The JIT's
/// tracer implements it; Core never references the JIT.
/// </summary>
public interface IOpObserver
{
    /// <summary>
    /// An op produced <paramref name="output"/> from <paramref name="inputs"/> (null for absent optional
    /// inputs). <paramref name="replay"/>, when given, re-executes the same op on new inputs (used for ops
    /// the registry cannot rebuild by name, such as custom functions).
    /// </summary>
    void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, Tensor output, Func<Tensor?[], Tensor>? replay);

    /// <summary>
    /// An op with several outputs (<c>aten::native_layer_norm</c>'s output, mean and rstd; <c>aten::max</c>'s values and
    /// indices) produced <paramref name="outputs"/>, in the op's output order, from <paramref name="inputs"/>. By default
    /// an observer sees it as an op of its first output (the one that carries the gradient); a recording observer
    /// overrides this to record one node with all outputs.
    /// </summary>
    void OnOp(OpCall op, IReadOnlyList<Tensor?> inputs, IReadOnlyList<Tensor> outputs) => OnOp(op, inputs, outputs[0], null);

    /// <summary>A tensor's values were read back into .NET (<c>Item</c>, <c>ToArray</c>): control flow may now depend on them.</summary>
    void OnRead(Tensor tensor, string api);

    /// <summary>An in-place op is about to write to <paramref name="tensor"/> (observers snapshot what they need first).</summary>
    void OnMutating(Tensor tensor);

    /// <summary>
    /// A factory (<c>aten::zeros</c>, <c>aten::full</c>, <c>aten::arange</c>) made <paramref name="tensor"/> from
    /// <paramref name="factory"/>'s non-tensor arguments alone (sizes, a fill value, a dtype). A recording observer
    /// may record the factory where the tensor is used — a trace whose sizes are symbolic then makes it at each
    /// call's sizes — instead of freezing its values, after checking that it still holds what the factory makes
    /// (code may have written into it since). Ignored by default.
    /// </summary>
    void OnCreate(Tensor tensor, OpCall factory) { }
}

/// <summary>Installs op observers and marks op-internal work that observers must not see.</summary>
public static class Dispatch
{
    [ThreadStatic] private static IOpObserver? _observer;
    [ThreadStatic] private static int _internalDepth;

    /// <summary>The observer of this thread, unless inside an op's own implementation.</summary>
    internal static IOpObserver? Observer => _internalDepth == 0 ? _observer : null;

    /// <summary>True when an observer sees this thread's ops (a trace is being recorded).</summary>
    internal static bool IsObserved => Observer is not null;

    /// <summary>Installs <paramref name="observer"/> on this thread until the returned scope is disposed.</summary>
    public static IDisposable Observe(IOpObserver observer)
    {
        var previous = _observer;
        _observer = observer;
        return new Scope(() => _observer = previous);
    }

    /// <summary>
    /// Hides ops and reads from observers until disposed. Every recorded op already runs its computation inside
    /// this scope (<see cref="Record(OpCall, Func{Tensor}, Tensor?[], Func{Tensor, Backward}?, Func{Tensor?[], Tensor}?)"/>
    /// enters it), so ops never need it; code outside ops — the JIT's own bookkeeping, reads — enters it directly.
    /// </summary>
    internal static IDisposable Internal()
    {
        _internalDepth++;
        return new Scope(() => _internalDepth--);
    }

    private sealed class Scope(Action onDispose) : IDisposable
    {
        private Action? _onDispose = onDispose;

        public void Dispose()
        {
            _onDispose?.Invoke();
            _onDispose = null;
        }
    }

    /// <summary>
    /// Runs an op and reports it: executes <paramref name="compute"/> — the op's kernel, or the tensor ops that
    /// implement it — inside <see cref="Internal"/> with autograd recording off, so nothing it does reaches an
    /// observer or the autograd graph; then reports the op once to the observer and attaches its backward,
    /// which <paramref name="backward"/> builds from the output (rule i maps the output's gradient to input
    /// i's; null: no gradient flows to that input, e.g. an index or a mask). Rules are written with Tensor ops,
    /// so they are themselves differentiable and traceable. The backward's saved tensors are those the rules
    /// read besides the inputs without a rule (those — indices, masks, conditions — are always saved): modifying
    /// any of them in place before backward is reported as an error. A rule that reads an input's or output's
    /// values must list it; one that reads only shapes and dtypes need not (SavedTensorVersionTests walks every
    /// rule's closure to check this). <paramref name="replay"/>, when given, re-executes the op for observers.
    /// </summary>
    internal static Tensor Record(OpCall op, Func<Tensor> compute, Tensor?[] inputs, Func<Tensor, Backward>? backward, Func<Tensor?[], Tensor>? replay = null)
    {
        CheckAlive(op, inputs);
        var output = RunHidden(compute);
        AttachBackward(op, inputs, output, output, backward);
        Observer?.OnOp(op, inputs, output, replay);
        return output;
    }

    /// <summary>
    /// Runs an op's out= form (PyTorch's <c>aten::add.out</c>): <paramref name="compute"/> writes the op's result into
    /// <paramref name="out"/>, a buffer the caller owns (a compiled graph's planned intermediate, a parameter's
    /// <c>.grad</c>), and returns it; the op is reported to observers as its functional form. As in PyTorch, out= forms
    /// do not support autograd; and <paramref name="out"/> may share no memory with an input.
    /// </summary>
    /// <exception cref="InvalidOperationException">An input requires grad while autograd records.</exception>
    /// <exception cref="ArgumentException"><paramref name="out"/> shares storage with an input.</exception>
    internal static Tensor Out(OpCall op, Tensor @out, Tensor?[] inputs, Func<Tensor> compute)
    {
        CheckOut(op, @out, inputs);
        var r = CheckWritten(op, @out, RunHidden(compute));
        Observer?.OnOp(op, inputs, r, null);
        return r;
    }

    /// <summary>The out= form of an op with several outputs: <paramref name="compute"/> writes the first into <paramref name="out"/> (see <see cref="Out(OpCall, Tensor, Tensor?[], Func{Tensor})"/>).</summary>
    internal static Tensor[] Out(OpCall op, Tensor @out, Tensor?[] inputs, Func<Tensor[]> compute)
    {
        CheckOut(op, @out, inputs);
        var outputs = RunHidden(compute);
        CheckWritten(op, @out, outputs[0]);
        Observer?.OnOp(op, inputs, outputs);
        return outputs;
    }

    /// <summary>The functional op (<see cref="Record(OpCall, Func{Tensor}, Tensor?[], Func{Tensor, Backward}?, Func{Tensor?[], Tensor}?)"/>) when <paramref name="out"/> is null, else its out= form.</summary>
    internal static Tensor Run(OpCall op, Tensor? @out, Func<Tensor> compute, Tensor?[] inputs, Func<Tensor, Backward>? backward) =>
        @out is null ? Record(op, compute, inputs, backward) : Out(op, @out, inputs, compute);

    private static void CheckOut(OpCall op, Tensor @out, Tensor?[] inputs)
    {
        CheckAlive(op, inputs);
        @out.Storage.CheckAlive(op.Name);
        if (Autograd.ShouldRecord(inputs))
            throw new InvalidOperationException($"{op.Name}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad.");
        foreach (var t in inputs)
            if (t is not null && ReferenceEquals(t.Storage, @out.Storage))
                throw new ArgumentException($"{op.Name}: the out= tensor of shape {Shapes.Format(@out._shape)} shares memory with an input of shape {Shapes.Format(t._shape)}; an op's output buffer must be its own.");
    }

    private static Tensor CheckWritten(OpCall op, Tensor @out, Tensor r) => ReferenceEquals(r.Storage, @out.Storage) ? r
        : throw new InvalidOperationException($"{op.Name}: its out= form returned a tensor that does not view the given buffer.");

    private static void CheckAlive(OpCall op, Tensor?[] inputs)
    {
        foreach (var t in inputs) t?.Storage.CheckAlive(op.Name);
    }

    /// <summary>Gives <paramref name="first"/> the op's grad_fn when autograd records it and some rule lets a gradient through.</summary>
    private static void AttachBackward<T>(OpCall op, Tensor?[] inputs, Tensor first, T outputs, Func<T, Backward>? backward)
    {
        if (backward is null || !first.IsFloatingPoint || !Autograd.ShouldRecord(inputs)) return;
        var b = backward(outputs);
        if (Array.Exists(b.Rules, r => r is not null))
            first.GradFn = new FunctionNode(op.Name, inputs, b.Rules, b.Saved);
    }

    /// <summary>Runs <paramref name="compute"/> hidden from observers and autograd (the body of every recorded op).</summary>
    private static T RunHidden<T>(Func<T> compute)
    {
        _internalDepth++;
        bool gradWasDisabled = Autograd.SetDisabled(true);
        try
        {
            return compute();
        }
        finally
        {
            Autograd.SetDisabled(gradWasDisabled);
            _internalDepth--;
        }
    }

    /// <summary>As <see cref="Record(OpCall, Func{Tensor}, Tensor?[], Func{Tensor, Backward}?, Func{Tensor?[], Tensor}?)"/>, with rules that do not read the output.</summary>
    internal static Tensor Record(OpCall op, Func<Tensor> compute, Tensor?[] inputs, Func<Tensor, Tensor>?[] rules, params Tensor[] saved) =>
        Record(op, compute, inputs, _ => new Backward(rules, saved));

    /// <summary>
    /// Runs and reports an op with several outputs (<paramref name="compute"/> returns them in the op's output order), as
    /// the single-output form does. Only the first output is differentiable: it gets the grad_fn, and rule i maps its
    /// gradient to input i's; the other outputs (indices, saved statistics such as layer_norm's mean and rstd) never
    /// require grad — as PyTorch's native_layer_norm backward, which uses only the gradient of output 0. The rules may
    /// read the other outputs (listed as saved when they do); a traced backward then reads them from the same node
    /// instead of recomputing them.
    /// </summary>
    internal static Tensor[] Record(OpCall op, Func<Tensor[]> compute, Tensor?[] inputs, Func<Tensor[], Backward>? backward)
    {
        CheckAlive(op, inputs);
        var outputs = RunHidden(compute);
        if (outputs.Length == 0) throw new InvalidOperationException($"{op.Name}: an op reports at least one output.");
        AttachBackward(op, inputs, outputs[0], outputs, backward);
        Observer?.OnOp(op, inputs, outputs);
        return outputs;
    }

    /// <summary>
    /// Runs and reports an op whose first <paramref name="differentiable"/> outputs all carry gradients (the LSTM cell's h'
    /// and c'; later outputs, such as its workspace, never require grad): each gets a grad_fn of one
    /// <see cref="MultiOutputNode"/>, whose backward maps all their gradients (null where none reached) to the inputs' at once.
    /// </summary>
    internal static Tensor[] Record(OpCall op, Func<Tensor[]> compute, Tensor?[] inputs, int differentiable, Func<Tensor[], MultiBackward> backward)
    {
        CheckAlive(op, inputs);
        var outputs = RunHidden(compute);
        AttachMultiBackward(op.Name, inputs, outputs, differentiable, backward);
        Observer?.OnOp(op, inputs, outputs);
        return outputs;
    }

    /// <summary>Gives outputs 0 to <paramref name="differentiable"/> − 1 the slots of one multi-output node when autograd records the op.</summary>
    internal static void AttachMultiBackward(string op, Tensor?[] inputs, Tensor[] outputs, int differentiable, Func<Tensor[], MultiBackward> backward)
    {
        if (differentiable == 0 || !outputs[0].IsFloatingPoint || !Autograd.ShouldRecord(inputs)) return;
        var b = backward(outputs);
        var node = new MultiOutputNode(op, inputs, differentiable, b.Grads, b.Saved);
        for (int k = 0; k < differentiable; k++) outputs[k].GradFn = new OutputSlot(node, k);
    }

    /// <summary>One-input form.</summary>
    internal static Tensor Record(OpCall op, Func<Tensor> compute, Tensor input, Func<Tensor, Tensor>? rule, params Tensor[] saved) =>
        Record(op, compute, [input], _ => new Backward([rule], saved));

    /// <summary>Two-input form.</summary>
    internal static Tensor Record(OpCall op, Func<Tensor> compute, Tensor a, Func<Tensor, Tensor>? ruleA, Tensor b, Func<Tensor, Tensor>? ruleB, params Tensor[] saved) =>
        Record(op, compute, [a, b], _ => new Backward([ruleA, ruleB], saved));

    /// <summary>Runs and reports a non-differentiable op (comparisons, argmax, casts to integer types...).</summary>
    internal static Tensor Record(OpCall op, Func<Tensor> compute, params Tensor?[] inputs) =>
        Record(op, compute, inputs, (Func<Tensor, Backward>?)null);

    /// <summary>Reports a tensor made by a factory from <paramref name="factory"/>'s arguments (its device the last of them) and returns it.</summary>
    internal static Tensor Created(Tensor t, OpCall factory)
    {
        Observer?.OnCreate(t, factory);
        return t;
    }

    /// <summary>Reports that an in-place op is about to write to a tensor.</summary>
    internal static void Mutating(Tensor t) => Observer?.OnMutating(t);

    /// <summary>Reports a read of tensor values into .NET.</summary>
    internal static void Read(Tensor t, string api) => Observer?.OnRead(t, api);
}

/// <summary>The backward of a recorded op: one rule per input (null where no gradient flows) and the tensors the rules read.</summary>
internal readonly record struct Backward(Func<Tensor, Tensor>?[] Rules, params Tensor[] Saved)
{
    /// <summary>A one-input op's backward.</summary>
    public Backward(Func<Tensor, Tensor>? rule, params Tensor[] saved) : this([rule], saved) { }
}
