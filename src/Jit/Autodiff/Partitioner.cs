using Trace.Ops;

namespace Trace.Jit;

/// <summary>Where a backward graph input comes from at run time.</summary>
internal enum BackwardSource
{
    /// <summary>One of the forward call's inputs (an input, a parameter, a lifted tensor).</summary>
    Input,

    /// <summary>An extra output of the forward graph, saved for backward.</summary>
    Saved,

    /// <summary>The gradient flowing into a forward output (index: which of the joint graph's gradient placeholders).</summary>
    GradOutput,
}

/// <summary>
/// Splits a joint forward+backward graph (as traced through the autograd engine) into a forward graph and a
/// backward graph, as AOTAutograd's partitioner does without recomputation:
/// <list type="bullet">
/// <item>forward = the nodes the forward outputs, the value guards and the in-place writes to call inputs (a module's
/// running statistics) need — those writes happen once per call, in the forward, as eagerly;</item>
/// <item>backward = every other node (so work only the gradient uses runs only when backward runs);</item>
/// <item>forward values the backward reads become extra forward outputs ("saved"); constants and int lists are
/// copied into the backward graph instead of being saved;</item>
/// <item>a cheap elementwise value (add, mul, compare, where...) whose forward uses are all fusible is recomputed
/// in the backward from its own inputs instead of being saved (AOTAutograd's rematerialization, without its
/// min-cut): saving it would force the forward to materialize it, while recomputing lets the forward fuse it away
/// (mse_loss's a − b joins the squared sum) at the cost of one more fused op in the backward.</item>
/// </list>
/// Joint layout: inputs = the call's inputs then one gradient placeholder per differentiable forward output;
/// outputs = the forward outputs then the gradients. Value names are kept, so the two graphs read like the joint one.
/// <code>
/// joint:    graph(%x, %w, %grad_output): %2 = aten::mul(%x, %w); %3 = aten::mul(%grad_output, %x); return (%2, %3)
/// forward:  graph(%x, %w): %2 = aten::mul(%x, %w); return (%2)
/// backward: graph(%x, %grad_output): %3 = aten::mul(%grad_output, %x); return (%3)
/// </code>
/// </summary>
internal static class Partitioner
{
    public sealed record Result(Graph Forward, Graph Backward, (BackwardSource Source, int Index)[] BackwardInputs);

    /// <summary>How many cheap ops deep a recomputation may reach back before it saves a value instead.</summary>
    private const int RecomputeDepth = 3;

    /// <summary>
    /// Splits <paramref name="joint"/>, whose first <paramref name="forwardOutputs"/> outputs are the model's and whose last
    /// <paramref name="gradOutputs"/> inputs are the gradient placeholders; throws <see cref="NotSupportedException"/> when a value guard reads a gradient, or the
    /// backward reads a call input from before the forward wrote to it in place.
    /// </summary>
    /// <param name="joint">The joint graph: the call's inputs, then one gradient input per differentiated output.</param>
    /// <param name="forwardOutputs">How many of its outputs are the forward's.</param>
    /// <param name="gradOutputs">How many gradient inputs it ends with.</param>
    /// <param name="backend">The backend the halves run on (default <see cref="CpuBackend"/>): a value is recomputed only where it can fuse the forward uses.</param>
    public static Result Split(Graph joint, int forwardOutputs, int gradOutputs, IBackend? backend = null)
    {
        backend ??= CpuBackend.Instance;
        int callInputs = joint.Inputs.Count - gradOutputs;
        var gradInputs = joint.Inputs.Skip(callInputs).ToList();

        // Forward: closure of producers of the forward outputs and of every guard.
        var forward = new HashSet<Node>();
        var work = new Stack<Value>(joint.Outputs.Take(forwardOutputs));
        var written = joint.Nodes.Select(PassUtil.WrittenInput).OfType<Value>().ToHashSet();
        foreach (var n in joint.Nodes.Where(n => n.HasSideEffects || PassUtil.WrittenInput(n) is not null))
        {
            forward.Add(n);
            foreach (var v in n.Inputs) work.Push(v);
        }
        while (work.Count > 0)
        {
            var v = work.Pop();
            if (gradInputs.Contains(v))
                throw new NotSupportedException("JIT autodiff: a value guard or forward output depends on the output gradient.");
            if (v.Node is { } n && forward.Add(n))
                foreach (var i in n.Inputs) work.Push(i);
        }

        var fwd = new Graph();
        var fwdMap = new Dictionary<Value, Value>();
        foreach (var v in joint.Inputs.Take(callInputs)) fwdMap[v] = fwd.AddNamedInput(v.Name, v.Type);
        foreach (var n in joint.Nodes.Where(forward.Contains)) Copy(n, joint, fwd, fwdMap);
        foreach (var o in joint.Outputs.Take(forwardOutputs)) fwd.Outputs.Add(fwdMap[o]);

        var bwd = new Graph();
        var bwdMap = new Dictionary<Value, Value>();
        var sources = new List<(BackwardSource, int)>();
        bool Recompute(Node n, int depth) =>
            depth < RecomputeDepth && n.Has(OpTraits.Cheap) && n.Outputs.Count == 1 && !fwd.Outputs.Contains(fwdMap[n.Output]) &&
            !joint.Outputs.Take(forwardOutputs).Contains(n.Output) &&
            n.Output.Uses.Where(forward.Contains).All(u => backend.CanFuse(u) || backend.CanFuseReduction(u));
        Value Import(Value v, int depth = 0)
        {
            if (bwdMap.TryGetValue(v, out var mapped)) return mapped;
            if (v.Node is { } producer && forward.Contains(producer) && Recompute(producer, depth))
            {
                foreach (var i in producer.Inputs) Import(i, depth + 1);
                Copy(producer, joint, bwd, bwdMap);
                return bwdMap[v];
            }
            if (gradInputs.IndexOf(v) is int gradient and >= 0) sources.Add((BackwardSource.GradOutput, gradient));
            else if (written.Contains(v))
                // Eagerly this is autograd's "modified by an inplace operation" error; the tape reports it.
                throw new NotSupportedException($"JIT autodiff: the backward reads %{v.Name} as it was before the forward wrote to it in place");
            else if (v.Node is null) sources.Add((BackwardSource.Input, joint.Inputs.IndexOf(v)));
            else
            {
                // A forward constant, size expression or int list is cheaper to rebuild than to save.
                if (v.Node.Kind is "prim::Constant" or "prim::ListConstruct" || SymbolicScalar.Is(v.Node))
                {
                    foreach (var i in v.Node.Inputs) Import(i);
                    Copy(v.Node, joint, bwd, bwdMap);
                    return bwdMap[v];
                }
                sources.Add((BackwardSource.Saved, fwd.Outputs.Count));
                fwd.Outputs.Add(fwdMap[v]);
            }
            // Saved values come from a forward run without a tape: they do not require grad (typing them so lets the
            // passes see, e.g., a reshape of a saved value to its own shape as the identity it is).
            var type = sources[^1].Item1 == BackwardSource.Saved && v.Type is TensorType t
                ? new TensorType(t.DType, t.Shape, t.Strides, requiresGrad: false, t.Device) : v.Type;
            return bwdMap[v] = bwd.AddNamedInput(v.Name, type);
        }
        foreach (var n in joint.Nodes.Where(n => !forward.Contains(n)))
        {
            foreach (var i in n.Inputs)
                if (i.Node is null || forward.Contains(i.Node)) Import(i);
            Copy(n, joint, bwd, bwdMap);
        }
        foreach (var o in joint.Outputs.Skip(forwardOutputs))
            bwd.Outputs.Add(o.Node is null || forward.Contains(o.Node) ? Import(o) : bwdMap[o]);
        return new Result(fwd, bwd, [.. sources]);
    }

    /// <summary>Appends a copy of <paramref name="n"/> (same kind, attribute, replay and value names) to <paramref name="target"/>.</summary>
    private static void Copy(Node n, Graph source, Graph target, Dictionary<Value, Value> map)
    {
        var copy = target.AppendNamed(n.Kind, n.Inputs.Select(i => map[i]), n.Outputs.Select(o => (o.Name, o.Type)));
        if (n.Attribute is TensorRef)
        {
            target.TensorConstants.Add(source.ConstantTensor(n));
            copy.Attribute = new TensorRef(target.TensorConstants.Count - 1);
        }
        else copy.Attribute = n.Attribute;
        copy.HasAttribute = n.HasAttribute;
        copy.Replay = n.Replay;
        copy.Subgraph = n.Subgraph;
        for (int i = 0; i < n.Outputs.Count; i++) map[n.Outputs[i]] = copy.Outputs[i];
    }
}
