namespace Trace.Optim;

/// <summary>
/// What an optimizer keeps for one parameter between steps (PyTorch's <c>optimizer.state[p]</c>).
/// Buffers are contiguous tensors of the parameter's shape and dtype, created on the parameter's first
/// step; the optimizer updates them in place.
/// </summary>
public sealed partial class ParamState
{
    /// <summary>Number of steps taken for this parameter (steps where its gradient was null do not count).</summary>
    public long Step { get; set; }

    /// <summary>SGD's and RMSprop's momentum buffer (null until the first step with nonzero momentum).</summary>
    public Tensor? MomentumBuffer { get; set; }

    /// <summary>Adam's running average of the gradient (<c>exp_avg</c>).</summary>
    public Tensor? ExpAvg { get; set; }

    /// <summary>Adam's running average of the squared gradient (<c>exp_avg_sq</c>).</summary>
    public Tensor? ExpAvgSq { get; set; }

    /// <summary>AMSGrad's running maximum of <see cref="ExpAvgSq"/> (<c>max_exp_avg_sq</c>).</summary>
    public Tensor? MaxExpAvgSq { get; set; }

    /// <summary>RMSprop's running average of the squared gradient (<c>square_avg</c>).</summary>
    public Tensor? SquareAvg { get; set; }

    /// <summary>Centered RMSprop's running average of the gradient (<c>grad_avg</c>).</summary>
    public Tensor? GradAvg { get; set; }

    /// <summary>Adagrad's sum of squared gradients, started at <c>initial_accumulator_value</c> (<c>sum</c>).</summary>
    public Tensor? Sum { get; set; }
}
