using Trace.Kernels;

namespace Trace;

/// <summary>
/// The CPU's fused optimizer updates: <see cref="OptimKernels"/> over the host arrays' element ranges, all of a step's
/// parameters as one range split across cores (<see cref="ParallelRange.RunSegments"/>).
/// </summary>
internal sealed class CpuOptimizerKernels : IOptimizerKernels
{
    public void RunStep(IReadOnlyList<FusedUpdate> updates)
    {
        var lengths = new int[updates.Count];
        for (int i = 0; i < lengths.Length; i++)
        {
            if (updates[i] is not (SgdUpdate<float> or SgdUpdate<double> or AdamUpdate<float> or AdamUpdate<double>))
                throw new InvalidOperationException($"CPU optimizer step: no kernel for an update of type {updates[i].GetType().Name}.");
            lengths[i] = updates[i].Length;
        }
        ParallelRange.RunSegments(lengths, OptimKernels.Grain, (i, s, e) => Run(updates[i], s, e));
    }

    /// <summary>Elements [start, end) of one update.</summary>
    private static void Run(FusedUpdate u, int start, int end)
    {
        switch (u)
        {
            case SgdUpdate<float> s:
                OptimKernels.SgdStep(Range<float>(s.Param, start, end), Range<float>(s.Grad, start, end), Range<float>(s.MomentumBuffer, start, end), s.Args);
                break;
            case SgdUpdate<double> s:
                OptimKernels.SgdStep(Range<double>(s.Param, start, end), Range<double>(s.Grad, start, end), Range<double>(s.MomentumBuffer, start, end), s.Args);
                break;
            case AdamUpdate<float> a:
                OptimKernels.AdamStep(Range<float>(a.Param, start, end), Range<float>(a.Grad, start, end), Range<float>(a.ExpAvg, start, end),
                    Range<float>(a.ExpAvgSq, start, end), Range<float>(a.MaxExpAvgSq, start, end), a.Args);
                break;
            case AdamUpdate<double> a:
                OptimKernels.AdamStep(Range<double>(a.Param, start, end), Range<double>(a.Grad, start, end), Range<double>(a.ExpAvg, start, end),
                    Range<double>(a.ExpAvgSq, start, end), Range<double>(a.MaxExpAvgSq, start, end), a.Args);
                break;
            default:
                throw new InvalidOperationException($"CPU optimizer step: no kernel for an update of type {u.GetType().Name}.");   // checked in RunStep
        }
    }

    /// <summary>Elements [start, end) of the contiguous <paramref name="t"/> (an empty span for null).</summary>
    private static Span<T> Range<T>(Tensor? t, int start, int end) where T : unmanaged =>
        t is null ? default : t.Data<T>().AsSpan(t.StorageOffset + start, end - start);
}
