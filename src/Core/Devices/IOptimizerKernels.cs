using Trace.Kernels;

namespace Trace;

/// <summary>
/// A device's fused optimizer updates. The optimizer has made the parameter, its gradient and its state buffers
/// contiguous tensors of one floating dtype and shape on this device and computed the step's scalars; a kernel
/// updates elements [<c>start</c>, <c>end</c>) of them in place (the optimizer splits a step into such ranges).
/// </summary>
internal interface IOptimizerKernels
{
    /// <summary>One SGD step over elements [start, end) of float32 tensors; <paramref name="momentumBuffer"/> null for no momentum.</summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<float> args, int start, int end);

    /// <summary>One SGD step over elements [start, end) of float64 tensors; <paramref name="momentumBuffer"/> null for no momentum.</summary>
    void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, in SgdStepArgs<double> args, int start, int end);

    /// <summary>One Adam/AdamW step over elements [start, end) of float32 tensors; <paramref name="maxExpAvgSq"/> null unless AMSGrad.</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<float> args, int start, int end);

    /// <summary>One Adam/AdamW step over elements [start, end) of float64 tensors; <paramref name="maxExpAvgSq"/> null unless AMSGrad.</summary>
    void AdamStep(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, in AdamStepArgs<double> args, int start, int end);
}
