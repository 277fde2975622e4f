using System.Numerics;

namespace Trace.Kernels;

/// <summary>Max/min with the index of the first extreme (NaN counts as the extreme, as in PyTorch).</summary>
public static class ArgReduce
{
    /// <summary>
    /// For each of <paramref name="rows"/> contiguous rows of <paramref name="length"/> elements in
    /// <paramref name="src"/>, writes the extreme value and its index.
    /// </summary>
    public static void Rows<T>(T[] src, int offset, int rows, int length, bool max, T[] values, long[] indices)
        where T : unmanaged, INumber<T>
    {
        ParallelRange.Run(rows, Math.Max(1, ParallelRange.ElementwiseGrain / Math.Max(1, length)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var row = src.AsSpan(offset + r * length, length);
                int best = 0;
                T bv = row[0];
                if (!T.IsNaN(bv))
                {
                    for (int i = 1; i < row.Length; i++)
                    {
                        T v = row[i];
                        if (T.IsNaN(v)) { best = i; bv = v; break; }
                        if (max ? v > bv : v < bv) { best = i; bv = v; }
                    }
                }
                values[r] = bv;
                indices[r] = best;
            }
        });
    }
}
