namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Cumulative sum along <paramref name="dim"/>, as <c>torch.cumsum</c>: integer and bool inputs sum in int64. The
    /// gradient is the reversed cumulative sum of the output's gradient.
    /// </summary>
    public Tensor Cumsum(int dim)
    {
        const string op = "aten::cumsum";
        var kernels = DeviceKernels.For(Device, op).SortScan;
        int d = Shapes.NormDim(dim, Math.Max(Dim, 1), op);
        var dt = IsFloatingPoint ? DType : DType.Int64;
        return Dispatch.Record(new OpCall(op, d), () => AlongRows(d, dt, (rows, n, len) =>
        {
            var r = new Tensor((int[])rows._shape.Clone(), dt, Device, op: op);
            kernels.Cumsum(rows, r, n, len);
            return [r];
        })[0], this, g => g.Flip(d).Cumsum(d).Flip(d));
    }

    /// <summary>
    /// The values along <paramref name="dim"/> sorted (stably: equal values keep their order) and their indices, as
    /// <c>torch.sort(stable=True)</c>; NaN is larger than every number (last ascending, first descending). The gradient of
    /// the values goes back to the positions they came from.
    /// </summary>
    public ValuesIndices Sort(int dim = -1, bool descending = false)
    {
        const string op = "aten::sort";
        var kernels = DeviceKernels.For(Device, op).SortScan;
        int d = Shapes.NormDim(dim, Math.Max(Dim, 1), op);
        var outputs = SortRecord(new OpCall(op, d, descending), d, Dim == 0 ? 1 : _shape[d], descending, kernels, op);
        return new(outputs[0], outputs[1]);
    }

    /// <summary>The indices that sort the values along <paramref name="dim"/> (stably), as <c>torch.argsort(stable=True)</c>.</summary>
    public Tensor Argsort(int dim = -1, bool descending = false) => Sort(dim, descending).Indices;

    /// <summary>
    /// The <paramref name="k"/> largest (or, with <paramref name="largest"/> false, smallest) values along <paramref name="dim"/>
    /// and their indices, as <c>torch.topk</c>: in order of value (ties by position) whether or not <paramref name="sorted"/>
    /// is asked for, NaN counting as the largest. The gradient of the values goes back to their positions. It sorts the whole
    /// row (O(len log len) on the CPU), not a partial selection.
    /// </summary>
    public ValuesIndices Topk(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        const string op = "aten::topk";
        var kernels = DeviceKernels.For(Device, op).SortScan;
        int d = Shapes.NormDim(dim, Math.Max(Dim, 1), op);
        int len = Dim == 0 ? 1 : _shape[d];
        if (k < 0 || k > len)
            throw new ArgumentException($"aten::topk: k ({k}) must be between 0 and the size {len} of dimension {d} of input of shape {Shapes.Format(_shape)} (selected index k out of range).");
        var outputs = SortRecord(new OpCall(op, k, d, largest, sorted), d, k, largest, kernels, op);
        return new(outputs[0], outputs[1]);
    }

    /// <summary>Sort (the first <paramref name="keep"/> of each row along <paramref name="d"/>) recorded as one op of two outputs.</summary>
    private Tensor[] SortRecord(OpCall call, int d, int keep, bool descending, ISortScanKernels kernels, string op)
    {
        var dt = DType == DType.Bool ? DType.Int32 : DType;
        Tensor[] Compute()
        {
            var both = AlongRows(d, dt, (rows, n, len) =>
            {
                var values = new Tensor((int[])rows._shape.Clone(), dt, Device, op: op);
                var indices = new Tensor((int[])rows._shape.Clone(), DType.Int64, Device, op: op);
                kernels.Sort(rows, values, indices, n, len, descending);
                return [values, indices];
            });
            if (keep != (Dim == 0 ? 1 : _shape[d])) both = [both[0].Narrow(d, 0, keep).Contiguous(), both[1].Narrow(d, 0, keep).Contiguous()];
            if (DType == DType.Bool) both[0] = both[0].To(DType.Bool);
            return both;
        }
        Tensor indices = null!;
        Func<Tensor, Tensor> rule = Dim == 0 ? g => g : g => g.GatherBackward(_shape, d, indices);
        return Dispatch.Record(call, () =>
        {
            var r = Compute();
            indices = r[1];
            return r;
        }, [this], _ => new Backward([rule], [indices]));
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> on this tensor (cast to <paramref name="dt"/>) as contiguous rows along <paramref name="d"/>
    /// (moved last) and returns its outputs with <paramref name="d"/> moved back, contiguous. A 0-dim tensor is one row of one.
    /// </summary>
    private Tensor[] AlongRows(int d, DType dt, Func<Tensor, int, int, Tensor[]> kernel)
    {
        var x = (Dim == 0 ? AsStrided([1], [1], StorageOffset) : this).To(dt);
        int rank = x.Dim, len = x._shape[d];
        var perm = Enumerable.Range(0, rank).Where(i => i != d).Append(d).ToArray();
        var inverse = new int[rank];
        for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
        bool last = d == rank - 1;
        var rows = (last ? x : x.Permute(perm)).Contiguous();
        int n = len == 0 ? 0 : rows.Numel / len;
        var outs = kernel(rows, n, len);
        for (int i = 0; i < outs.Length; i++)
        {
            if (!last) outs[i] = outs[i].Permute(inverse).Contiguous();
            if (Dim == 0) outs[i] = outs[i].AsStrided([], [], outs[i].StorageOffset);
        }
        return outs;
    }

    /// <summary>
    /// Draws <paramref name="numSamples"/> category indices (int64) from each row of non-negative weights (a 1-D or 2-D
    /// floating tensor; rows need not sum to 1), as <c>torch.multinomial</c>: with or without replacement, from
    /// <paramref name="generator"/> (the default one when null) — the same draws for a seed, on every device. Rows with a
    /// negative, infinite or NaN weight, or summing to zero, are errors naming the op.
    /// </summary>
    public Tensor Multinomial(int numSamples, bool replacement = false, Generator? generator = null)
    {
        const string op = "aten::multinomial";
        var kernels = DeviceKernels.For(Device, op).SortScan;
        if (Dim is < 1 or > 2)
            throw new ArgumentException($"{op}: prob_dist must be 1 or 2 dim, got shape {Shapes.Format(_shape)}.");
        if (!IsFloatingPoint)
            throw new ArgumentException($"{op}: only floating-point dtypes are supported for prob_dist, got {DType.TorchName()}.");
        int len = _shape[^1], n = Dim == 1 ? 1 : _shape[0];
        if (len == 0) throw new ArgumentException($"{op}: prob_dist of shape {Shapes.Format(_shape)} has no categories.");
        if (numSamples <= 0) throw new ArgumentException($"{op}: cannot sample n_sample <= 0 samples (got {numSamples}).");
        if (!replacement && numSamples > len)
            throw new ArgumentException($"{op}: cannot sample n_sample > prob_dist.size(-1) samples without replacement ({numSamples} > {len}, shape {Shapes.Format(_shape)}).");
        return Dispatch.Record(new OpCall(op, numSamples, replacement), () =>
        {
            var rows = To(DType.Float64).Contiguous();
            var r = new Tensor(Dim == 1 ? [numSamples] : [n, numSamples], DType.Int64, Device, op: op);
            kernels.Multinomial(rows, r, n, len, numSamples, replacement, generator ?? Generator.Default, op);
            return r;
        }, [this], backward: null, generator is null ? null : inputs => inputs[0]!.Multinomial(numSamples, replacement, generator));
    }
}
