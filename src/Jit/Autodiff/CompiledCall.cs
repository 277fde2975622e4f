namespace Trace.Jit;

/// <summary>
/// Autograd for a compiled call that returns several tensors. The engine hands each grad_fn one incoming gradient,
/// so the outputs' gradients travel packed into one flat tensor:
/// <list type="bullet">
/// <item>the call's node (<c>prim::DifferentiableGraph</c>) produces a token of <c>Σ numel</c> elements (an expanded
/// zero, no memory) and owns the rules that run the backward graph;</item>
/// <item>each differentiable output's node (<c>prim::DifferentiableGraphOutput</c>) maps its gradient to the flat
/// tensor with that gradient in the output's segment and zeros elsewhere;</item>
/// <item>the engine sums what reaches the call's node: every segment holds its output's gradient, zeros for an output
/// no backward pass reached (PyTorch's undefined gradients, materialized as zeros), and the backward graph runs once.</item>
/// </list>
/// The differentiable outputs share a dtype (<see cref="DifferentiableGraph.TraceBackward"/> falls back to the tape otherwise).
/// </summary>
internal static class CompiledCall
{
    /// <summary>Runs <paramref name="graph"/>'s forward on <paramref name="inputs"/> and returns its outputs, wired to its backward graph.</summary>
    public static Tensor[] Run(DifferentiableGraph graph, Tensor[] inputs)
    {
        var symbols = graph.ForwardProgram.BindSymbols(inputs);
        Tensor[] forward;
        using (Autograd.NoGrad())
        using (Dispatch.Internal())
            forward = graph.ForwardProgram.Run(inputs, symbols: symbols);
        Tensor Source((BackwardSource Source, int Index) s) => s.Source == BackwardSource.Input ? inputs[s.Index] : forward[s.Index];
        var saved = graph.BackwardInputs.Where(s => s.Source != BackwardSource.GradOutput).Select(Source).ToArray();
        var differentiable = graph.GradOutputs.Select(i => forward[i]).ToArray();
        var offsets = new int[differentiable.Length + 1];
        for (int k = 0; k < differentiable.Length; k++)
            offsets[k + 1] = checked(offsets[k] + differentiable[k].Numel);
        var dtype = differentiable[0].DType;

        Tensor?[] Backward(Tensor packed)
        {
            if (Autograd.IsEnabled)
                throw new NotSupportedException("JIT: a higher-order gradient (createGraph) through a compiled backward graph is not supported; trace with TraceOptions { CompileBackward = false } to differentiate the backward.");
            var args = graph.BackwardInputs.Select(s => s.Source == BackwardSource.GradOutput
                ? packed.Narrow(0, offsets[s.Index], offsets[s.Index + 1] - offsets[s.Index]).Reshape([.. differentiable[s.Index].Shape])
                : Source(s)).ToArray();
            var grads = graph.BackwardProgram.Run(args, symbols: symbols);
            var result = new Tensor?[inputs.Length];
            for (int k = 0; k < grads.Length; k++) result[graph.GradInputs[k]] = grads[k];
            return result;
        }

        // One backward-graph run serves all inputs' rules for a given incoming gradient (as Function does).
        var rules = Autograd.SharedRules(inputs.Length, Backward, (grads, k) => grads[k] ?? Tensor.Zeros([.. inputs[k].Shape], inputs[k].DType));

        var outputs = forward[..graph.ForwardOutputs];
        // Hidden from observers: an enclosing trace must not record the packing.
        using (Dispatch.Internal())
        {
            var token = Tensor.Zeros([1], dtype).Expand(offsets[^1]);
            Dispatch.Record("prim::DifferentiableGraph", () => token, inputs, rules, saved);
            for (int k = 0; k < graph.GradOutputs.Count; k++)
            {
                int i = graph.GradOutputs[k], segment = k;
                var o = outputs[i];
                // Each output gets its own tensor object (its own grad_fn), never a caller's input.
                if (inputs.Any(t => ReferenceEquals(t, o)) || outputs.Take(i).Any(t => ReferenceEquals(t, o))) o = o.Detach();
                outputs[i] = Dispatch.Record("prim::DifferentiableGraphOutput", () => o, token, g => Pack(g, offsets, segment, dtype));
            }
        }
        ReportToTrace(graph, inputs, outputs);
        return outputs;
    }

    /// <summary>
    /// An enclosing trace records each output of a compiled call as a replay of the call (<c>trace::differentiable_graph</c>:
    /// a <c>prim::</c> kind would not lint); the call's own recording was hidden from it.
    /// </summary>
    public static void ReportToTrace(DifferentiableGraph graph, Tensor[] inputs, Tensor[] outputs)
    {
        if (Dispatch.Observer is not { } observer) return;
        for (int i = 0; i < outputs.Length; i++)
        {
            int k = i;
            observer.OnOp(new OpCall("trace::differentiable_graph"), inputs, outputs[i], x => graph.Run([.. x.Select(t => t!)])[k]);
        }
    }

    /// <summary>A flat tensor of <c>offsets[^1]</c> elements: <paramref name="g"/> in segment <paramref name="k"/>, zeros elsewhere.</summary>
    private static Tensor Pack(Tensor g, int[] offsets, int k, DType dtype)
    {
        var parts = new List<Tensor>(3);
        if (offsets[k] > 0) parts.Add(Tensor.Zeros([offsets[k]], dtype));
        parts.Add(g.To(dtype).Reshape(-1));
        if (offsets[^1] > offsets[k + 1]) parts.Add(Tensor.Zeros([offsets[^1] - offsets[k + 1]], dtype));
        return parts.Count == 1 ? parts[0] : Tensor.Cat(parts);
    }
}
