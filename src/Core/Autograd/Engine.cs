namespace Trace;

/// <summary>
/// Runs the backward graph from one or more outputs: topological order, gradient summation per node (per output of a
/// <see cref="MultiOutputNode"/>, whose <see cref="OutputSlot"/>s hand it their gradients separately).
/// <see cref="Backward"/> accumulates into the leaves' <see cref="Tensor.Grad"/>; <see cref="Grad"/> returns
/// the gradients of chosen tensors instead and touches no <c>.Grad</c>.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph, bool createGraph)
    {
        gradient = CheckRoot(root, gradient, "Backward");
        var start = root.GradFn ?? root.GradAccumulator();
        using var mode = createGraph ? Autograd.EnableGrad() : Autograd.NoGrad();
        var previous = AccumulateGrad.GivenAway;
        AccumulateGrad.GivenAway = new HashSet<Storage>(ReferenceEqualityComparer.Instance) { gradient.Storage };
        try
        {
            Run([(start, gradient)], retainGraph, capture: null, results: null);
        }
        finally
        {
            AccumulateGrad.GivenAway = previous;
        }
    }

    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs, bool retainGraph, bool createGraph, bool allowUnused)
    {
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"autograd.grad: got {gradOutputs.Length} gradients for {outputs.Length} outputs.");
        var capture = new Dictionary<GradNode, List<int>>();
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad)
                throw new ArgumentException($"autograd.grad: input {i} (shape {Shapes.Format(inputs[i].Shape)}) does not require grad.");
            var node = inputs[i].GradFn ?? inputs[i].GradAccumulator();
            if (!capture.TryGetValue(node, out var slots)) capture[node] = slots = [];
            slots.Add(i);
        }
        var roots = new List<(GradNode, Tensor)>();
        for (int i = 0; i < outputs.Length; i++)
            roots.Add((outputs[i].GradFn ?? outputs[i].GradAccumulator(), CheckRoot(outputs[i], gradOutputs?[i], "grad")));
        var results = new Tensor?[inputs.Length];
        using (createGraph ? Autograd.EnableGrad() : Autograd.NoGrad())
            Run(roots, retainGraph, capture, results);
        for (int i = 0; i < results.Length; i++)
            if (results[i] is null && !allowUnused)
                throw new InvalidOperationException($"autograd.grad: input {i} (shape {Shapes.Format(inputs[i].Shape)}) was not used to compute the outputs; pass allowUnused: true to get null for it.");
        return results;
    }

    private static Tensor CheckRoot(Tensor root, Tensor? gradient, string api)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"autograd: tensor of shape {Shapes.Format(root.Shape)} does not require grad and does not have a grad_fn; nothing to differentiate.");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"autograd: grad can be implicitly created only for scalar outputs, but the output has shape {Shapes.Format(root.Shape)}; pass a gradient of that shape to {api}.");
            return root.OnesLike();
        }
        if (!gradient.Shape.SequenceEqual(root.Shape))
            throw new ArgumentException($"autograd: gradient of shape {Shapes.Format(gradient.Shape)} does not match the output's shape {Shapes.Format(root.Shape)}.");
        return gradient;
    }

    /// <summary>
    /// Propagates gradients from <paramref name="roots"/>. With <paramref name="capture"/>, only nodes that lead
    /// to a captured node run, a captured node's summed gradient goes to <paramref name="results"/>, and leaves
    /// accumulate nothing.
    /// </summary>
    private static void Run(List<(GradNode Node, Tensor Grad)> roots, bool retainGraph, Dictionary<GradNode, List<int>>? capture, Tensor?[]? results)
    {
        Func<GradNode, bool> wanted = capture is null ? _ => true : Reaching(roots, capture);

        // Count, for each node, how many edges lead into it from the wanted nodes reachable from the roots.
        var pending = new Dictionary<GradNode, int>();
        var stack = new Stack<GradNode>();
        foreach (var (root, _) in roots)
            if (wanted(root) && pending.TryAdd(root, 0)) stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var next in node.Next)
            {
                if (next is null || !wanted(next)) continue;
                if (pending.TryGetValue(next, out int c)) pending[next] = c + 1;
                else
                {
                    pending[next] = 1;
                    stack.Push(next);
                }
            }
        }

        var grads = new Dictionary<GradNode, Tensor>();
        // The per-output gradients of multi-output nodes, filled by their OutputSlot nodes.
        var outputGrads = new Dictionary<GradNode, Tensor?[]>();
        bool Reached(GradNode n) => grads.ContainsKey(n) || outputGrads.ContainsKey(n);
        foreach (var (root, g) in roots)
            if (pending.ContainsKey(root)) grads[root] = grads.TryGetValue(root, out var acc) ? acc.Add(g) : g;
        var ready = new Stack<GradNode>();
        foreach (var (node, count) in pending)
            if (count == 0) ready.Push(node);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            Tensor?[] inputGrads;
            if (node is MultiOutputNode multi)
            {
                inputGrads = multi.ApplyAll(outputGrads[multi]);
                outputGrads.Remove(multi);
            }
            else
            {
                var g = grads[node];
                grads.Remove(node);
                if (capture is not null && capture.TryGetValue(node, out var slots))
                    foreach (int s in slots) results![s] = g;
                if (capture is null && node is RetainingNode f) f.AccumulateRetained(g);
                if (capture is not null && node is AccumulateGrad) continue;
                inputGrads = node.Apply(g);
            }
            var next = node.Next;
            for (int i = 0; i < next.Count; i++)
            {
                var n = next[i];
                if (n is null || !pending.ContainsKey(n)) continue;
                var gi = i < inputGrads.Length ? inputGrads[i] : null;
                if (gi is not null && node is OutputSlot slot)
                {
                    if (!outputGrads.TryGetValue(n, out var perOutput)) outputGrads[n] = perOutput = new Tensor?[slot.Owner.Outputs];
                    perOutput[slot.Index] = gi;
                }
                else if (gi is not null) grads[n] = grads.TryGetValue(n, out var acc) ? acc.Add(gi) : gi;
                if (--pending[n] == 0)
                {
                    if (Reached(n)) ready.Push(n);
                    else Skip(n, pending, ready, Reached);
                }
            }
            if (!retainGraph) node.Release();
        }
    }

    /// <summary>The nodes from which a captured node can be reached (captured nodes included).</summary>
    private static Func<GradNode, bool> Reaching(List<(GradNode Node, Tensor Grad)> roots, Dictionary<GradNode, List<int>> capture)
    {
        var memo = new Dictionary<GradNode, bool>();
        // Iterative post-order: a node reaches a capture if it is one or any successor reaches one.
        foreach (var (root, _) in roots)
        {
            var stack = new Stack<(GradNode Node, bool Expanded)>();
            stack.Push((root, false));
            while (stack.Count > 0)
            {
                var (node, expanded) = stack.Pop();
                if (memo.ContainsKey(node) && !expanded) continue;
                if (!expanded)
                {
                    stack.Push((node, true));
                    foreach (var n in node.Next)
                        if (n is not null && !memo.ContainsKey(n)) stack.Push((n, false));
                    continue;
                }
                bool reaches = capture.ContainsKey(node);
                foreach (var n in node.Next)
                    if (n is not null && memo.TryGetValue(n, out bool r) && r) reaches = true;
                memo[node] = reaches;
            }
        }
        return n => memo.TryGetValue(n, out bool r) && r;
    }

    /// <summary>A node that received no gradient at all still releases its dependents' counts.</summary>
    private static void Skip(GradNode node, Dictionary<GradNode, int> pending, Stack<GradNode> ready, Func<GradNode, bool> reached)
    {
        foreach (var n in node.Next)
        {
            if (n is null || !pending.ContainsKey(n)) continue;
            if (--pending[n] == 0)
            {
                if (reached(n)) ready.Push(n);
                else Skip(n, pending, ready, reached);
            }
        }
    }
}
