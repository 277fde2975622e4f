using Trace.Ops;

namespace Trace.Jit;

// Constant propagation: evaluates op nodes whose inputs are all constants, once, at compile time, and
// replaces each by a tensor constant (inserted just before it; the folded node is removed).
//
// Needs: nothing. Leaves the now-unused input constants behind: run DCE after it.
// Folds: deterministic ops the registry can execute (not random ops, not in-place ops, not guards, not
// custom functions), whose inputs are prim::Constant nodes or prim::ListConstruct nodes of int constants,
// with a single tensor output of at most MaxElements elements. Skips nodes that read or produce a value an
// in-place op may write to (the constant would no longer be constant). A node the registry fails to
// evaluate is left alone: it will fail, with its own message, when the graph runs.
//
// Before:
//   graph():
//     %0 : Float(2, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor:0>]()
//     %1 : float = prim::Constant[value=2.]()
//     %2 : Float(2, strides=[1], requires_grad=0, device=cpu) = aten::mul(%0, %1)
//     return (%2)
// After (<Tensor:1> holds the product):
//   graph():
//     %0 : Float(2, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor:0>]()
//     %1 : float = prim::Constant[value=2.]()
//     %3 : Float(2, strides=[1], requires_grad=0, device=cpu) = prim::Constant[value=<Tensor:1>]()
//     return (%3)

/// <summary>Folds deterministic op nodes whose inputs are all constants into tensor constants.</summary>
public sealed class ConstantPropagation : IGraphPass
{
    /// <summary>Outputs larger than this many elements are not folded (they would bloat the graph's constants).</summary>
    public const int MaxElements = 1 << 20;

    /// <inheritdoc/>
    public string Name => "constprop";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        var mutated = PassUtil.MutatedValues(g);
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (!Foldable(n, mutated) || Evaluate(g, n) is not { } result) continue;
            var folded = g.InsertConstant(g.Nodes.IndexOf(n), result);
            g.ReplaceAllUses(n.Output, folded);
            g.Remove(n);
            changed = true;
        }
        return changed;
    }

    private static bool Foldable(Node n, HashSet<Value> mutated) =>
        n.Kind.Contains("::", StringComparison.Ordinal) && !n.Kind.StartsWith("prim::", StringComparison.Ordinal) &&
        n.Def is not null && n.Replay is null && !n.IsNondeterministic && !n.HasSideEffects &&
        !PassUtil.IsInPlace(n) && n.Outputs.Count == 1 && n.Output.Type is TensorType { IsSymbolic: false } t && Numel(t.Shape) <= MaxElements &&
        !mutated.Contains(n.Output) && n.Inputs.All(v => !mutated.Contains(v) && IsConstantArgument(v));

    private static bool IsConstantArgument(Value v) =>
        PassUtil.IsConstant(v) || (v.Node is { Kind: "prim::ListConstruct" } && PassUtil.IntList(v) is not null);

    /// <summary>Runs the op as the interpreter would, hidden from observers and autograd; null when it fails or is too large.</summary>
    private static Tensor? Evaluate(Graph g, Node n)
    {
        var args = n.Inputs.Select(v => v.Node!.Kind == "prim::ListConstruct" ? PassUtil.IntList(v)
            : v.Node.Attribute is TensorRef ? g.ConstantTensor(v.Node) : v.Node.Attribute).ToArray();
        try
        {
            using var hidden = Dispatch.Internal();
            using var noGrad = Autograd.NoGrad();
            var result = OpExecutors.Execute(n.Kind, args);
            var expected = (TensorType)n.Output.Type;
            if (result.DType != expected.DType || !result.Shape.SequenceEqual(expected.Shape) || result.Numel > MaxElements) return null;
            // A view would share storage with an input constant; a fresh contiguous copy stands on its own.
            return result.Detach().Clone();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long Numel(int[] shape) => shape.Aggregate(1L, (a, s) => a * s);
}
