namespace Trace.Jit;

/// <summary>
/// A traced model or function, called like the original. Each call is matched against specializations
/// keyed on the inputs' (and parameters') shapes, dtypes, devices and requires_grad; a call that matches
/// none is traced again (the reason is kept, see <see cref="ExplainLastRetrace"/>). Value guards recorded
/// for tensor values read into .NET while tracing make a specialization apply only when those values
/// repeat: otherwise the call is retraced (or, with <see cref="TraceOptions.Strict"/>, rejected) — it
/// never replays a branch the eager code would not take. Parameters are graph inputs read live at each
/// call, so optimizer updates are seen and gradients flow into them. A traced module is specialized on the
/// training mode of every module in its tree too (<c>Eval()</c> retraces once, then both modes are cached), and a
/// tensor it captured as a constant that is later modified in place makes its specializations stale (retraced).
/// </summary>
public sealed partial class TracedModule
{
    private readonly Func<Tensor[], Tensor[]> _eager;
    private readonly Func<IReadOnlyList<(string Name, Tensor Tensor)>> _parameters;
    private readonly string[] _inputNames;
    private readonly List<Specialization> _specializations = [];
    private readonly ModuleModes _modes;
    private readonly DynamicShapes _dynamic;
    private bool _warned;

    internal TracedModule(string name, Func<Tensor[], Tensor[]> eager, Func<IReadOnlyList<(string, Tensor)>> parameters, string[] inputNames,
        TraceOptions options, Nn.Module? root = null, ModuleModes? modes = null)
    {
        Name = name;
        _eager = eager;
        _parameters = parameters;
        _inputNames = inputNames;
        Options = options;
        _modes = modes ?? new ModuleModes(root);
        _dynamic = new DynamicShapes(this, _specializations);
    }

    /// <summary>The traced model's name (the module's type or "function").</summary>
    public string Name { get; }

    /// <summary>The options it was traced with.</summary>
    public TraceOptions Options { get; }

    /// <summary>Number of specializations traced so far.</summary>
    public int SpecializationCount => _specializations.Count;

    /// <summary>The optimized graph of the most recently used specialization.</summary>
    public Graph Graph => Last.Graph;

    /// <summary>
    /// The compiled backward of the most recently used specialization (its forward is <see cref="Graph"/>),
    /// or null when it was traced without gradients or its backward runs on the eager tape (see <see cref="EagerBackwardReason"/>).
    /// </summary>
    public DifferentiableGraph? Differentiable => Last.Diff;

    /// <summary>Why the most recently used specialization needs gradients but runs them on the eager tape (null otherwise).</summary>
    public string? EagerBackwardReason => Last.EagerBackwardReason;

    /// <summary>The graph as recorded (forward and, with a compiled backward, the backward), before the optimization passes.</summary>
    public Graph RawGraph => Last.RawGraph;

    /// <summary>C#-like source of <see cref="Graph"/>.</summary>
    public string Code => CodePrinter.Print(Last.Graph, Name);

    /// <summary>
    /// What the backend generated for <see cref="Graph"/>: each fusion group's body as C#-like code and how it runs
    /// (<see cref="IBackend.DescribeFusionGroup"/>; groups compile on first use without gradients, this compiles them now).
    /// </summary>
    public string GeneratedCode
    {
        get
        {
            var sb = new System.Text.StringBuilder();
            int i = 0;
            var backend = Last.Backend;
            foreach (var n in CompiledGraphs.SelectMany(g => g.Nodes).Where(n => n.Subgraph is not null))
            {
                sb.Append("// prim::FusionGroup_").Append(i++).Append(": ").Append(backend.DescribeFusionGroup(n)).Append('\n').Append(CodePrinter.Print(n.Subgraph!, $"FusionGroup_{i - 1}"));
                if (Options.ShowPtx && backend is CudaBackend) sb.Append("// PTX (sm_90):\n").Append(CudaBackend.Ptx(n));
            }
            return sb.Length == 0 ? "// no fusion groups: every op runs its eager kernel\n" : sb.ToString();
        }
    }

    /// <summary>The graphs the last specialization runs: its forward and compiled backward, or its one graph.</summary>
    internal IReadOnlyList<Graph> CompiledGraphs => Last.Diff is { } d ? [d.Forward, d.Backward] : [Last.Graph];

    /// <summary>Warnings issued (e.g. too many specializations: running eagerly).</summary>
    public List<string> Warnings { get; } = [];

    private Specialization? _last;
    private Specialization Last => _last ?? throw new InvalidOperationException(IsLoaded
        ? $"JIT: {Name} was loaded and has not run yet: it traces its saved graph on its first call."
        : "JIT: this module has not been traced yet.");
    private string? _lastRetrace;
    private string? _lastSummary;   // the last retrace's reason without the values a guard read (for warnings)

    /// <summary>Why the last call that needed a new trace did (null if none did after the first).</summary>
    public string? ExplainLastRetrace() => _lastRetrace;

    /// <summary>Runs the model on one input and returns its single output.</summary>
    public Tensor Forward(Tensor input) => Call(input)[0];

    /// <summary>Runs the model: the matching specialization through the interpreter, or a new trace.</summary>
    /// <exception cref="ArgumentException">The call passes another number of inputs than were traced, or a null one.</exception>
    public Tensor[] Call(params Tensor[] inputs) => Call(inputs, null);

    /// <summary>As <see cref="Call(Tensor[])"/>, writing outputs into the given tensors where the compiled graph can (see <see cref="GraphProgram.Run"/>).</summary>
    internal Tensor[] Call(Tensor[] inputs, Tensor?[]? outputBuffers)
    {
        CheckArguments(inputs);
        var parameters = _parameters();
        var all = inputs.Concat(parameters.Select(p => p.Tensor)).ToArray();
        var signature = SignatureOf(all);
        bool full = _specializations.Count >= Options.MaxSpecializations;
        string? failed = null, summary = null;
        for (int k = 0; k < _specializations.Count; k++)
        {
            var s = _specializations[k];
            if (!s.Accepts(signature)) continue;
            if (s.StaleCapture() is { } stale)
            {
                // What eager code would read changed under a frozen constant: this graph can never apply again.
                _specializations.RemoveAt(k--);
                (failed, summary, full) = (stale, stale, _specializations.Count >= Options.MaxSpecializations);
                continue;
            }
            // With the cache full, a graph that may stop at a value guard is not replayed just to find out.
            if (full && s.HasValueGuards) continue;
            try
            {
                var outputs = RunSpecialization(s, [.. all, .. s.Lifted], outputBuffers);
                _last = s;
                return outputs;
            }
            catch (GuardFailedException e)
            {
                if (Options.Strict) throw;
                (failed, summary) = (e.Message, e.Summary);
            }
            catch (SymbolicShapeException e) when (s.Dynamic is not null)
            {
                (failed, summary) = (e.Message, e.Message);   // its graph does not describe this size: trace it
            }
        }
        string? Reason() => failed ?? (_specializations.Count == 0 ? null
            : signature.Explain(_specializations.Last().Signature, [.. _inputNames, .. parameters.Select(p => p.Name)], _modes.Names) is { Length: > 0 } d ? d
            : "the matching specializations read values into .NET (value guards)");
        if (full)
        {
            if (!_warned)
            {
                _warned = true;
                // Never the reason's values: a warning must not print tensors.
                var w = $"JIT: {Name} reached {Options.MaxSpecializations} specializations (TraceOptions.MaxSpecializations); calls that match none, " +
                        $"or whose graphs read values into .NET, run eagerly from now on (last retrace: {_lastSummary ?? "none"}).";
                Warnings.Add(w);
                Console.Error.WriteLine(w);
            }
            _lastRetrace = $"the specialization cache is full ({Options.MaxSpecializations}, TraceOptions.MaxSpecializations): ran eagerly; {Reason() ?? "a graph with value guards was not replayed"}";
            return _eager(inputs);
        }
        _lastRetrace = Reason();
        _lastSummary = summary ?? _lastRetrace;
        if (!IsLoaded) return TraceNew(inputs, parameters, signature);
        // A loaded module's trace runs the reference interpreter; its first call returns what every later call computes.
        TraceNew(inputs, parameters, signature, asCall: false);
        return RunSpecialization(_last!, [.. all, .. _last!.Lifted], outputBuffers);
    }

    /// <summary>The call's specialization key: its tensors' types, grad mode and the training mode of the traced modules.</summary>
    internal Signature SignatureOf(IReadOnlyList<Tensor> tensors) => Signature.Of(tensors, _modes.Current());

    private void CheckArguments(Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != _inputNames.Length)
            throw new ArgumentException($"JIT: {Name} was traced with {_inputNames.Length} input{(_inputNames.Length == 1 ? "" : "s")} " +
                $"({string.Join(", ", _inputNames)}); this call passes {inputs.Length}.", nameof(inputs));
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"JIT: {Name}: input {i} ({_inputNames[i]}) is null.");
    }

    /// <summary>
    /// Traces a new specialization from this call and returns the call's outputs. The forward's in-place writes happen
    /// once, as in an eager call — unless <paramref name="asCall"/> is false (Jit.TraceStep's first trace is not a step):
    /// then the written state is put back as it was.
    /// </summary>
    internal Tensor[] TraceNew(Tensor[] inputs, IReadOnlyList<(string Name, Tensor Tensor)> parameters, Signature signature, bool asCall = true)
    {
        var clock = PassPipeline.Logs("timing") ? System.Diagnostics.Stopwatch.StartNew() : null;
        void Phase(string what)
        {
            if (clock is null) return;
            Console.Error.WriteLine($"[{PassPipeline.LogVariable}] {Name}: {what} {clock.Elapsed.TotalMilliseconds:F1} ms");
            clock.Restart();
        }
        var tracer = new Tracer();
        for (int i = 0; i < inputs.Length; i++) tracer.BindInput(inputs[i], i < _inputNames.Length ? _inputNames[i] : $"input{i}");
        foreach (var (name, t) in parameters) tracer.BindInput(t, name);
        try
        {
            var outputs = Record(tracer, inputs, parameters, signature, Phase);
            if (!asCall) TensorState.RestoreAll(tracer.Mutated);
            return outputs;
        }
        catch
        {
            // A failed trace leaves the state the forward writes (buffers, inputs) as it found it.
            TensorState.RestoreAll(tracer.Mutated);
            throw;
        }
    }

    private Tensor[] Record(Tracer tracer, Tensor[] inputs, IReadOnlyList<(string Name, Tensor Tensor)> parameters, Signature signature, Action<string> phase)
    {
        Tensor[] outputs;
        using (Dispatch.Observe(tracer)) outputs = _eager(inputs);
        foreach (var o in outputs) tracer.Graph.Outputs.Add(tracer.ValueOf(o));
        var raw = tracer.Graph;
        phase("record");
        int[]? gradInputs = null, gradOutputs = null;
        string? eagerBackward = null;
        var forwardRaw = raw;
        var callInputs = (IReadOnlyList<Tensor>)[.. inputs, .. parameters.Select(p => p.Tensor), .. tracer.LiftedInputs];
        if (Options.CompileBackward && !ComputesGradients && Autograd.IsEnabled && callInputs.Any(t => t.RequiresGrad))
        {
            forwardRaw = raw.Clone();
            gradInputs = DifferentiableGraph.TraceBackward(tracer, outputs, callInputs, out var differentiable, out eagerBackward);
            gradOutputs = differentiable;
            if (gradInputs is null) raw = forwardRaw;
            phase("backward trace");
        }
        var recording = new Recording(signature, raw, forwardRaw, [.. tracer.LiftedInputs], gradInputs, eagerBackward, [.. tracer.CapturedConstants()], gradOutputs);
        // A new size of a dynamic dim: served by a symbolic specialization it fits, or unified with earlier traces into one.
        if (_dynamic.TryServe(recording, inputs, parameters, tracer.Mutated, out var served, out var observed))
        {
            _last = served;
            return outputs;
        }
        var s = Build(recording, observed);
        phase("passes, split, fusion, memory plans");
        if (Options.CheckTrace && !raw.Nodes.Any(n => n.IsNondeterministic))
        {
            CheckNew(s, inputs, parameters, tracer.Mutated);
            phase("trace check (eager and compiled runs; first-use compiles)");
        }
        _specializations.Add(s);
        _last = s;
        return outputs;
    }

    /// <summary>Compiles a recorded trace: the compiled backward when it has one, the passes, fusion and memory plans.</summary>
    internal Specialization Build(Recording r, DynamicInfo? dynamic)
    {
        var raw = r.Raw;
        // The backend of the traced tensors' device (or the one the options name) compiles every graph of the specialization.
        var backend = BackendSelection.For(Options, raw, Name);
        var options = Options with { Backend = backend };
        DifferentiableGraph? diff = null;
        string? eagerBackward = r.EagerBackward;
        if (r.GradInputs is { } gradInputs)
        {
            diff = DifferentiableGraph.Build(raw, gradInputs, r.ForwardRaw.Outputs.Count, r.GradOutputs ?? [0], options, out eagerBackward);
            if (diff is null) raw = r.ForwardRaw;
        }
        if (Jit.SelfCheck) SelfCheck(raw);
        var optimized = diff?.Forward ?? PassPipeline.Inference(raw, backend, options);
        if (diff is not null && Jit.SelfCheck)
        {
            SelfCheck(diff.Forward);
            SelfCheck(diff.Backward);
        }
        return new Specialization(r.Signature, raw, optimized, r.Lifted, diff, eagerBackward)
        {
            Program = diff is null ? backend.Compile(optimized) : null,
            Backend = backend,
            CheckGraph = r.ForwardRaw,
            Captured = r.Captured,
            Dynamic = dynamic,
        };
    }

    /// <summary>The trace check of a new specialization on the call that traced it (whose forward wrote <paramref name="mutated"/>).</summary>
    /// <exception cref="TracingCheckException">The graph does not reproduce eager.</exception>
    internal void CheckNew(Specialization s, Tensor[] inputs, IReadOnlyList<(string Name, Tensor Tensor)> parameters, List<TensorState> mutated)
    {
        // The check reruns the forward from the state the trace started in; the call's own effect is put back after.
        var after = TensorState.Of(mutated.Select(m => m.Target));
        try
        {
            TraceChecker.Check(this, s, inputs, parameters, mutated, isExample: true);
            foreach (var extra in Options.CheckInputs) TraceChecker.Check(this, s, extra, parameters, mutated, isExample: false);
        }
        finally
        {
            TensorState.RestoreAll(after);
        }
    }

    /// <summary>Adds to the reason <see cref="ExplainLastRetrace"/> gives for the current retrace.</summary>
    internal void NoteRetrace(string note) => _lastRetrace = _lastRetrace is null ? note : $"{_lastRetrace}; {note}";

    internal Tensor[] RunEager(Tensor[] inputs) => _eager(inputs);

    /// <summary>
    /// True for a traced function that computes gradients itself (a training step: its graph holds forward and
    /// backward): it is traced with grad mode on and replayed under NoGrad, so no tape is built and every
    /// fusion group runs compiled.
    /// </summary>
    internal bool ComputesGradients { get; init; }

    /// <summary>Runs a specialization as a call would (under NoGrad for <see cref="ComputesGradients"/>).</summary>
    internal Tensor[] RunSpecialization(Specialization s, Tensor[] callInputs, Tensor?[]? outputBuffers = null)
    {
        if (!ComputesGradients) return s.Run(callInputs, outputBuffers);
        using var _ = Autograd.NoGrad();
        return s.Run(callInputs, outputBuffers);
    }

    /// <summary>Every traced graph must lint and print back to the same text after parsing.</summary>
    private static void SelfCheck(Graph g)
    {
        GraphVerifier.Lint(g);
        var text = g.ToString();
        var again = Parser.Parse(text, g.TensorConstants).ToString();
        if (again != text)
            throw new InvalidOperationException($"JIT self-check: the graph does not round-trip through its text form.\nPrinted:\n{text}\nReparsed:\n{again}");
    }
}
