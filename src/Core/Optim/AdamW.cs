namespace Trace.Optim;

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019) with <c>torch.optim.AdamW</c>'s exact update: Adam whose weight
/// decay is decoupled from the gradient. Before the Adam update each parameter is scaled,
/// <c>p ·= 1 − lr·weight_decay</c>, and the gradient is used as is (see <see cref="Adam"/> for the rest).
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over one group of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The parameters to optimize.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">Coefficients of the running averages of the gradient and its square; (0.9, 0.999) when null.</param>
    /// <param name="eps">Term added to the denominator for numerical stability.</param>
    /// <param name="weightDecay">Decoupled weight decay coefficient.</param>
    /// <param name="amsgrad">Use the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base("AdamW", parameters, Defaults(lr, betas, eps, weightDecay, amsgrad, maximize), decoupledWeightDecay: true) { }

    /// <summary>AdamW over parameter groups; options a group does not set take these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="betas">Default running-average coefficients; (0.9, 0.999) when null.</param>
    /// <param name="eps">Default term added to the denominator.</param>
    /// <param name="weightDecay">Default decoupled weight decay coefficient.</param>
    /// <param name="amsgrad">Default for the AMSGrad variant.</param>
    /// <param name="maximize">Maximize the objective instead of minimizing it.</param>
    /// <exception cref="ArgumentException">An option or a parameter is invalid.</exception>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base("AdamW", groups, Defaults(lr, betas, eps, weightDecay, amsgrad, maximize), decoupledWeightDecay: true) { }
}
