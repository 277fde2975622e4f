using Trace.Kernels;

namespace Trace;

/// <summary>The CPU's fused optimizer updates: <see cref="OptimKernels"/> over the host arrays' element ranges.</summary>
internal sealed class CpuOptimizerKernels : IOptimizerKernels
{
    public void RunStep(int[] lengths, Action<int, int, int> update) => ParallelRange.RunSegments(lengths, OptimKernels.Grain, update);

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<float> args, int start, int end) =>
        OptimKernels.SgdStep(Range<float>(param, start, end), Range<float>(grad, start, end), Range<float>(momentumBuffer, start, end), args);

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<double> args, int start, int end) =>
        OptimKernels.SgdStep(Range<double>(param, start, end), Range<double>(grad, start, end), Range<double>(momentumBuffer, start, end), args);

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<float> args, int start, int end) =>
        OptimKernels.AdamStep(Range<float>(param, start, end), Range<float>(grad, start, end), Range<float>(expAvg, start, end),
            Range<float>(expAvgSq, start, end), Range<float>(maxExpAvgSq, start, end), args);

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<double> args, int start, int end) =>
        OptimKernels.AdamStep(Range<double>(param, start, end), Range<double>(grad, start, end), Range<double>(expAvg, start, end),
            Range<double>(expAvgSq, start, end), Range<double>(maxExpAvgSq, start, end), args);

    /// <summary>Elements [start, end) of the contiguous <paramref name="t"/> (an empty span for null).</summary>
    private static Span<T> Range<T>(Tensor? t, int start, int end) where T : unmanaged =>
        t is null ? default : t.Data<T>().AsSpan(t.StorageOffset + start, end - start);
}
