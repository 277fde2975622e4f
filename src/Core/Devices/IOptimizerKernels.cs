using Trace.Kernels;

namespace Trace;

/// <summary>
/// A device's fused optimizer updates. The optimizer has made the parameter, its gradient and its state buffers
/// contiguous tensors of one floating dtype and shape on this device and computed the step's scalars; a kernel
/// updates elements [<c>start</c>, <c>end</c>) of them in place (the optimizer splits a step into such ranges).
/// </summary>
internal interface IOptimizerKernels
{
    /// <summary>
    /// Runs one multi-tensor step: <paramref name="update"/>(i, start, end) over ranges that cover [0, lengths[i]) of
    /// every parameter i exactly once, in the order and on the threads this device schedules them (the CPU splits them
    /// across cores; a GPU queues each whole parameter as one launch).
    /// </summary>
    void RunStep(int[] lengths, Action<int, int, int> update);

    /// <summary>One SGD step over elements [start, end) of float32 tensors; <paramref name="momentumBuffer"/> null for no momentum.</summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<float> args, int start, int end);

    /// <summary>One SGD step over elements [start, end) of float64 tensors; <paramref name="momentumBuffer"/> null for no momentum.</summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<double> args, int start, int end);

    /// <summary>One Adam/AdamW step over elements [start, end) of float32 tensors; <paramref name="maxExpAvgSq"/> null unless AMSGrad.</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<float> args, int start, int end);

    /// <summary>One Adam/AdamW step over elements [start, end) of float64 tensors; <paramref name="maxExpAvgSq"/> null unless AMSGrad.</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<double> args, int start, int end);
}
