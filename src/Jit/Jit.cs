using Trace.Nn;

namespace Trace.Jit;

/// <summary>
/// Entry points of the tracing JIT: <c>Jit.Trace(model, exampleInputs)</c> runs the model once on real
/// tensors, records every op into a TorchScript-style graph, optimizes it and returns a
/// <see cref="TracedModule"/> that is called like the original.
/// </summary>
public static partial class Jit
{
    /// <summary>
    /// When true, every new trace is linted and round-tripped through its text form before use (the test
    /// suites turn it on; also set by the environment variable <c>TRACE_JIT_SELFCHECK=1</c>).
    /// </summary>
    public static bool SelfCheck { get; set; } = Environment.GetEnvironmentVariable("TRACE_JIT_SELFCHECK") == "1";

    /// <summary>
    /// Traces a module's forward; its parameters and buffers become named graph inputs (<c>%0.weight</c>). With one
    /// example input it traces <see cref="Module.Forward(Tensor)"/> (graph input <c>%input</c>); with several, it traces
    /// <see cref="Module.ForwardMany"/> (inputs <c>%input0</c>, <c>%input1</c>, …) and the traced module's
    /// <see cref="TracedModule.Call(Tensor[])"/> returns every output (the lecture's <c>torch.jit.trace(my_cell, (x, h))</c>).
    /// </summary>
    public static TracedModule Trace(Module module, Tensor[] exampleInputs, TraceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(exampleInputs);
        if (exampleInputs.Length == 0)
            throw new ArgumentException("Jit.Trace: no example inputs; a module's forward takes at least one tensor.", nameof(exampleInputs));
        // Collected again only when some module's registrations change (names cost more than the call's kernels on small models).
        int version = -1;
        IReadOnlyList<(string, Tensor)> cached = [];
        IReadOnlyList<(string, Tensor)> Parameters()
        {
            int now = Module.StructureVersion;
            if (now != version)
            {
                cached = [.. module.NamedParameters().Select(p => (p.Name, p.Parameter)), .. module.NamedBuffers().Select(b => (b.Name, b.Buffer))];
                version = now;
            }
            return cached;
        }
        // One input: Forward(Tensor), one output. Several: ForwardMany, with all its outputs.
        Func<Tensor[], Tensor[]> forward = exampleInputs.Length == 1 ? x => [module.Forward(x[0])] : module.ForwardMany;
        string[] names = exampleInputs.Length == 1 ? ["input"] : [.. Enumerable.Range(0, exampleInputs.Length).Select(i => $"input{i}")];
        var traced = new TracedModule(module.GetType().Name, forward, Parameters, names, options ?? new TraceOptions(), module);
        CheckExamples("Jit.Trace", exampleInputs);
        traced.TraceNew(exampleInputs, Parameters(), traced.SignatureOf([.. exampleInputs, .. Parameters().Select(p => p.Item2)]));
        return traced;
    }

    /// <summary>Rejects null example inputs with a message naming the entry point and the input.</summary>
    internal static void CheckExamples(string api, Tensor[] examples)
    {
        for (int i = 0; i < examples.Length; i++)
            if (examples[i] is null) throw new ArgumentNullException(nameof(examples), $"{api}: example input {i} is null.");
    }

    /// <summary>Traces a module with one example input.</summary>
    public static TracedModule Trace(Module module, Tensor exampleInput, TraceOptions? options = null) => Trace(module, [exampleInput], options);

    /// <summary>
    /// Traces a function of several tensors returning one or more tensors. Tensors it captures that require
    /// grad (parameters) become graph inputs read live at every call; other captured tensors become constants.
    /// </summary>
    public static TracedModule Trace(Func<Tensor[], Tensor[]> function, Tensor[] exampleInputs, TraceOptions? options = null, string[]? inputNames = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(exampleInputs);
        var names = inputNames ?? Enumerable.Range(0, exampleInputs.Length).Select(i => exampleInputs.Length == 1 ? "x" : $"x{i}").ToArray();
        if (names.Length != exampleInputs.Length)
            throw new ArgumentException($"Jit.Trace: {names.Length} input names for {exampleInputs.Length} example inputs.", nameof(inputNames));
        foreach (var n in names)
            if (n is null || !IrLexer.IsName(n))
                throw new ArgumentException($"Jit.Trace: input name '{n}' cannot name an IR value (it must be non-empty, without whitespace, '%', '\"' or any of ()[]<>,:=).", nameof(inputNames));
        CheckExamples("Jit.Trace", exampleInputs);
        var traced = new TracedModule("function", function, () => [], names, options ?? new TraceOptions());
        traced.TraceNew(exampleInputs, [], traced.SignatureOf(exampleInputs));
        return traced;
    }

    /// <summary>Traces a function of several tensors returning one tensor.</summary>
    public static TracedModule Trace(Func<Tensor[], Tensor> function, Tensor[] exampleInputs, TraceOptions? options = null, string[]? inputNames = null) =>
        Trace(x => [function(x)], exampleInputs, options, inputNames);

    /// <summary>Traces a function of one tensor.</summary>
    public static TracedModule Trace(Func<Tensor, Tensor> function, Tensor exampleInput, TraceOptions? options = null) =>
        Trace(x => [function(x[0])], [exampleInput], options, ["x"]);
}

public static partial class Jit
{
    /// <summary>
    /// Traces a whole training step of <paramref name="model"/>: <c>lossFn(model(input), target)</c>, its
    /// gradients with respect to <paramref name="optimizer"/>'s parameters, and the update. Call
    /// <see cref="TracedStep.Step"/> with (input, target) batches.
    /// </summary>
    /// <example><code>
    /// var step = Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), new Adam(model.Parameters(), lr: 1e-4), x, y);
    /// for (int i = 0; i &lt; 500; i++) { var loss = step.Step(x, y); }
    /// </code></example>
    public static TracedStep TraceStep(Module model, Func<Tensor, Tensor, Tensor> lossFn, Optim.Optimizer optimizer,
        Tensor exampleInput, Tensor exampleTarget, TraceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lossFn);
        // Parameters carry their module names; buffers are graph inputs read live, as in Trace.
        return TracedStep.Create(model.GetType().Name + ".step", model, b => lossFn(model.Forward(b[0]), b[1]), optimizer, [exampleInput, exampleTarget],
            [.. model.NamedParameters().Select(p => (p.Name, p.Parameter))], [.. model.NamedBuffers().Select(b => (b.Name, b.Buffer))],
            ["input", "target"], options);
    }

    /// <summary>
    /// Traces a training step given as a loss function of a batch: its gradients with respect to
    /// <paramref name="optimizer"/>'s parameters (captured by the function) and the update.
    /// </summary>
    public static TracedStep TraceStep(Func<Tensor[], Tensor> loss, Optim.Optimizer optimizer, Tensor[] exampleBatch, TraceOptions? options = null) =>
        TracedStep.Create("step", null, loss, optimizer, exampleBatch, [], [], Enumerable.Range(0, exampleBatch.Length).Select(i => $"x{i}").ToArray(), options);
}
