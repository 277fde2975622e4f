namespace Trace.Jit;

/// <summary>One trace of a module with dynamic dims, as traces at other sizes are compared with it.</summary>
internal sealed record Observation(Signature Signature, GraphSlots Raw, GraphSlots Forward, Tensor[] Lifted)
{
    public static Observation Of(Recording r)
    {
        var raw = GraphSlots.Of(r.Raw);
        return new(r.Signature, raw, ReferenceEquals(r.Raw, r.ForwardRaw) ? raw : GraphSlots.Of(r.ForwardRaw), r.Lifted);
    }

    /// <summary>This trace as kept next to <paramref name="template"/> (whose structure it has): its numbers only.</summary>
    public Observation Compact(Observation template) => this with
    {
        Raw = Raw.Compact(template.Raw),
        Forward = ReferenceEquals(Raw, Forward) ? Raw.Compact(template.Raw) : Forward.Compact(template.Forward),
    };
}

/// <summary>
/// What a specialization of a module with dynamic dims remembers: the recording of its first trace (as recorded, at
/// one size), the traces it stands for (the first is the template's) and, when it is symbolic, its size symbols.
/// </summary>
internal sealed record DynamicInfo(Recording Template, List<Observation> Observations, SymbolicSizes? Symbolic);

/// <summary>
/// The sizes a symbolic specialization serves. Symbol <c>sj</c> is the size of the marked input dims in
/// <see cref="Members"/>[j] (dims whose sizes were equal in every trace share a symbol, as torch.compile's duck
/// sizing does, so a call where they differ is not served); marked dims that never changed size stay static. Each
/// number of the recorded graphs has a formula (<see cref="IntFormulas"/>...): a call's trace fits when it has the
/// same structure and every number equals its formula at the call's sizes. A size is served only once its own
/// trace fitted (<see cref="Validate"/>): .NET code may branch on a size where no trace can see it — unless the
/// module trusts its dynamic sizes (<see cref="TraceOptions.TrustDynamicSizes"/>): then, once traces at
/// <see cref="TrustAfter"/> distinct sizes of every symbol fitted, every size is served.
/// </summary>
internal sealed class SymbolicSizes
{
    private readonly Signature _maskedTemplate;
    private readonly Signature _template;
    private readonly IReadOnlySet<(int Input, int Dim)> _marks;
    private readonly HashSet<long[]> _validated = new(SizesComparer.Instance);
    private readonly HashSet<long>[] _distinct;   // per symbol, the sizes traces fitted at
    private readonly bool _trust;

    /// <summary>Distinct traced sizes of each symbol after which a trusting module serves every size.</summary>
    public const int TrustAfter = 3;

    public SymbolicSizes(Signature template, IReadOnlySet<(int Input, int Dim)> marks, (int Input, int Dim)[][] members,
        SymExpr[] intFormulas, SymExpr?[] floatFormulas, SymExpr[] forwardIntFormulas, SymExpr?[] forwardFloatFormulas, bool trust)
    {
        _trust = trust;
        _distinct = [.. members.Select(_ => new HashSet<long>())];
        _template = template;
        _marks = marks;
        _maskedTemplate = Mask(template, marks);
        Members = members;
        IntFormulas = intFormulas;
        FloatFormulas = floatFormulas;
        ForwardIntFormulas = forwardIntFormulas;
        ForwardFloatFormulas = forwardFloatFormulas;
    }

    /// <summary>Per symbol, the input dims whose size it is.</summary>
    public (int Input, int Dim)[][] Members { get; }

    /// <summary>Formulas of the recorded graph's int slots (sizes, strides, int constants).</summary>
    public SymExpr[] IntFormulas { get; }

    /// <summary>Formulas of the recorded graph's float constants (null: the same in every trace).</summary>
    public SymExpr?[] FloatFormulas { get; }

    /// <summary>Formulas of the recorded forward graph's int slots (the graph the trace check replays).</summary>
    public SymExpr[] ForwardIntFormulas { get; }

    /// <summary>Formulas of the recorded forward graph's float constants (null: the same in every trace).</summary>
    public SymExpr?[] ForwardFloatFormulas { get; }

    /// <summary>The symbols as text: <c>s0 = input 0 dim 1</c>.</summary>
    public string Describe(IReadOnlyList<string> names) => string.Join(", ", Members.Select((m, j) =>
        $"s{j} = " + string.Join(" = ", m.Select(x => $"{(x.Input < names.Count ? names[x.Input] : $"input {x.Input}")}.size({x.Dim})"))));

    /// <summary>The symbols' values for a call, or null when the call is not of this specialization's family and layout.</summary>
    public long[]? Bind(Signature call)
    {
        if (call.Inputs.Length != _template.Inputs.Length || !Mask(call, _marks).Equals(_maskedTemplate)) return null;
        var values = new long[Members.Length];
        for (int j = 0; j < Members.Length; j++)
        {
            var (i0, d0) = Members[j][0];
            values[j] = call.Inputs[i0].Shape[d0];
            foreach (var (i, d) in Members[j])
                if (call.Inputs[i].Shape[d] != values[j]) return null;
        }
        foreach (var (i, d) in _marks)
            if (i < call.Inputs.Length && d < call.Inputs[i].Shape.Length && !Members.Any(m => m.Contains((i, d))) && call.Inputs[i].Shape[d] != _template.Inputs[i].Shape[d])
                return null;
        return values;
    }

    /// <summary>Whether a call runs this specialization: its family and layout, at sizes whose trace fitted (or any, once trusted).</summary>
    public bool Accepts(Signature call) => Bind(call) is { } values && (Trusted || _validated.Contains(values));

    /// <summary>True when every size is served without a trace of its own.</summary>
    public bool Trusted => _trust && _distinct.All(d => d.Count >= TrustAfter);

    /// <summary>Serves the sizes <paramref name="values"/> from now on.</summary>
    public void Validate(long[] values)
    {
        _validated.Add(values);
        for (int j = 0; j < values.Length; j++) _distinct[j].Add(values[j]);
    }

    /// <summary>Number of distinct sizes served.</summary>
    public int ValidatedCount => _validated.Count;

    /// <summary>Null when <paramref name="o"/>'s trace is this specialization's graph at <paramref name="values"/>; else why not.</summary>
    public string? Fits(Observation o, Observation template, long[] values)
    {
        if (o.Raw.StructureDifference(template.Raw) is { } d) return d;
        if (o.Forward.StructureDifference(template.Forward) is { } f) return f;
        if (!o.Lifted.SequenceEqual(template.Lifted, ReferenceEqualityComparer.Instance)) return "the traces captured different tensors";
        return Mismatch(o.Raw, template.Raw, IntFormulas, FloatFormulas, values) ?? Mismatch(o.Forward, template.Forward, ForwardIntFormulas, ForwardFloatFormulas, values);
    }

    private static string? Mismatch(GraphSlots slots, GraphSlots template, SymExpr[] ints, SymExpr?[] floats, long[] values)
    {
        for (int k = 0; k < ints.Length; k++)
            if (slots.Ints[k] != GraphSlots.Any && ints[k].Evaluate(values) != slots.Ints[k]) return $"int slot {k} is {slots.Ints[k]}, its formula {ints[k]} gives {ints[k].Evaluate(values)}";
        for (int k = 0; k < floats.Length; k++)
        {
            double expected = floats[k] is { } f ? f.Evaluate(values) : template.Floats[k];
            if (!expected.Equals(slots.Floats[k])) return $"float slot {k} is {slots.Floats[k]}, expected {expected}";
        }
        return null;
    }

    /// <summary><paramref name="s"/> with the sizes of the marked dims blanked out (-1): equal for calls of one family.</summary>
    public static Signature Mask(Signature s, IReadOnlySet<(int Input, int Dim)> marks)
    {
        var inputs = s.Inputs.ToArray();
        foreach (var (i, d) in marks)
        {
            if (i >= inputs.Length || d >= inputs[i].Shape.Length) continue;
            var shape = inputs[i].Shape.ToArray();
            shape[d] = -1;
            inputs[i] = inputs[i] with { Shape = shape };
        }
        return s with { Inputs = inputs };
    }

    /// <summary>Equality of size tuples by their values.</summary>
    private sealed class SizesComparer : IEqualityComparer<long[]>
    {
        public static readonly SizesComparer Instance = new();

        public bool Equals(long[]? x, long[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(long[] values)
        {
            var h = new HashCode();
            foreach (long v in values) h.Add(v);
            return h.ToHashCode();
        }
    }
}
