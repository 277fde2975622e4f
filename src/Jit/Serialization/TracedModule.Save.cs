namespace Trace.Jit;

public sealed partial class TracedModule
{
    /// <summary>The forward graphs of a module loaded from a file or imported (null for a module traced from code).</summary>
    internal IReadOnlyList<SavedForward>? SavedForwards { get; private init; }

    /// <summary>True for a module built from saved graphs (<see cref="Jit.Load"/>, ONNX import): it runs without the model's code.</summary>
    public bool IsLoaded => SavedForwards is not null;

    /// <summary>The parameters and buffers the graphs read, by name (a traced model's own tensors, or a loaded module's).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedTensors() => _parameters();

    /// <summary>The tensors among <see cref="NamedTensors"/> that require grad: what an optimizer fine-tuning a loaded module updates.</summary>
    public IEnumerable<Tensor> Parameters() => _parameters().Select(p => p.Tensor).Where(t => t.RequiresGrad);

    /// <summary>
    /// Puts every module of a loaded model in training (<paramref name="training"/> true) or eval mode, as <c>module.train()</c>;
    /// a call then runs the graph saved for that mode (a traced model takes its modes from the model: call Train()/Eval() there).
    /// </summary>
    /// <exception cref="InvalidOperationException">This module was traced from code, not loaded.</exception>
    public TracedModule Train(bool training = true)
    {
        if (!IsLoaded) throw new InvalidOperationException($"TracedModule.Train: {Name} was traced from a model; set modes on the model (model.Train()/model.Eval()), which the traced module follows.");
        _modes.SetAll(training);
        return this;
    }

    /// <summary>Eval mode for a loaded model (<see cref="Train"/> with false).</summary>
    public TracedModule Eval() => Train(false);

    /// <summary>
    /// Writes this traced module to one file (a zip): each specialization's forward graph as recorded (canonical IR text), its
    /// tensor constants and lifted tensors, the parameters and buffers (safetensors, by name), the input names, module modes,
    /// options and a format version. <see cref="Jit.Load"/> reads it back into a module that runs, differentiates and compiles
    /// without the model's code. The file is written to a temporary name and renamed, so a failed save leaves an existing file whole.
    /// </summary>
    /// <exception cref="InvalidOperationException">A graph calls a custom <see cref="Function"/> (its .NET code cannot be saved), or nothing was traced.</exception>
    /// <exception cref="NotSupportedException">This is a traced training step (save the model and the optimizer state instead).</exception>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (ComputesGradients)
            throw new NotSupportedException($"TracedModule.Save: {Name} is a traced training step; save the model (Jit.Trace(model, …).Save) and the optimizer's state instead.");
        // A loaded module's graphs are the ones it was loaded with (its own traces record the interpreter running them).
        var forwards = SavedForwards?.ToList() ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in IsLoaded ? [] : _specializations)
        {
            if (s.CheckGraph.Nodes.FirstOrDefault(n => n.Replay is not null) is { } custom)
                throw new InvalidOperationException($"TracedModule.Save: {Name} calls the custom Function {custom.Kind} (node %{custom.Outputs[0].Name}), whose Forward and Backward " +
                    "are .NET code that a file cannot hold; write it with built-in ops to save the model.");
            forwards.Add(new SavedForward(s.CheckGraph, s.Signature.Training, s.Lifted));
        }
        forwards.RemoveAll(f => !seen.Add(string.Join(",", f.Training) + "\n" + f.Graph));
        if (forwards.Count == 0) throw new InvalidOperationException($"TracedModule.Save: {Name} has no traced graph to save.");
        ModelArchive.Write(path, new ModelArchive.Contents(Name, [.. _inputNames], _parameters(), [.. _modes.Names], _modes.Current(), Options, forwards));
    }

    /// <summary>A module that runs saved forward graphs (see <see cref="SavedForward.Eager"/>): what <see cref="Jit.Load"/> and ONNX import return.</summary>
    internal static TracedModule FromSaved(string name, string[] inputNames, IReadOnlyList<(string Name, Tensor Tensor)> parameters, string[] modules,
        bool[] training, IReadOnlyList<SavedForward> forwards, TraceOptions options)
    {
        var modes = new ModuleModes(modules, training);
        var eager = SavedForward.Eager(name, forwards, () => parameters, modes, inputNames);
        return new TracedModule(name, eager, () => parameters, inputNames, options, modes: modes) { SavedForwards = forwards };
    }

    /// <summary>
    /// A module that runs one forward graph (inputs named <paramref name="inputNames"/>, then <paramref name="parameters"/> by
    /// name, as a recorded trace), e.g. an imported ONNX model: traced, differentiated and compiled on its first call.
    /// </summary>
    internal static TracedModule FromGraph(string name, Graph forward, string[] inputNames, IReadOnlyList<(string Name, Tensor Tensor)> parameters,
        TraceOptions? options = null) =>
        FromSaved(name, inputNames, parameters, [], [], [new SavedForward(forward, [], [])], options ?? new TraceOptions());
}
