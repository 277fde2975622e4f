using System.Runtime.CompilerServices;

namespace Trace.Jit;

/// <summary>
/// Dynamic dims of one traced module (<see cref="TraceOptions.DynamicDims"/>, <see cref="Jit.MarkDynamic"/>): traces
/// that differ only in the sizes of marked dims are unified into one symbolic specialization, as torch.compile's
/// dynamic shapes serve every size with one graph.
/// <list type="number">
/// <item>A call at a new size is traced (eagerly, which also gives its result). If a symbolic specialization's
/// graph at the call's sizes is exactly that trace — same structure, every size and constant equal to its formula —
/// the specialization serves this size from now on (nothing is compiled).</item>
/// <item>Otherwise the trace is unified with the traces of a specialization of the same family (same everything
/// but the marked sizes): the structures must be equal; sizes that differ become symbols; every number that differs
/// must have a <see cref="SizeFit"/> formula; then one symbolic graph is compiled (its fusion kernels take sizes at
/// run time), checked against eager on the call, and replaces that specialization.</item>
/// <item>What cannot be unified (a branch on a size, a size-dependent constant with no formula, a tensor made from
/// the sizes) stays a static specialization, and <see cref="TracedModule.ExplainLastRetrace"/> says why.</item>
/// </list>
/// </summary>
internal sealed class DynamicShapes(TracedModule module, List<TracedModule.Specialization> specializations)
{
    /// <summary>Most traces a symbolic specialization keeps for later refits; sizes seen after that are served, not kept.</summary>
    private const int MaxObservations = 32;

    private static readonly ConditionalWeakTable<Tensor, int[]> Marked = [];

    private readonly HashSet<(int Input, int Dim)> _marks = [];
    private bool _optionsRead;


    /// <summary>Marks dims of <paramref name="t"/> dynamic for traces that take it as an input (see <see cref="Jit.MarkDynamic"/>).</summary>
    public static void Mark(Tensor t, int[] dims)
    {
        var normalized = dims.Select(d => d >= -t.Dim && d < t.Dim ? (d < 0 ? d + t.Dim : d)
            : throw new ArgumentException($"Jit.MarkDynamic: dim {d} is out of range for a tensor of shape {Shapes.Format(t.Shape)}.", nameof(dims))).ToArray();
        Marked.AddOrUpdate(t, Marked.TryGetValue(t, out var old) ? [.. old.Union(normalized)] : normalized);
    }

    /// <summary>
    /// Serves a new trace with a symbolic specialization (an existing one it fits, or one unified from it and earlier
    /// traces, which replaces the specialization it was unified with): true with <paramref name="served"/>. False when
    /// the module has no dynamic dims or nothing unifies; then <paramref name="observed"/> is what the static
    /// specialization the caller builds must remember.
    /// </summary>
    public bool TryServe(Recording r, Tensor[] inputs, IReadOnlyList<(string Name, Tensor Tensor)> parameters, List<TensorState> mutated,
        out TracedModule.Specialization? served, out DynamicInfo? observed)
    {
        served = null;
        observed = null;
        ReadMarks(inputs);
        if (_marks.Count == 0) return false;
        var o = Observation.Of(r);
        observed = new DynamicInfo(r, [o], null);
        var family = specializations.Where(s => s.Dynamic is not null && SameFamily(s.Signature, r.Signature)).ToList();
        if (family.Count == 0) return false;
        var names = r.Raw.Inputs.Take(r.Signature.Inputs.Length).Select(v => v.Name).ToList();
        foreach (var s in family.Where(s => s.Dynamic!.Symbolic is not null))
        {
            var (info, sym) = (s.Dynamic!, s.Dynamic!.Symbolic!);
            if (sym.Bind(r.Signature) is not { } values || sym.Fits(o, info.Observations[0], values) is not null) continue;
            sym.Validate(values);
            if (info.Observations.Count < MaxObservations) info.Observations.Add(o.Compact(info.Observations[0]));
            module.NoteRetrace($"the trace at the new size ({Values(values)}) fits the symbolic specialization ({sym.Describe(names)}), which serves that size from now on");
            served = s;
            return true;
        }
        var reasons = new List<string>();
        foreach (var s in family.OrderByDescending(s => s.Dynamic!.Symbolic is not null))
        {
            var traces = s.Dynamic!.Observations.Append(o).ToList();
            if (Unify(s.Dynamic.Template, traces, out var why) is not { } u)
            {
                reasons.Add(why!);
                continue;
            }
            var (unified, symbolic) = u;
            TracedModule.Specialization spec;
            try
            {
                spec = module.Build(symbolic, unified);
            }
            catch (Exception e) when (e is InvalidOperationException or NotSupportedException or ArgumentException)
            {
                reasons.Add("compiling the unified graph failed: " + e.Message.Split('\n')[0]);
                continue;
            }
            if (module.Options.CheckTrace && !spec.RawGraph.Nodes.Any(n => n.IsNondeterministic))
            {
                try
                {
                    module.CheckNew(spec, inputs, parameters, mutated);
                }
                catch (TracingCheckException e)
                {
                    reasons.Add("the unified graph does not reproduce eager: " + e.Message.Split('\n')[0]);
                    continue;
                }
            }
            specializations[specializations.FindIndex(x => ReferenceEquals(x, s))] = spec;
            module.NoteRetrace($"unified {traces.Count} traces into one symbolic specialization ({unified.Symbolic!.Describe(names)})");
            served = spec;
            return true;
        }
        module.NoteRetrace($"dynamic dims not unified, traced as a static specialization: {string.Join("; ", reasons.Distinct())}");
        return false;
    }

    /// <summary>The marks of the options (checked once against the first call's inputs) and of <see cref="Jit.MarkDynamic"/> on this call's inputs.</summary>
    private void ReadMarks(Tensor[] inputs)
    {
        if (!_optionsRead)
        {
            _optionsRead = true;
            var dims = module.Options.DynamicDims;
            if (dims.Count > inputs.Length)
                throw new ArgumentException($"TraceOptions.DynamicDims lists dims of {dims.Count} inputs; the traced function takes {inputs.Length}.");
            for (int i = 0; i < dims.Count; i++)
                foreach (int d in dims[i] ?? [])
                {
                    int rank = inputs[i].Dim;
                    if (d < -rank || d >= rank)
                        throw new ArgumentException($"TraceOptions.DynamicDims: dim {d} of input {i} is out of range for its shape {Shapes.Format(inputs[i].Shape)}.");
                    _marks.Add((i, d < 0 ? d + rank : d));
                }
        }
        for (int i = 0; i < inputs.Length; i++)
            if (Marked.TryGetValue(inputs[i], out var dims))
                foreach (int d in dims) _marks.Add((i, d));
    }

    private bool SameFamily(Signature a, Signature b) =>
        a.Inputs.Length == b.Inputs.Length && SymbolicSizes.Mask(a, _marks).Equals(SymbolicSizes.Mask(b, _marks));

    private static string Values(long[] values) => string.Join(", ", values.Select((v, j) => $"s{j} = {v}"));

    /// <summary>
    /// One symbolic specialization for <paramref name="traces"/> (the first is <paramref name="template"/>'s): its info,
    /// and the template's recording with the graphs rewritten symbolically; null with the reason when they do not unify.
    /// </summary>
    private (DynamicInfo Info, Recording Symbolic)? Unify(Recording template, List<Observation> traces, out string? reason)
    {
        reason = null;
        var first = traces[0];
        // Symbols: marked dims whose sizes differ between the traces; dims with equal sizes in every trace share one.
        var members = new List<List<(int, int)>>();
        var vectors = new List<long[]>();
        foreach (var (i, d) in _marks.OrderBy(m => m))
        {
            if (i >= first.Signature.Inputs.Length || d >= first.Signature.Inputs[i].Shape.Length) continue;
            var v = traces.Select(t => (long)t.Signature.Inputs[i].Shape[d]).ToArray();
            if (v.All(x => x == v[0])) continue;
            int j = vectors.FindIndex(w => w.SequenceEqual(v));
            if (j < 0)
            {
                vectors.Add(v);
                members.Add([]);
                j = members.Count - 1;
            }
            members[j].Add((i, d));
        }
        if (vectors.Count == 0)
        {
            reason = "no dynamic dim changed size (the trace differs in something else, e.g. a value guard)";
            return null;
        }
        foreach (var t in traces.Skip(1))
        {
            var diff = first.Raw.StructureDifference(t.Raw) ?? first.Forward.StructureDifference(t.Forward);
            if (diff is null && !t.Lifted.SequenceEqual(first.Lifted, ReferenceEqualityComparer.Instance)) diff = "the traces captured different tensors";
            if (diff is not null)
            {
                reason = $"the traces at {Sizes(first, members)} and {Sizes(t, members)} differ in structure ({diff})";
                return null;
            }
        }
        var symbols = traces.Select((_, k) => vectors.Select(v => v[k]).ToArray()).ToList();
        var forced = new Dictionary<(int, int), int>();
        for (int j = 0; j < members.Count; j++)
            foreach (var m in members[j]) forced[m] = j;
        var raw = template.Raw.Clone();
        bool joint = !ReferenceEquals(template.Raw, template.ForwardRaw);
        var forward = joint ? template.ForwardRaw.Clone() : raw;
        if (Formulas(raw, traces.Select(t => t.Raw).ToList(), symbols, forced, out var ints, out var floats, out reason) is not { } rawSlots)
            return null;
        var (fints, ffloats, forwardSlots) = (ints, floats, rawSlots);
        if (joint && (forwardSlots = Formulas(forward, traces.Select(t => t.Forward).ToList(), symbols, forced, out fints, out ffloats, out reason)) is null)
            return null;
        Rewrite(raw, rawSlots, ints, floats);
        // A random op with its own generator re-runs only through its replay, which draws at the traced size.
        if (raw.Nodes.FirstOrDefault(n => n.IsNondeterministic && n.Replay is not null && n.Output.TensorType is { IsSymbolic: true }) is { } random)
        {
            reason = $"{random.Kind} draws from its own generator at its traced size";
            return null;
        }
        // A compiled backward's forward graph (the joint graph's prefix) is rewritten the same way, from its own slots.
        if (joint) Rewrite(forward, forwardSlots, fints, ffloats);
        var sym = new SymbolicSizes(template.Signature, _marks.ToHashSet(), [.. members.Select(m => m.ToArray())], ints, floats, fints, ffloats,
            module.Options.TrustDynamicSizes);
        foreach (var s in symbols) sym.Validate(s);
        var kept = traces.Take(MaxObservations).Select((t, k) => k == 0 ? t : t.Compact(traces[0])).ToList();
        return (new DynamicInfo(template, kept, sym), template with { Raw = raw, ForwardRaw = forward });
    }

    private static string Sizes(Observation o, List<List<(int Input, int Dim)>> members) =>
        "(" + string.Join(", ", members.Select((m, j) => $"s{j} = {o.Signature.Inputs[m[0].Input].Shape[m[0].Dim]}")) + ")";

    /// <summary>
    /// The formula of every number of <paramref name="g"/> (the template's copy, whose slots it returns) over the traces;
    /// null with the reason when a number that differs has none.
    /// </summary>
    private static GraphSlots? Formulas(Graph g, List<GraphSlots> traces, List<long[]> symbols, Dictionary<(int, int), int> forced,
        out SymExpr[] ints, out SymExpr?[] floats, out string? reason)
    {
        reason = null;
        var slots = GraphSlots.Of(g);
        ints = new SymExpr[slots.Ints.Length];
        floats = new SymExpr?[slots.Floats.Length];
        for (int k = 0; k < ints.Length; k++)
        {
            var place = slots.IntPlaces[k];
            // A marked dim of a graph input is its symbol (another symbol with proportional sizes would fit too).
            if (place is { Value.Node: null, Stride: false } && forced.TryGetValue((g.Inputs.IndexOf(place.Value), place.Index), out int j))
            {
                ints[k] = SymExpr.Symbol(j);
                continue;
            }
            // A stride of a size-1 dim is fitted on the other traces only (in none: kept as traced).
            var known = Enumerable.Range(0, traces.Count).Where(t => traces[t].Ints[k] != GraphSlots.Any).ToList();
            var values = known.Select(t => traces[t].Ints[k]).ToList();
            var at = known.Select(t => symbols[t]).ToList();
            if (known.Count == 0) ints[k] = SymExpr.Constant(place.Value!.TensorType!.Strides[place.Index]);
            else if (SizeFit.Fit(values, at) is { } f) ints[k] = f;
            else
            {
                reason = $"{Describe(g, place)} is {Series(values, at)}: no formula c·m + d of the sizes gives it";
                return null;
            }
        }
        for (int k = 0; k < floats.Length; k++)
        {
            var values = traces.Select(t => t.Floats[k]).ToList();
            if (values.All(v => v.Equals(values[0]))) continue;   // null: a constant, as traced
            var f = values.All(v => Math.Abs(v) < 1e15 && v == Math.Floor(v)) ? SizeFit.Fit(values.Select(v => (long)v).ToList(), symbols) : null;
            if (f is null)
            {
                reason = $"{Describe(g, slots.FloatPlaces[k])} is {string.Join(", ", values)} in the traces: a size-dependent float that is not a formula of the sizes";
                return null;
            }
            floats[k] = f;
        }
        return slots;
    }

    private static string Series(List<long> values, List<long[]> symbols) =>
        string.Join(", ", values.Select((v, k) => $"{v} at ({string.Join(", ", symbols[k].Select((s, j) => $"s{j} = {s}"))})"));

    private static string Describe(Graph g, GraphSlots.Place p) => p.Constant is { } c
        ? $"the constant %{c.Output.Name} read by {string.Join(", ", c.Output.Uses.Select(u => u.Kind).Distinct())}"
        : $"{(p.Stride ? "stride" : "size")} {p.Index} of %{p.Value!.Name}{(p.Value.Node is { } n ? $" ({n.Kind})" : " (a graph input)")}";

    /// <summary>Writes the formulas into <paramref name="g"/>: symbolic types, and size nodes in place of constants that vary.</summary>
    private static void Rewrite(Graph g, GraphSlots slots, SymExpr[] ints, SymExpr?[] floats)
    {
        var types = new Dictionary<Value, (int[] Shape, int[] Strides)>();
        for (int k = 0; k < ints.Length; k++)
        {
            var p = slots.IntPlaces[k];
            if (p.Constant is { } c)
            {
                if (!ints[k].IsConstant) Replace(g, c, ints[k], floating: false);
                continue;
            }
            var t = p.Value!.TensorType!;
            if (!types.TryGetValue(p.Value, out var dims)) types[p.Value] = dims = (t.Shape.ToArray(), t.Strides.ToArray());
            (p.Stride ? dims.Strides : dims.Shape)[p.Index] = SymbolicDims.Encode(ints[k]);
        }
        foreach (var (v, (shape, strides)) in types)
        {
            var t = v.TensorType!;
            v.Type = new TensorType(t.DType, shape, strides, t.RequiresGrad, t.Device);
        }
        for (int k = 0; k < floats.Length; k++)
            if (floats[k] is { } f) Replace(g, slots.FloatPlaces[k].Constant!, f, floating: true);
    }

    private static void Replace(Graph g, Node constant, SymExpr e, bool floating)
    {
        var sym = SymbolicScalar.Insert(g, g.Nodes.IndexOf(constant), e, floating);
        g.ReplaceAllUses(constant.Output, sym);
        g.Remove(constant);
    }
}
