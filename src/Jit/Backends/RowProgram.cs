namespace Trace.Jit;

/// <summary>What one stage of a <see cref="RowProgram"/> reduces a row with.</summary>
internal enum RowReduce
{
    /// <summary>The row's sum (accumulated in float64 on the CPU, in the element type on the GPU).</summary>
    Sum,

    /// <summary>The row's max; NaN propagates.</summary>
    Max,
}

/// <summary>
/// A fusion group that reduces rows inside its body: elementwise prologues feeding row sums and maxes, and elementwise
/// epilogues reading them (softmax of a scaled, masked score; layer norm's backward; a loss per row). The group's domain
/// is seen as rows × inner, inner the product of its last <see cref="BlockDims"/> dims; each reduction ("stage") is a
/// sum or amax over those dims with keepdim, so its value is one number per row that later members read as a column.
/// Softmax and log-softmax over the last dim are lowered to their stages (<c>m = amax(x)</c>, <c>s = Σ exp(x − m)</c>,
/// then <c>exp(x − m) / s</c> or <c>x − (m + log s)</c>, as the eager kernels). A generated kernel walks each row once
/// per stage and once more for the result, recomputing the prologue from the inputs (they are read from cache, not
/// stored), so nothing of the row but the result reaches memory. The result is the domain's elements, or the last
/// stage's value per row (a row sum of an epilogue).
/// </summary>
internal sealed class RowProgram
{
    /// <summary>The most stages one program has (the GPU kernel keeps their values in registers).</summary>
    public const int MaxStages = 8;

    private RowProgram(Graph body, int blockDims, int[] domain, Node[] stages, InputKind[] kinds, int[] tails)
    {
        (Body, BlockDims, Domain, Stages, Kinds, TailSizes) = (body, blockDims, domain, stages, kinds, tails);
    }

    /// <summary>The lowered body: elementwise nodes and the stages (sums and amaxes with keepdim; the result may drop the dims).</summary>
    public Graph Body { get; }

    /// <summary>The trailing dims each row spans.</summary>
    public int BlockDims { get; }

    /// <summary>The shape of the elementwise domain.</summary>
    public int[] Domain { get; }

    /// <summary>The reductions in the order they run.</summary>
    public IReadOnlyList<Node> Stages { get; }

    /// <summary>Per body input, how it is indexed under <see cref="BlockDims"/>.</summary>
    public InputKind[] Kinds { get; }

    /// <summary>Per body input of kind <see cref="InputKind.Tail"/>, its element count (the product of the trailing dims it spans); 0 for the others.</summary>
    public int[] TailSizes { get; }

    /// <summary>The value the group returns.</summary>
    public Value Result => Body.Outputs[0];

    /// <summary>True when the result is the last stage's value (one per row) rather than the domain's elements.</summary>
    public bool StoresRows => Stages.Count > 0 && Result.Node == Stages[^1];

    /// <summary>How stage <paramref name="stage"/> combines.</summary>
    public static RowReduce KindOf(Node stage) => stage.Kind == "aten::amax" ? RowReduce.Max : RowReduce.Sum;

    /// <summary>
    /// The trailing dims a node reduces if it may be a member of a row program: a sum or amax over constant trailing dims
    /// (constant keepdim); softmax or log-softmax over the last dim (1). Null otherwise.
    /// </summary>
    public static int? RowDims(Node n)
    {
        switch (n.Kind)
        {
            case "aten::sum" or "aten::amax":
                if (n.Inputs.Count != 3 || n.Outputs.Count != 1 || n.Inputs[0].TensorType is not { } x || PassUtil.IntList(n.Inputs[1]) is not { } dims ||
                    n.Inputs[2].Node is not { Kind: "prim::Constant", Attribute: bool }) return null;
                return TrailingDims(dims, x.Shape.Length);
            case "aten::softmax" or "aten::log_softmax":
                return n.Inputs.Count == 2 && n.Outputs.Count == 1 && n.Inputs[0].TensorType is { Shape.Length: > 0 } t && PassUtil.IntConstant(n.Inputs[1]) is { } d &&
                    (d == -1 || d == t.Shape.Length - 1) ? 1 : null;
            default:
                return null;
        }
    }

    /// <summary>k when <paramref name="dims"/> are exactly the last k of <paramref name="rank"/> dims (empty: all of them); else null.</summary>
    public static int? TrailingDims(long[] dims, int rank)
    {
        if (dims.Length == 0) return rank;
        if (dims.Any(d => d < -rank || d >= rank)) return null;
        var sorted = dims.Select(d => d < 0 ? d + rank : d).Distinct().OrderBy(d => d).ToArray();
        return sorted.Length == dims.Length && sorted.Select((d, i) => d == rank - sorted.Length + i).All(ok => ok) ? sorted.Length : null;
    }

    /// <summary>True for a row member that keeps its dims (so later members may read it as a column).</summary>
    public static bool KeepsDims(Node n) => n.Kind is "aten::softmax" or "aten::log_softmax" || n.Inputs[2].Node?.Attribute is true;

    /// <summary>
    /// True when <paramref name="body"/> needs a row program: it has a softmax, an amax, a sum other than its final one, a
    /// member of another shape than its domain (one value per row), or inputs no plain loop lays out
    /// (<see cref="FusionLayout.PlainFits"/>). Other bodies compile as plain loops or a final sum.
    /// </summary>
    public static bool Needed(Graph body)
    {
        var final = FusedKernel.FinalSum(body);
        var domain = (final?.Inputs[0] ?? (body.Outputs.Count == 1 ? body.Outputs[0] : null))?.TensorType?.Shape;
        if (domain is null) return false;
        return body.Nodes.Any(n => n != final && n.Kind is not ("prim::Constant" or "prim::ListConstruct") &&
                (RowDims(n) is not null || (n.Outputs.Count == 1 && n.Output.TensorType is { } t && !t.Shape.SequenceEqual(domain))))
            || !FusionLayout.PlainFits(body.Inputs.Select(v => v.TensorType?.Shape ?? []), domain, final is null ? null : FusedKernel.TrailingSum(final));
    }

    /// <summary>Lowers <paramref name="body"/> into a row program.</summary>
    /// <exception cref="NotSupportedException">The body's reductions or shapes do not make one (the reason says which).</exception>
    public static RowProgram Lower(Graph body)
    {
        if (body.Outputs.Count != 1) throw new NotSupportedException("a row program returns one tensor");
        var lowered = Expand(body);
        var result = lowered.Outputs[0];
        if (result.Node is null || result.Node.Kind == "prim::Constant") throw new NotSupportedException($"the body returns %{result.Name}, which it does not compute");
        var stages = lowered.Nodes.Where(n => n.Kind is "aten::sum" or "aten::amax").ToArray();
        if (stages.Length > MaxStages) throw new NotSupportedException($"the group has {stages.Length} row reductions; a row program runs at most {MaxStages}");
        var domain = (result.Node.Kind is "aten::sum" or "aten::amax" ? result.Node.Inputs[0] : result).TensorType!.Shape;
        int rank = domain.Length;
        if (rank == 0) throw new NotSupportedException("a row program needs a domain of rank ≥ 1");
        foreach (var s in stages)
        {
            if (RowDims(s) is null) throw new NotSupportedException($"{s.Kind} does not reduce constant trailing dims");
            if (!s.Inputs[0].TensorType!.Shape.SequenceEqual(domain)) throw new NotSupportedException($"{s.Kind} reduces a tensor of shape {Shapes.Format(s.Inputs[0].TensorType!.Shape)}, not the group's {Shapes.Format(domain)}");
            if (s.Output != result && !KeepsDims(s)) throw new NotSupportedException($"{s.Kind} drops the reduced dims, but the group reads its result");
        }
        for (int k = 1; k <= rank; k++)
        {
            if (stages.Any(s => RowDims(s) != k)) continue;
            var column = domain.Select((d, i) => i < rank - k ? d : 1).ToArray();
            bool shapesFit = lowered.Nodes.All(n => n.Kind is "prim::Constant" or "prim::ListConstruct" || n.Output == result && n.Kind is "aten::sum" or "aten::amax"
                || n.Output.TensorType is { } t && (t.Shape.SequenceEqual(domain) || t.Shape.SequenceEqual(column)));
            var kinds = lowered.Inputs.Select(v => v.TensorType is { } t ? FusionLayout.Classify(t.Shape, domain, k) ?? (TailSize(t.Shape, domain, k) > 0 ? InputKind.Tail : null)
                : InputKind.Scalar).ToArray();
            if (shapesFit && kinds.All(c => c is not null))
                return new RowProgram(lowered, k, domain, stages, [.. kinds.Select(c => c!.Value)],
                    [.. lowered.Inputs.Select((v, n) => kinds[n] == InputKind.Tail ? TailSize(v.TensorType!.Shape, domain, k) : 0)]);
        }
        throw new NotSupportedException($"no row layout fits the group's reductions, members and inputs over {Shapes.Format(domain)}");
    }

    /// <summary>
    /// The element count of <paramref name="input"/> when it is the last m &gt; k dims of <paramref name="domain"/> (its
    /// leading dims 1), all of known size; else 0.
    /// </summary>
    private static int TailSize(int[] input, int[] domain, int k)
    {
        if (input.Length > domain.Length) return 0;
        var padded = Enumerable.Repeat(1, domain.Length - input.Length).Concat(input).ToArray();
        for (int m = k + 1; m < domain.Length; m++)
        {
            int lead = domain.Length - m;
            if (padded.Take(lead).All(d => d == 1) && padded.Skip(lead).SequenceEqual(domain.Skip(lead)) && domain.Skip(lead).All(d => d >= 0))
                return domain.Skip(lead).Aggregate(1, (a, b) => a * b);
        }
        return 0;
    }

    /// <summary>A copy of <paramref name="body"/> with each softmax and log-softmax replaced by its stages and elementwise ops.</summary>
    private static Graph Expand(Graph body)
    {
        var g = new Graph();
        var map = new Dictionary<Value, Value>();
        foreach (var v in body.Inputs) map[v] = g.AddInput(v.Name, v.Type);
        foreach (var n in body.Nodes)
        {
            if (n.Kind == "prim::Constant")
            {
                if (n.Attribute is TensorRef) throw new NotSupportedException("tensor constants are not fused");
                map[n.Output] = g.AppendConstant(n.Attribute);
                continue;
            }
            if (n.Kind is "aten::softmax" or "aten::log_softmax")
            {
                if (RowDims(n) is null) throw new NotSupportedException($"{n.Kind} over a dim other than the last is not fused");
                map[n.Output] = ExpandSoftmax(g, map[n.Inputs[0]], n.Output.TensorType!, log: n.Kind == "aten::log_softmax");
                continue;
            }
            var copy = g.Append(n.Kind, n.Inputs.Select(v => map[v]), [.. n.Outputs.Select(o => o.Type)]);
            copy.Attribute = n.Attribute;
            copy.HasAttribute = n.HasAttribute;
            for (int i = 0; i < n.Outputs.Count; i++) map[n.Outputs[i]] = copy.Outputs[i];
        }
        foreach (var v in body.Outputs) g.Outputs.Add(map[v]);
        return g;
    }

    /// <summary>m = amax(x, -1, keepdim); e = exp(x − m); s = Σ e; softmax = e / s, log-softmax = x − (m + log s).</summary>
    private static Value ExpandSoftmax(Graph g, Value x, TensorType type, bool log)
    {
        var shape = type.Shape;
        var columnShape = shape.Select((d, i) => i < shape.Length - 1 ? d : 1).ToArray();
        var column = new TensorType(type.DType, columnShape, Shapes.ContiguousStrides(columnShape), false, type.Device);
        var full = new TensorType(type.DType, shape, Shapes.ContiguousStrides(shape), false, type.Device);
        var dims = g.AppendConstant(new long[] { -1 });
        var keep = g.AppendConstant(true);
        var m = g.Append("aten::amax", [x, dims, keep], column).Output;
        var shifted = g.Append("aten::sub", [x, m], full).Output;
        var e = g.Append("aten::exp", [shifted], full).Output;
        var s = g.Append("aten::sum", [e, dims, keep], column).Output;
        if (!log) return g.Append("aten::div", [e, s], full).Output;
        var shift = g.Append("aten::add", [m, g.Append("aten::log", [s], column).Output], column).Output;
        return g.Append("aten::sub", [x, shift], full).Output;
    }
}
