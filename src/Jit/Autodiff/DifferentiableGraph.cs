namespace Trace.Jit;

/// <summary>
/// A specialization that needs gradients, compiled both ways: the forward graph (its outputs plus the values
/// saved for backward) and the backward graph (the gradients of the call's inputs that require grad, from one
/// gradient per differentiable output — a model may return several tensors). Both
/// come from one joint graph, recorded by tracing the model's forward and then the autograd engine running
/// the ops' own backward rules — the rules the eager tape uses — and split by <see cref="Partitioner"/>;
/// the usual passes and fusion then run on each half (the phases of <see cref="PassPipeline"/>).
/// </summary>
public sealed class DifferentiableGraph
{
    internal DifferentiableGraph(Graph forward, Graph backward, (BackwardSource Source, int Index)[] backwardInputs, int[] gradInputs,
        int forwardOutputs, int[] gradOutputs, IBackend backend)
    {
        Forward = forward;
        Backward = backward;
        BackwardInputs = backwardInputs;
        GradInputs = gradInputs;
        ForwardOutputs = forwardOutputs;
        GradOutputs = gradOutputs;
        ForwardProgram = backend.Compile(forward);
        BackwardProgram = backend.Compile(backward);
    }

    internal IExecutable ForwardProgram { get; }

    internal IExecutable BackwardProgram { get; }

    /// <summary>The forward graph: the model's outputs first (<see cref="ForwardOutputs"/> of them), then the values saved for backward.</summary>
    public Graph Forward { get; }

    /// <summary>The backward graph: one output per input of <see cref="GradInputs"/>.</summary>
    public Graph Backward { get; }

    internal (BackwardSource Source, int Index)[] BackwardInputs { get; }

    /// <summary>For each backward output, the index of the call input (input, parameter or lifted tensor) it is the gradient of.</summary>
    public IReadOnlyList<int> GradInputs { get; }

    /// <summary>How many tensors the model returns (the first outputs of <see cref="Forward"/>).</summary>
    public int ForwardOutputs { get; }

    /// <summary>
    /// The model outputs that are differentiable, in order: backward input <c>grad_output</c> k (BackwardSource.GradOutput,
    /// index k) is the gradient of output <c>GradOutputs[k]</c>; an output whose gradient no backward pass supplies gets zeros.
    /// </summary>
    public IReadOnlyList<int> GradOutputs { get; }

    /// <summary>
    /// Extends the trace in <paramref name="tracer"/> (whose graph returns the forward outputs) with the backward
    /// computation: the tracer's graph becomes the joint graph (inputs: the call's, then one <c>grad_output</c> per output
    /// that requires grad; outputs: the forward outputs, then the gradients) and the result says which call input each
    /// gradient belongs to, and <paramref name="gradOutputs"/> which outputs have a gradient input. Null, with the
    /// <paramref name="reason"/>, when the model is outside what the compiled backward handles — the caller then keeps
    /// (a copy of) the forward graph and the eager tape. <see cref="Build"/> compiles the joint graph.
    /// </summary>
    internal static int[]? TraceBackward(Tracer tracer, Tensor[] outputs, IReadOnlyList<Tensor> callInputs, out int[] gradOutputs, out string? reason)
    {
        reason = null;
        var joint = tracer.Graph;
        gradOutputs = [.. Enumerable.Range(0, outputs.Length).Where(i => outputs[i].RequiresGrad)];
        var differentiable = gradOutputs.Select(i => outputs[i]).ToArray();
        if (differentiable.Length == 0) reason = outputs.Length == 1 ? "the output does not require grad" : "no output requires grad";
        else if (differentiable.Select(t => t.DType).Distinct().Count() > 1)
            reason = $"the outputs that require grad have different dtypes ({string.Join(", ", differentiable.Select(t => t.DType.TorchName()))}); the compiled backward packs their gradients into one tensor";
        else if (joint.Nodes.FirstOrDefault(n => n.Replay is not null && !n.IsNondeterministic) is { } custom)
            reason = $"{custom.Kind} is a custom Function, whose backward runs only eagerly";
        if (reason is not null) return null;

        var diff = Enumerable.Range(0, callInputs.Count).Where(i => callInputs[i].RequiresGrad).ToArray();
        var gradients = new Tensor[differentiable.Length];
        for (int k = 0; k < gradients.Length; k++)
        {
            using (Dispatch.Internal()) gradients[k] = differentiable[k].OnesLike();
            tracer.BindInput(gradients[k], gradients.Length == 1 ? "grad_output" : $"grad_output.{k}");
        }
        int lifted = tracer.LiftedInputs.Count;
        Tensor?[] grads;
        using (Dispatch.Observe(tracer))
            grads = Autograd.Grad(differentiable, diff.Select(i => callInputs[i]).ToArray(), gradients, retainGraph: true, allowUnused: true);
        if (tracer.LiftedInputs.Count != lifted)
        {
            reason = "a backward rule read a tensor the forward did not";
            return null;
        }
        var gradInputs = new List<int>();
        for (int k = 0; k < diff.Length; k++)
        {
            if (grads[k] is not { } g) continue;
            joint.Outputs.Add(tracer.ValueOf(g));
            gradInputs.Add(diff[k]);
        }
        return [.. gradInputs];
    }

    /// <summary>
    /// Optimizes a joint graph recorded by <see cref="TraceBackward"/> and splits it into the forward and
    /// backward graphs (it may be symbolic: the sizes of dynamic dims), compiled by the options' backend
    /// (<see cref="PassPipeline.Training"/> runs the phases); null, with the reason, when it cannot be split.
    /// </summary>
    internal static DifferentiableGraph? Build(Graph joint, int[] gradInputs, int forwardOutputs, int[] gradOutputs, TraceOptions options, out string? reason)
    {
        var backend = options.Backend ?? CpuBackend.Instance;
        return PassPipeline.Training(joint, forwardOutputs, gradOutputs.Length, backend, options, out reason) is { } parts
            ? new DifferentiableGraph(parts.Forward, parts.Backward, parts.BackwardInputs, gradInputs, forwardOutputs, gradOutputs, backend)
            : null;
    }

    /// <summary>Runs the forward graph; when gradients are needed, the outputs' grad_fns run the backward graph.</summary>
    internal Tensor[] Run(Tensor[] callInputs)
    {
        if (Autograd.ShouldRecord(callInputs))
        {
            if (ForwardOutputs != 1) return CompiledCall.Run(this, callInputs);
            Tensor output;
            using (Dispatch.Internal()) output = new CompiledFunction(this).Apply(callInputs);
            Tensor[] outputs = [output];
            CompiledCall.ReportToTrace(this, callInputs, outputs);
            return outputs;
        }
        return ForwardProgram.Run(callInputs)[..ForwardOutputs];
    }

    /// <summary>The autograd node of a compiled call: saved values live in its context until backward.</summary>
    private sealed class CompiledFunction(DifferentiableGraph graph) : Function
    {
        private Tensor[] _inputs = [];
        private Tensor[] _outputs = [];
        private long[]? _symbols;   // the forward's size symbols, which the backward graph's sizes also use

        public override string Name => "prim::DifferentiableGraph";

        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            _inputs = inputs;
            _symbols = graph.ForwardProgram.BindSymbols(inputs);
            _outputs = graph.ForwardProgram.Run(inputs, symbols: _symbols);
            ctx.SaveForBackward([.. graph.BackwardInputs.Where(s => s.Source != BackwardSource.GradOutput).Select(Source)]);
            return _outputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            if (Autograd.IsEnabled)
                throw new NotSupportedException("JIT: a higher-order gradient (createGraph) through a compiled backward graph is not supported; trace with TraceOptions { CompileBackward = false } to differentiate the backward.");
            var args = graph.BackwardInputs.Select(s => s.Source == BackwardSource.GradOutput ? gradOutput : Source(s)).ToArray();   // one output: one gradient
            var grads = graph.BackwardProgram.Run(args, symbols: _symbols);
            var result = new Tensor?[_inputs.Length];
            for (int k = 0; k < grads.Length; k++) result[graph.GradInputs[k]] = grads[k];
            return result;
        }

        private Tensor Source((BackwardSource Source, int Index) s) => s.Source == BackwardSource.Input ? _inputs[s.Index] : _outputs[s.Index];
    }
}
