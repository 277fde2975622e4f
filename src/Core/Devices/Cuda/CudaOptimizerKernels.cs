using ILGPU;
using Trace.Kernels;
using Trace.Kernels.Gpu;

namespace Trace;

/// <summary>
/// The CUDA fused optimizer updates (<see cref="GpuOptim"/>): one launch per parameter range that reads the gradient
/// and state and writes the parameter and state in place, with the CPU kernels' formulas and operation order.
/// A step is not split across host threads: each parameter's whole range is one launch, queued in order.
/// </summary>
internal sealed class CudaOptimizerKernels : IOptimizerKernels
{
    public void RunStep(int[] lengths, Action<int, int, int> update)
    {
        for (int i = 0; i < lengths.Length; i++) update(i, 0, lengths[i]);
    }

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<float> args, int start, int end) =>
        GpuOptim.Sgd(CudaViews.Gpu(param), Range<float>(param, start, end), Range<float>(grad, start, end), Range<float>(momentumBuffer, start, end),
            new GpuSgdArgs<float>(end - start, args, momentumBuffer is not null));

    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<double> args, int start, int end) =>
        GpuOptim.Sgd(CudaViews.Gpu(param), Range<double>(param, start, end), Range<double>(grad, start, end), Range<double>(momentumBuffer, start, end),
            new GpuSgdArgs<double>(end - start, args, momentumBuffer is not null));

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<float> args, int start, int end) =>
        GpuOptim.Adam(CudaViews.Gpu(param), Range<float>(param, start, end), Range<float>(grad, start, end), Range<float>(expAvg, start, end),
            Range<float>(expAvgSq, start, end), Range<float>(maxExpAvgSq, start, end), new GpuAdamArgs<float>(end - start, args, maxExpAvgSq is not null));

    public void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<double> args, int start, int end) =>
        GpuOptim.Adam(CudaViews.Gpu(param), Range<double>(param, start, end), Range<double>(grad, start, end), Range<double>(expAvg, start, end),
            Range<double>(expAvgSq, start, end), Range<double>(maxExpAvgSq, start, end), new GpuAdamArgs<double>(end - start, args, maxExpAvgSq is not null));

    /// <summary>Elements [start, end) of the contiguous <paramref name="t"/> (an empty view for null).</summary>
    private static ArrayView<T> Range<T>(Tensor? t, int start, int end) where T : unmanaged =>
        t is null ? ArrayView<T>.Empty : CudaViews.Run<T>(t).SubView(start, end - start);
}
