namespace Trace.Kernels;

/// <summary>Processes one row (innermost run) of a strided N-d loop.</summary>
public interface IRowKernel
{
    /// <summary>
    /// Handles <paramref name="length"/> elements: operand k starts at <paramref name="offsets"/>[k] and
    /// advances by <paramref name="strides"/>[k] per element. Operand 0 is the output by convention.
    /// </summary>
    void Row(ReadOnlySpan<int> offsets, ReadOnlySpan<int> strides, int length);
}

/// <summary>
/// Walks an N-d index space shared by several strided operands (TensorIterator-style): dims that
/// are contiguous for every operand are merged first, then the outer dims are iterated and the
/// innermost dim is handed to a row kernel, which picks a vector path when its strides allow.
/// Large loops are split across cores by rows.
/// </summary>
public static class StridedLoop
{
    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="shape"/>. <paramref name="strides"/>[k] are the
    /// element strides of operand k over that shape (0 for broadcast dims); <paramref name="offsets"/>[k]
    /// its base offset.
    /// </summary>
    public static void Run<TK>(ReadOnlySpan<int> shape, int[][] strides, int[] offsets, TK kernel,
        int grain = ParallelRange.ElementwiseGrain) where TK : struct, IRowKernel
    {
        int nOps = strides.Length;
        long total = 1;
        foreach (int s in shape) total *= s;
        if (total == 0) return;

        var (dims, st) = Coalesce(shape, strides);
        int rank = dims.Length;
        int rowLen = rank == 0 ? 1 : dims[rank - 1];
        int rows = (int)(total / rowLen);
        int[] inner = new int[nOps];
        for (int k = 0; k < nOps; k++) inner[k] = rank == 0 ? 0 : st[k][rank - 1];

        if (rows == 1 && rowLen >= 2L * grain)
        {
            // One long row (any contiguous tensor coalesces to one): split the row itself across workers.
            TK k1 = kernel;
            ParallelRange.Run(rowLen, grain, (s, e) =>
            {
                TK local = k1;
                Span<int> off = stackalloc int[nOps];
                for (int k = 0; k < nOps; k++) off[k] = offsets[k] + s * inner[k];
                local.Row(off, inner, e - s);
            });
            return;
        }
        int rowGrain = Math.Max(1, grain / Math.Max(1, rowLen));
        if (ParallelRange.Workers(rows, rowGrain) <= 1 || total < 2L * grain)
        {
            RunRows(dims, st, offsets, inner, 0, rows, rowLen, ref kernel);
            return;
        }
        TK k2 = kernel;
        ParallelRange.Run(rows, rowGrain, (r0, r1) =>
        {
            TK local = k2;
            RunRows(dims, st, offsets, inner, r0, r1, rowLen, ref local);
        });
    }

    private static void RunRows<TK>(int[] dims, int[][] st, int[] baseOff, int[] inner, int r0, int r1,
        int rowLen, ref TK kernel) where TK : struct, IRowKernel
    {
        int nOps = st.Length;
        int outer = dims.Length - 1;
        Span<int> idx = stackalloc int[Math.Max(outer, 1)];
        Span<int> off = stackalloc int[nOps];
        // Decompose the first row index into a multi-index over the outer dims.
        int rem = r0;
        for (int d = outer - 1; d >= 0; d--)
        {
            idx[d] = rem % dims[d];
            rem /= dims[d];
        }
        for (int k = 0; k < nOps; k++)
        {
            int o = baseOff[k];
            for (int d = 0; d < outer; d++) o += idx[d] * st[k][d];
            off[k] = o;
        }
        for (int r = r0; r < r1; r++)
        {
            kernel.Row(off, inner, rowLen);
            // Increment the multi-index (odometer) and the operand offsets with it.
            for (int d = outer - 1; d >= 0; d--)
            {
                idx[d]++;
                for (int k = 0; k < nOps; k++) off[k] += st[k][d];
                if (idx[d] < dims[d]) break;
                for (int k = 0; k < nOps; k++) off[k] -= st[k][d] * dims[d];
                idx[d] = 0;
            }
        }
    }

    /// <summary>
    /// Drops size-1 dims and merges dim i into i+1 when, for every operand,
    /// stride[i] == stride[i+1] * size[i+1].
    /// </summary>
    public static (int[] Dims, int[][] Strides) Coalesce(ReadOnlySpan<int> shape, int[][] strides)
    {
        int nOps = strides.Length;
        var dims = new List<int>(shape.Length);
        var st = new List<int>[nOps];
        for (int k = 0; k < nOps; k++) st[k] = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = dims.Count - 1;
            bool merge = last >= 0;
            for (int k = 0; k < nOps && merge; k++)
                merge = st[k][last] == strides[k][d] * shape[d];
            if (merge)
            {
                dims[last] *= shape[d];
                for (int k = 0; k < nOps; k++) st[k][last] = strides[k][d];
            }
            else
            {
                dims.Add(shape[d]);
                for (int k = 0; k < nOps; k++) st[k].Add(strides[k][d]);
            }
        }
        var outSt = new int[nOps][];
        for (int k = 0; k < nOps; k++) outSt[k] = st[k].ToArray();
        return (dims.ToArray(), outSt);
    }
}
