using Trace.Ops;
namespace Trace.Jit;

// Groups chains of elementwise ops into prim::FusionGroup nodes whose body becomes one compiled loop
// (FusedKernel on the CPU backend). Which ops may join, and whether a trailing sum may end a group, is the backend's
// answer (IBackend.CanFuse, IBackend.CanFuseReduction); the layout rules below are the fused loop's. Run after the cleanup passes (constants folded, duplicates merged) and before a final DCE.
// A group has one floating output; its floating values share one dtype, and comparisons, where, masked_fill and
// logical ops join with bool masks. Every tensor it reads has the group's shape or broadcasts as one block of
// trailing dims (a bias; a (T, T) mask over (B, H, T, T)), one value per block (a row max) or one value (see
// FusionLayout); group members all have the output's shape. Scalar constants are copied into the body. A producer joins a group
// only when all its uses are in it. A sum over every dim, or over the last k dims, of such a chain joins it as
// the group's last node (a full sum when the chain's inputs have its shape or are one value; a row sum when they
// broadcast over rows of those k dims): the loop then accumulates instead of storing the chain's result
// (mse_loss's sub, square and sum; softmax backward's sum(g·y, -1, keepdim) run as one pass).
// When the backend fuses row reductions, a group may also hold keepdim sums and amaxes over its trailing dims, softmax
// over the last dim, and elementwise ops on their one-value-per-row results — prologue, reductions and epilogue of
// each row in one kernel (RowProgram): attention's scale·mask·softmax, softmax's and layer norm's backwards.
//
// Before:
//   %3 : Float(4) = aten::mul(%a, %c0.5)
//   %4 : Float(4) = aten::add(%3, %b)
//   %5 : Float(4) = aten::tanh(%4)
// After:
//   %5 : Float(4) = prim::FusionGroup_0(%a, %b)
//   with prim::FusionGroup_0 = graph(%0 : Float(4), %1 : Float(4)):
//     %2 : float = prim::Constant[value=0.5]()
//     %3 : Float(4) = aten::mul(%0, %2)
//     %4 : Float(4) = aten::add(%3, %1)
//     %5 : Float(4) = aten::tanh(%4)
//     return (%5)

/// <summary>Fuses elementwise chains into <c>prim::FusionGroup</c> nodes.</summary>
/// <param name="backend">The backend whose fused code runs the groups: it says which nodes may join one.</param>
public sealed class ElementwiseFusion(IBackend backend) : IGraphPass
{
    /// <summary>Fuses for the <see cref="CpuBackend"/>.</summary>
    public ElementwiseFusion() : this(CpuBackend.Instance) { }

    private readonly IBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));

    /// <inheritdoc/>
    public string Name => "fuse";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        bool changed = false;
        var done = new HashSet<Node>();
        for (int idx = g.Nodes.Count - 1; idx >= 0; idx--)
        {
            var seed = g.Nodes[idx];
            bool sums = IsSumSeed(seed);
            // A group's result is floating: comparisons and masks only join as producers.
            if (done.Contains(seed) || !(sums || IsSoftmax(seed) || (Fusible(seed) && seed.Output.TensorType!.DType.IsFloatingPoint()))) continue;
            var shape = GroupShape(seed);
            var dtype = seed.Output.TensorType!.DType;
            var group = new HashSet<Node> { seed };
            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (var n in group.ToList())
                    foreach (var v in n.Inputs)
                        if (v.Node is { } p && !group.Contains(p) && !done.Contains(p) && Joins(p, shape)
                            && !g.Outputs.Contains(p.Output) && p.Output.Uses.All(group.Contains) && Compilable(g, [.. group, p], shape, dtype, seed, sums))
                        {
                            // A producer that would make the group uncompilable (e.g. a per-row value next to a
                            // (T, T) mask block) stays outside; it may seed a group of its own.
                            group.Add(p);
                            grew = true;
                        }
            }
            if (!Compilable(g, group, shape, dtype, seed, sums))
            {
                // The seed alone does not compile: leave it out; its producers become seeds of their own groups later.
                done.Add(seed);
                continue;
            }
            done.UnionWith(group);
            if (group.Count < 2) continue;
            Replace(g, group, seed);
            changed = true;
            idx = g.Nodes.Count;   // indices shifted: rescan from the end (done nodes are skipped)
        }
        return changed;
    }

    /// <summary>
    /// An elementwise op the code generator knows, on floating or bool tensors that broadcast to its output and on
    /// constant scalars (a size-dependent number, <c>prim::SymFloat</c>, is not a constant of the loop).
    /// </summary>
    private bool Fusible(Node n) =>
        n.Outputs.Count == 1 && _backend.CanFuse(n) && n.Output.TensorType is { } t && (t.DType.IsFloatingPoint() || t.DType == DType.Bool) &&
        n.Inputs.All(v => (v.Type is ScalarType && !(v.Node is { } p && SymbolicScalar.Is(p))) || (v.TensorType is { } it && (it.DType.IsFloatingPoint() || it.DType == DType.Bool)
            && FusionLayout.BlockDims([it.Shape], t.Shape) is not null));

    /// <summary>
    /// A node that may join a group over <paramref name="shape"/>: an elementwise op of that shape; with a backend that fuses row
    /// reductions (<see cref="RowProgram"/>), a keepdim sum or amax over trailing dims of a tensor of that shape, a softmax
    /// over its last dim, or an elementwise op on one value per row (a row sum divided by its length).
    /// </summary>
    private bool Joins(Node p, int[] shape)
    {
        if (p.Outputs.Count != 1 || p.Output.TensorType is not { } t) return false;
        if (Fusible(p)) return t.Shape.SequenceEqual(shape) || IsColumnOf(t.Shape, shape);
        return (IsSoftmax(p) || (_backend.CanFuseReduction(p) && RowProgram.RowDims(p) is not null && RowProgram.KeepsDims(p)))
            && t.DType.IsFloatingPoint() && p.Inputs[0].TensorType is { } x && x.DType == t.DType && x.Shape.SequenceEqual(shape);
    }

    /// <summary>True when <paramref name="s"/> is <paramref name="shape"/> with its last k ≥ 1 dims (not all of the rank's sizes already 1) set to 1.</summary>
    private static bool IsColumnOf(int[] s, int[] shape)
    {
        if (s.Length != shape.Length || s.SequenceEqual(shape)) return false;
        int k = 0;
        while (k < s.Length && s[^(k + 1)] == 1) k++;
        return k > 0 && s.AsSpan(0, s.Length - k).SequenceEqual(shape.AsSpan(0, s.Length - k));
    }

    /// <summary>A softmax or log-softmax over the last dim that the backend fuses as a row program.</summary>
    private bool IsSoftmax(Node n) =>
        n.Kind is "aten::softmax" or "aten::log_softmax" && _backend.CanFuseReduction(n) && RowProgram.RowDims(n) is not null && n.Output.TensorType is { } t
        && t.DType.IsFloatingPoint() && n.Inputs[0].TensorType?.DType == t.DType;

    /// <summary>
    /// A group compiles when its floating values share one dtype (bools are masks) and one broadcast layout fits all
    /// its inputs (<see cref="FusionLayout.PlainFits"/>) — or, for a group with reductions inside, a softmax, or inputs no
    /// plain layout fits, when it lowers to a <see cref="RowProgram"/>.
    /// </summary>
    private static bool Compilable(Graph g, HashSet<Node> group, int[] shape, DType dtype, Node seed, bool sums)
    {
        var external = group.SelectMany(n => n.Inputs).Where(v => v.Node is not { } p || !group.Contains(p)).Select(v => v.TensorType).OfType<TensorType>().ToList();
        var floats = external.Concat(group.Select(n => n.Output.TensorType!)).Where(t => t.DType != DType.Bool);
        if (floats.Any(t => t.DType != dtype)) return false;
        bool rowMembers = (RowProgram.RowDims(seed) is not null && !sums)
            || group.Any(n => n != seed && (RowProgram.RowDims(n) is not null || !n.Output.TensorType!.Shape.SequenceEqual(shape)));
        if (!rowMembers && FusionLayout.PlainFits(external.Select(t => t.Shape), shape, sums ? FusedKernel.TrailingSum(seed) : null)) return true;
        // Reductions inside, or inputs no plain layout fits (a per-row value beside a (T, T) mask block): a row program, if one lowers.
        try
        {
            RowProgram.Lower(Body(g, group, seed, out _));
            return true;
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private static bool IsScalarConstant(Node n) => n.Kind == "prim::Constant" && n.Attribute is not TensorRef;

    /// <summary>A constant list of int constants (a sum's dims), copied into the body like a scalar constant.</summary>
    private static bool IsConstantList(Node n) => n.Kind == "prim::ListConstruct" && n.Inputs.All(v => v.Node is { } c && IsScalarConstant(c));

    private bool IsSumSeed(Node n) =>
        n.Outputs.Count == 1 && _backend.CanFuseReduction(n) && FusedKernel.TrailingSum(n) is not null && n.Output.TensorType is { } t && t.DType.IsFloatingPoint() && n.Inputs[0].TensorType!.DType == t.DType;

    /// <summary>The shape of the group's elementwise members: the seed's output, or a sum seed's input.</summary>
    private int[] GroupShape(Node seed) => (IsSumSeed(seed) ? seed.Inputs[0] : seed.Output).TensorType!.Shape;

    private static void Replace(Graph g, HashSet<Node> group, Node seed)
    {
        var body = Body(g, group, seed, out var external);
        var fused = g.Insert(g.Nodes.IndexOf(seed), "prim::FusionGroup", external, seed.Output.Type);
        fused.Subgraph = body;
        g.ReplaceAllUses(seed.Output, fused.Output);
        var ordered = g.Nodes.Where(group.Contains).ToList();
        for (int k = ordered.Count - 1; k >= 0; k--) g.Remove(ordered[k]);
    }

    /// <summary>The group's body graph (inputs named 0, 1, … in the order of <paramref name="external"/>, scalar constants and constant lists copied in).</summary>
    private static Graph Body(Graph g, HashSet<Node> group, Node seed, out List<Value> external)
    {
        var ordered = g.Nodes.Where(group.Contains).ToList();
        var body = new Graph();
        var map = new Dictionary<Value, Value>();
        external = ordered.SelectMany(n => n.Inputs)
            .Where(v => !(v.Node is { } p && (group.Contains(p) || IsScalarConstant(p) || IsConstantList(p))))
            .Distinct().ToList();
        foreach (var v in external)
        {
            if (v.Node is { Kind: "prim::ListConstruct" }) throw new InvalidOperationException("JIT fusion: list arguments are not fusible.");
            map[v] = body.AddInput(body.Inputs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), v.Type);
        }
        foreach (var n in ordered)
        {
            var args = new List<Value>();
            foreach (var v in n.Inputs)
            {
                if (!map.TryGetValue(v, out var mapped))
                    map[v] = mapped = v.Node is { Kind: "prim::ListConstruct" } list
                        ? body.Append("prim::ListConstruct", list.Inputs.Select(e => body.AppendConstant(e.Node!.Attribute)).ToList(), JitType.IntList).Output
                        : body.AppendConstant(v.Node!.Attribute);
                args.Add(mapped);
            }
            var copy = body.Append(n.Kind, args, n.Output.Type);
            map[n.Output] = copy.Output;
        }
        body.Outputs.Add(map[seed.Output]);
        return body;
    }
}
