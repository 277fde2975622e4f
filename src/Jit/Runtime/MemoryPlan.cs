namespace Trace.Jit;

/// <summary>
/// Buffer reuse for one graph, planned once: a liveness scan gives each op output that is a fresh tensor
/// (elementwise, reductions, matmul, fusion groups...) a slot; slots of the same dtype and size are shared
/// by values whose lifetimes do not overlap, and each slot's buffer is kept across calls, so a steady-state
/// call allocates only what it returns. Buffers are handed to ops explicitly, through their out= forms
/// (<see cref="Trace.Ops.OpDef.EvalOut"/>; a fusion group's kernel takes its output buffer).
/// <list type="bullet">
/// <item>Only nodes that can write into a given buffer are planned: ops with an out= form, fusion groups; and only
/// when their declared output is contiguous (the layout of a planned buffer).</item>
/// <item>A value escapes — and is never planned — when it, or any view or in-place result derived from it
/// (every op not known to return a fresh tensor is assumed to alias its tensor inputs), is a graph output:
/// outputs handed to the caller are never overwritten by a later call.</item>
/// <item>A slot's buffer is allocated on first use, outside any <see cref="DisposeScope"/> (it lives as long as the plan),
/// and again whenever a call of a symbolic graph needs another size; slots of a symbolic graph are shared by values
/// whose element counts are the same expression.</item>
/// <item>Of a node with several outputs, only the first is planned (native_layer_norm's output, not its mean and rstd).</item>
/// <item>Plans apply only when no autograd tape is recorded (a tape would keep intermediates alive), no trace observes
/// the run, and one call at a time: a concurrent or re-entrant call runs unplanned.</item>
/// </list>
/// </summary>
internal sealed class MemoryPlan
{
    private readonly int[] _slotOf;          // per node: its slot, or -1
    private readonly Storage?[] _buffers;    // per slot: the buffer, once allocated
    private int _busy;

    private MemoryPlan(int[] slotOf, int slots)
    {
        _slotOf = slotOf;
        _buffers = new Storage?[slots];
    }

    /// <summary>Number of planned node outputs.</summary>
    public int PlannedValues => _slotOf.Count(s => s >= 0);

    /// <summary>Number of distinct buffers they share.</summary>
    public int Slots => _buffers.Length;

    /// <summary>Plans <paramref name="g"/>; null when nothing can be planned.</summary>
    public static MemoryPlan? Build(Graph g)
    {
        var index = new Dictionary<Node, int>();
        for (int i = 0; i < g.Nodes.Count; i++) index[g.Nodes[i]] = i;

        // Each tensor value belongs to the buffers ("roots") it may alias: its own if its op is fresh,
        // otherwise those of its tensor inputs.
        var roots = new Dictionary<Value, HashSet<Node>>();
        var lastUse = new Dictionary<Node, int>();      // root -> last node index reading any alias of it
        var escapes = new HashSet<Node>();
        foreach (var n in g.Nodes)
        {
            if (n.Outputs.Count == 0) continue;
            var set = new HashSet<Node>();
            if (PassUtil.IsFresh(n))
            {
                set.Add(n);
                for (int k = 1; k < n.Outputs.Count; k++) roots[n.Outputs[k]] = [];
            }
            else
            {
                foreach (var i in n.Inputs)
                    if (roots.TryGetValue(i, out var r)) set.UnionWith(r);
                for (int k = 1; k < n.Outputs.Count; k++)
                    if (n.Outputs[k].TensorType is not null) roots[n.Outputs[k]] = set;
            }
            if (n.Outputs[0].TensorType is not null) roots[n.Outputs[0]] = set;
        }
        foreach (var n in g.Nodes)
            foreach (var i in n.Inputs)
                if (roots.TryGetValue(i, out var r))
                    foreach (var root in r) lastUse[root] = Math.Max(lastUse.GetValueOrDefault(root, -1), index[n]);
        foreach (var o in g.Outputs)
            if (roots.TryGetValue(o, out var r)) escapes.UnionWith(r);

        var slotOf = Enumerable.Repeat(-1, g.Nodes.Count).ToArray();
        var slotKey = new List<(DType, long, int)>();   // dtype, static element count, symbolic element count code
        var slotFreeAfter = new List<int>();
        foreach (var n in g.Nodes)
        {
            if (!PassUtil.IsFresh(n) || !WritesInto(n) || n.Outputs[0].TensorType is not { } t || escapes.Contains(n) || !SymbolicDims.IsContiguous(t.Shape, t.Strides)) continue;
            int at = index[n];
            int end = lastUse.GetValueOrDefault(n, at);
            var key = SymbolicDims.AnySymbolic(t.Shape) ? (t.DType, -1L, SymbolicDims.Numel(t.Shape)) : (t.DType, t.Shape.Aggregate(1L, (a, b) => a * b), 0);
            if (key.Item2 == 0) continue;
            // A slot is free for this node once its previous occupant's last reader ran before this node.
            int slot = Enumerable.Range(0, slotKey.Count).FirstOrDefault(s => slotKey[s] == key && slotFreeAfter[s] < at, -1);
            if (slot < 0)
            {
                slot = slotKey.Count;
                slotKey.Add(key);
                slotFreeAfter.Add(end);
            }
            else slotFreeAfter[slot] = end;
            slotOf[at] = slot;
        }
        return slotKey.Count == 0 ? null : new MemoryPlan(slotOf, slotKey.Count);
    }

    /// <summary>Claims the plan for one run; false when another run holds it (then run unplanned).</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    /// <summary>Releases the plan after a run.</summary>
    public void Exit() => Volatile.Write(ref _busy, 0);

    /// <summary>True when <paramref name="n"/> can write its (first) output into a buffer it is given: an op with an out= form, a fusion group.</summary>
    public static bool WritesInto(Node n) => n.Kind == "prim::FusionGroup" || (n.Replay is null && n.Def?.EvalOut is not null);

    /// <summary>True when node <paramref name="nodeIndex"/>'s output has a planned buffer.</summary>
    public bool IsPlanned(int nodeIndex) => _slotOf[nodeIndex] >= 0;

    /// <summary>
    /// The buffer node <paramref name="nodeIndex"/> writes its output into at this call — a new view of its slot's storage
    /// with the output's <paramref name="shape"/> (at this call's sizes) and its declared dtype and device — or null when the node is not planned.
    /// </summary>
    public Tensor? Buffer(int nodeIndex, TensorType declared, int[] shape)
    {
        int s = _slotOf[nodeIndex];
        if (s < 0) return null;
        int numel = Shapes.Numel(shape, "memory plan");
        if (_buffers[s] is not { } storage || storage.Length != numel || storage.DType != declared.DType || storage.Device != declared.Device)
        {
            storage = Storage.Allocate(declared.DType, numel, declared.Device, zeroed: false);
            DisposeScope.Untrack(storage);
            _buffers[s] = storage;
        }
        return Tensor.View(storage, shape);
    }
}
