namespace Trace.Jit;

/// <summary>
/// One forward graph of a model that runs without its code (loaded by <see cref="Jit.Load"/> or imported from ONNX): the
/// graph as recorded (call inputs, then parameters and buffers, then <paramref name="Lifted"/>), the module modes it was
/// traced in (<paramref name="Training"/>, empty for a function), and the tensors lifted to inputs, which it may write.
/// </summary>
internal sealed record SavedForward(Graph Graph, bool[] Training, Tensor[] Lifted)
{
    private IExecutable? _program;

    /// <summary>The graph compiled by the reference backend: every node through its eager op, so autograd and the tracer see the ops.</summary>
    public IExecutable Program => _program ??= ReferenceBackend.Instance.Compile(Graph);

    /// <summary>Whether a call on <paramref name="all"/> (inputs, parameters, lifted) fits the graph's declared input types (symbolic sizes bound).</summary>
    public bool Fits(IReadOnlyList<Tensor> all, out string? why)
    {
        why = null;
        try
        {
            long[]? symbols = Program.BindSymbols(all);
            InputTypes.Check(Graph, all, "graph", symbols);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or SymbolicShapeException)
        {
            why = e.Message;
            return false;
        }
    }

    /// <summary>
    /// The eager function of a model known only by its saved forward graphs: each call runs the graph saved for the call's
    /// input types and module modes through the reference interpreter (which the tracer records like any eager code, so
    /// the module traces, differentiates and compiles as the original did).
    /// </summary>
    public static Func<Tensor[], Tensor[]> Eager(string name, IReadOnlyList<SavedForward> graphs, Func<IReadOnlyList<(string Name, Tensor Tensor)>> parameters,
        ModuleModes modes, IReadOnlyList<string> inputNames)
    {
        return inputs =>
        {
            var training = modes.Current();
            var reasons = new List<string>();
            var candidates = new List<(SavedForward Graph, Tensor[] All)>();
            var ps = parameters();
            foreach (var g in graphs)
            {
                Tensor[] all = [.. inputs, .. ps.Select(p => p.Tensor), .. g.Lifted];
                if (!g.Training.AsSpan().SequenceEqual(training))
                    reasons.Add($"graph {reasons.Count + candidates.Count}: traced in {Modes(g.Training)}, the module is in {Modes(training)}");
                else if (!g.Fits(all, out var why))
                    reasons.Add($"graph {reasons.Count + candidates.Count}: {why}");
                else candidates.Add((g, all));
            }
            if (candidates.Count == 0)
                throw new InvalidOperationException($"{name} (loaded): no saved graph takes this call ({Describe(inputs, inputNames)}); the model runs without its code, " +
                    $"so it cannot trace another: {string.Join("; ", reasons).TrimEnd('.')}.");
            // Several graphs for one signature differ in the values they read into .NET (value guards): find the one whose
            // guards hold on copies, out of the tracer's sight, then run it for real.
            var chosen = candidates.Count == 1 ? candidates[0] : candidates.FirstOrDefault(c => GuardsHold(c.Graph, c.All));
            if (chosen.Graph is null)
                throw new InvalidOperationException($"{name} (loaded): the {candidates.Count} saved graphs for this call's types all read other values into .NET (value guards) than this call's.");
            return chosen.Graph.Program.Run(chosen.All);
        };
    }

    private static bool GuardsHold(SavedForward g, Tensor[] all)
    {
        using var _ = Dispatch.Internal();
        using var noGrad = Autograd.NoGrad();
        try
        {
            g.Program.Run([.. all.Select(t => t.Clone())]);
            return true;
        }
        catch (GuardFailedException)
        {
            return false;
        }
    }

    private static string Modes(bool[] training) => training.Length == 0 ? "no modules" : training.All(t => t) ? "training mode" : training.All(t => !t) ? "eval mode"
        : $"modes [{string.Join(", ", training.Select(t => t ? "train" : "eval"))}]";

    private static string Describe(Tensor[] inputs, IReadOnlyList<string> names) =>
        string.Join(", ", inputs.Select((t, i) => $"{(i < names.Count ? names[i] : $"input{i}")}: {t.DType.TorchName()} {Shapes.Format(t.Shape)} on {t.Device}"));
}
