using Trace.Kernels;

namespace Trace;

/// <summary>
/// One parameter's prepared elementwise optimizer update, for a device's <see cref="IOptimizerKernels.RunStep"/>: the
/// contiguous tensor to update in place (the parameter or a contiguous copy of it), its contiguous gradient of the same
/// dtype and shape, and — in the subclass — its state buffers and the step's scalars (already in the element type).
/// </summary>
internal abstract class FusedUpdate(Tensor param, Tensor grad)
{
    /// <summary>The contiguous tensor updated in place.</summary>
    public Tensor Param { get; } = param;

    /// <summary>Its contiguous gradient.</summary>
    public Tensor Grad { get; } = grad;

    /// <summary>The number of elements updated.</summary>
    public int Length => Param.Numel;
}

/// <summary>One parameter's SGD step (<see cref="OptimKernels.SgdStep(Span{float}, ReadOnlySpan{float}, Span{float}, in SgdStepArgs{float})"/>).</summary>
/// <typeparam name="T">float or double: the parameter's element type.</typeparam>
internal sealed class SgdUpdate<T>(Tensor param, Tensor grad, Tensor? momentumBuffer, SgdStepArgs<T> args) : FusedUpdate(param, grad)
    where T : unmanaged
{
    /// <summary>The momentum buffer; null without momentum.</summary>
    public Tensor? MomentumBuffer { get; } = momentumBuffer;

    /// <summary>The step's scalars.</summary>
    public SgdStepArgs<T> Args { get; } = args;
}

/// <summary>One parameter's Adam/AdamW step (<see cref="OptimKernels.AdamStep(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, in AdamStepArgs{float})"/>).</summary>
/// <typeparam name="T">float or double: the parameter's element type.</typeparam>
internal sealed class AdamUpdate<T>(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor? maxExpAvgSq, AdamStepArgs<T> args)
    : FusedUpdate(param, grad) where T : unmanaged
{
    /// <summary>exp_avg.</summary>
    public Tensor ExpAvg { get; } = expAvg;

    /// <summary>exp_avg_sq.</summary>
    public Tensor ExpAvgSq { get; } = expAvgSq;

    /// <summary>max_exp_avg_sq; null unless AMSGrad.</summary>
    public Tensor? MaxExpAvgSq { get; } = maxExpAvgSq;

    /// <summary>The step's scalars at this parameter's own step count.</summary>
    public AdamStepArgs<T> Args { get; } = args;
}
