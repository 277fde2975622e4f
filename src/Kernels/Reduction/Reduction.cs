namespace Trace.Kernels;

/// <summary>
/// Reduces a strided N-d buffer over a set of dims into a contiguous output laid out over the kept
/// dims. Chooses between reducing contiguous runs (reduced dims innermost), accumulating whole rows
/// (kept dims innermost, vectorized across outputs), and a general strided walk.
/// </summary>
public static class Reduction
{
    /// <summary>dst[kept index] = reduce over the reduced dims of src.</summary>
    public static void Run<T, TOp>(T[] src, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides,
        ReadOnlySpan<bool> reduce, T[] dst) where T : unmanaged where TOp : IReduceOp<T>
    {
        var keptShape = new List<int>();
        var keptStride = new List<int>();
        var red = new List<(int Size, int Stride)>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (reduce[d]) red.Add((shape[d], strides[d]));
            else { keptShape.Add(shape[d]); keptStride.Add(strides[d]); }
        }
        // Reduction order does not change the result (up to rounding): sort by stride so runs merge.
        red.Sort((x, y) => y.Stride.CompareTo(x.Stride));
        long keptCount = 1, redCount = 1;
        foreach (int s in keptShape) keptCount *= s;
        foreach (var r in red) redCount *= r.Size;
        if (keptCount == 0) return;
        if (redCount == 0) { dst.AsSpan(0, (int)keptCount).Fill(TOp.Identity); return; }

        var (kDims, kSt) = StridedLoop.Coalesce(keptShape.ToArray(), [keptStride.ToArray()]);
        var (rDims, rSt) = StridedLoop.Coalesce(red.Select(r => r.Size).ToArray(), [red.Select(r => r.Stride).ToArray()]);
        int[] dstStrides = ContiguousStrides(keptShape);
        int grain = Math.Max(1, ParallelRange.ElementwiseGrain / (int)Math.Min(redCount, ParallelRange.ElementwiseGrain));

        if (rDims.Length == 0 || (rDims.Length == 1 && rSt[0][0] == 1))
        {
            // Reduced elements are one contiguous run per output.
            StridedLoop.Run(keptShape.ToArray(), [dstStrides, keptStride.ToArray()], [0, offset],
                new ContiguousRunRows<T, TOp>(dst, src, (int)redCount), grain);
        }
        else if (kDims.Length == 1 && kSt[0][0] == 1)
        {
            // Outputs are contiguous in the input: accumulate whole rows, split by columns.
            int k = kDims[0];
            // A read-mostly reduction is cheap per element: a second worker pays off only from ~4 elementwise grains each.
            int columnGrain = (int)Math.Max(Vector512Width, (4L * ParallelRange.ElementwiseGrain + redCount - 1) / redCount);
            ParallelRange.Run(k, columnGrain, (c0, c1) =>
            {
                if (typeof(TOp) == typeof(SumReduce<float>))
                {
                    // Float sums accumulate in double (as a contiguous sum does), then round once.
                    var acc = new double[c1 - c0];
                    StridedLoop.Run(rDims, rSt, [offset + c0], new AccumulateWidenedRows(acc, (float[])(object)src), int.MaxValue);
                    var d = (float[])(object)dst;
                    for (int c = 0; c < acc.Length; c++) d[c0 + c] = (float)acc[c];
                    return;
                }
                dst.AsSpan(c0, c1 - c0).Fill(TOp.Identity);
                StridedLoop.Run(rDims, rSt, [offset + c0], new AccumulateRows<T, TOp>(dst, src, c0, c1 - c0), int.MaxValue);
            });
        }
        else
        {
            StridedLoop.Run(keptShape.ToArray(), [dstStrides, keptStride.ToArray()], [0, offset],
                new GeneralRows<T, TOp>(dst, src, rDims, rSt[0]), grain);
        }
    }

    private const int Vector512Width = 16;

    internal static int[] ContiguousStrides(IReadOnlyList<int> shape)
    {
        var st = new int[shape.Count];
        int s = 1;
        for (int d = shape.Count - 1; d >= 0; d--) { st[d] = s; s *= Math.Max(shape[d], 1); }
        return st;
    }

    private readonly struct ContiguousRunRows<T, TOp>(T[] dst, T[] src, int runLength) : IRowKernel
        where T : unmanaged where TOp : IReduceOp<T>
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
        {
            for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1])
                dst[o] = SpanReduce.Reduce<T, TOp>(src.AsSpan(p, runLength));
        }
    }

    private readonly struct AccumulateRows<T, TOp>(T[] dst, T[] src, int col0, int cols) : IRowKernel
        where T : unmanaged where TOp : IReduceOp<T>
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
        {
            var acc = dst.AsSpan(col0, cols);
            for (int i = 0, p = off[0]; i < n; i++, p += st[0])
                SpanReduce.Accumulate<T, TOp>(acc, src.AsSpan(p, cols));
        }
    }

    private readonly struct AccumulateWidenedRows(double[] acc, float[] src) : IRowKernel
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
        {
            for (int i = 0, p = off[0]; i < n; i++, p += st[0])
                SpanReduce.AccumulateWidened(acc, src.AsSpan(p, acc.Length));
        }
    }

    private readonly struct GeneralRows<T, TOp>(T[] dst, T[] src, int[] rDims, int[] rStrides) : IRowKernel
        where T : unmanaged where TOp : IReduceOp<T>
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int n)
        {
            Span<int> idx = stackalloc int[rDims.Length];
            for (int i = 0, o = off[0], p = off[1]; i < n; i++, o += st[0], p += st[1])
            {
                idx.Clear();
                T acc = TOp.Identity;
                double wide = 0;   // float sums accumulate in double
                bool widen = typeof(TOp) == typeof(SumReduce<float>);
                int q = p;
                while (true)
                {
                    if (widen) wide += (float)(object)src[q];
                    else acc = TOp.Combine(acc, src[q]);
                    int d = rDims.Length - 1;
                    for (; d >= 0; d--)
                    {
                        idx[d]++;
                        q += rStrides[d];
                        if (idx[d] < rDims[d]) break;
                        q -= rStrides[d] * rDims[d];
                        idx[d] = 0;
                    }
                    if (d < 0) break;
                }
                dst[o] = widen ? (T)(object)(float)wide : acc;
            }
        }
    }
}
