namespace Trace.Jit;

/// <summary>
/// Buffer reuse for one graph, planned once: a liveness scan gives each op output that is a fresh tensor
/// (elementwise, reductions, matmul, fusion groups...) a slot; slots of the same dtype and size are shared
/// by values whose lifetimes do not overlap, and each slot's array is kept across calls, so a steady-state
/// call allocates only what it returns.
/// <list type="bullet">
/// <item>A value escapes — and is never planned — when it, or any view or in-place result derived from it
/// (every op not known to return a fresh tensor is assumed to alias its tensor inputs), is a graph output:
/// outputs handed to the caller are never overwritten by a later call.</item>
/// <item>A slot's array is adopted from the first call's output (only if that storage is exactly the
/// output's size and belongs to none of the op's inputs); later calls offer it to the op's allocation
/// (<see cref="Storage.Offered"/>).</item>
/// <item>In a symbolic graph (dynamic dims) slots are shared by values whose element counts are the same
/// expression; a slot's array is adopted again whenever a call's size differs from the array's.</item>
/// <item>Of a node with several outputs, only the first is planned (a fresh op allocates its first output first: native_layer_norm's output before its mean and rstd, max's values before its indices); the others alias nothing.</item>
/// <item>Plans apply only when no autograd tape is recorded (a tape would keep intermediates alive) and
/// one call at a time: a concurrent or re-entrant call runs unplanned.</item>
/// </list>
/// </summary>
internal sealed class MemoryPlan
{
    private readonly int[] _slotOf;          // per node: its slot, or -1
    private readonly Array?[] _buffers;      // per slot: the array, once adopted
    private int _busy;

    private MemoryPlan(int[] slotOf, int slots)
    {
        _slotOf = slotOf;
        _buffers = new Array?[slots];
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
            if (!PassUtil.IsFresh(n) || n.Outputs[0].TensorType is not { } t || escapes.Contains(n)) continue;
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

    /// <summary>Offers node <paramref name="nodeIndex"/>'s planned buffer to the allocation its op makes next.</summary>
    public void Offer(int nodeIndex)
    {
        int s = _slotOf[nodeIndex];
        Storage.Offered = s >= 0 ? _buffers[s] : null;
    }

    /// <summary>After node <paramref name="nodeIndex"/> ran (and the offer was withdrawn): adopts the output's array on the first call.</summary>
    public void Adopt(int nodeIndex, Tensor output, object?[] inputs)
    {
        int s = _slotOf[nodeIndex];
        if (s < 0 || output.Storage is not { } storage || storage.Length != output.Numel || output.StorageOffset != 0) return;
        // Kept until a call of another size (a symbolic slot) needs an array of another length.
        if (_buffers[s] is { } held && held.Length == storage.Length) return;
        foreach (var i in inputs)
            if (i is Tensor t && ReferenceEquals(t.Storage, storage)) return;
        _buffers[s] = storage switch
        {
            CpuStorage<float> f => f.Data,
            CpuStorage<double> d => d.Data,
            CpuStorage<long> l => l.Data,
            CpuStorage<int> i => i.Data,
            CpuStorage<bool> b => b.Data,
            _ => null,
        };
    }
}
