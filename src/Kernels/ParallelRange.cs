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
}
