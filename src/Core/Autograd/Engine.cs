namespace Trace;

/// <summary>Runs the backward graph from one output: topological order, gradient summation per node.</summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph, bool createGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException($"autograd: tensor of shape {Shapes.Format(root.Shape)} does not require grad and does not have a grad_fn; nothing to differentiate.");
        if (gradient is null)
        {
            if (root.Numel != 1)
                throw new InvalidOperationException($"autograd: grad can be implicitly created only for scalar outputs, but the output has shape {Shapes.Format(root.Shape)}; pass a gradient of that shape to Backward.");
            gradient = root.OnesLike();
        }
        else if (!gradient.Shape.SequenceEqual(root.Shape))
            throw new ArgumentException($"autograd: gradient of shape {Shapes.Format(gradient.Shape)} does not match the output's shape {Shapes.Format(root.Shape)}.");

        var start = root.GradFn ?? root.GradAccumulator();
        using var mode = createGraph ? Autograd.EnableGrad() : Autograd.NoGrad();
        var previous = AccumulateGrad.GivenAway;
        AccumulateGrad.GivenAway = new HashSet<Storage>(ReferenceEqualityComparer.Instance) { gradient.Storage };
        try
        {
            Run(start, gradient, retainGraph);
        }
        finally
        {
            AccumulateGrad.GivenAway = previous;
        }
    }

    private static void Run(GradNode start, Tensor gradient, bool retainGraph)
    {

        // Count, for each node, how many edges lead into it from nodes reachable from the root.
        var pending = new Dictionary<GradNode, int> { [start] = 0 };
        var stack = new Stack<GradNode>();
        stack.Push(start);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var next in node.Next)
            {
                if (next is null) continue;
                if (pending.TryGetValue(next, out int c)) pending[next] = c + 1;
                else
                {
                    pending[next] = 1;
                    stack.Push(next);
                }
            }
        }

        var grads = new Dictionary<GradNode, Tensor> { [start] = gradient };
        var ready = new Stack<GradNode>();
        ready.Push(start);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            var g = grads[node];
            grads.Remove(node);
            if (node is FunctionNode { Retained: { } keep }) keep.Grad = keep.Grad is null ? g : keep.Grad.Add(g);
            var inputGrads = node.Apply(g);
            var next = node.Next;
            for (int i = 0; i < next.Count; i++)
            {
                var n = next[i];
                if (n is null) continue;
                var gi = i < inputGrads.Length ? inputGrads[i] : null;
                if (gi is not null) grads[n] = grads.TryGetValue(n, out var acc) ? acc.Add(gi) : gi;
                if (--pending[n] == 0)
                {
                    if (grads.ContainsKey(n)) ready.Push(n);
                    else Skip(n, pending, ready, grads);
                }
            }
            if (!retainGraph) node.Release();
        }
    }

    /// <summary>A node that received no gradient at all still releases its dependents' counts.</summary>
    private static void Skip(GradNode node, Dictionary<GradNode, int> pending, Stack<GradNode> ready, Dictionary<GradNode, Tensor> grads)
    {
        foreach (var n in node.Next)
        {
            if (n is null) continue;
            if (--pending[n] == 0)
            {
                if (grads.ContainsKey(n)) ready.Push(n);
                else Skip(n, pending, ready, grads);
            }
        }
    }
}
