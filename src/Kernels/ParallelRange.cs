namespace Trace.Kernels;

/// <summary>
/// Chunked parallel loops for large kernels. Small ranges run inline on the calling thread, so that
/// small ops never pay the cost of waking a worker.
/// </summary>
public static class ParallelRange
{
    /// <summary>Minimum number of elements per worker for simple elementwise work (memory bound).</summary>
    public const int ElementwiseGrain = 1 << 16;

    /// <summary>Number of workers used for large ops (defaults to the processor count).</summary>
    public static int MaxWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Runs <paramref name="body"/> over [0, count) split into contiguous chunks of at least
    /// <paramref name="grain"/> items, one per worker; runs inline when one chunk suffices.
    /// </summary>
    public static void Run(int count, int grain, Action<int, int> body)
    {
        int workers = Workers(count, grain);
        if (workers <= 1)
        {
            if (count > 0) body(0, count);
            return;
        }
        Parallel.For(0, workers, w =>
        {
            int start = (int)((long)count * w / workers);
            int end = (int)((long)count * (w + 1) / workers);
            if (end > start) body(start, end);
        });
    }

    /// <summary>How many workers <see cref="Run"/> would use for this range.</summary>
    public static int Workers(int count, int grain)
    {
        if (grain < 1) grain = 1;
        long w = count / grain;
        return (int)Math.Clamp(w, 1, Math.Max(1, MaxWorkers));
    }

    /// <summary>
    /// Runs <paramref name="body"/>(segment, start, end) over several arrays' elements as one range (a
    /// multi-tensor loop, like PyTorch's foreach kernels): the concatenated range is split across workers, and
    /// each worker calls the body on pieces of at most <paramref name="grain"/> elements of one segment, so
    /// small segments share a worker and large ones are split. <paramref name="lengths"/> gives each segment's size.
    /// </summary>
    public static void RunSegments(int[] lengths, int grain, Action<int, int, int> body)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        if (grain < 1) grain = 1;
        var starts = new long[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) starts[i + 1] = starts[i] + lengths[i];
        long total = starts[^1];
        if (total > int.MaxValue) throw new ArgumentException($"RunSegments: {total} elements in all is more than one range holds.");
        Run((int)total, grain, (s, e) =>
        {
            int seg = Array.BinarySearch(starts, s);
            if (seg < 0) seg = ~seg - 1;
            for (long pos = s; pos < e; seg++)
            {
                while (starts[seg + 1] <= pos) seg++;
                long segEnd = Math.Min(e, starts[seg + 1]);
                for (long a = pos; a < segEnd; a += grain)
                    body(seg, (int)(a - starts[seg]), (int)(Math.Min(segEnd, a + grain) - starts[seg]));
                pos = segEnd;
            }
        });
    }
}
