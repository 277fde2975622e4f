namespace Trace.Nn;

public static partial class Functional
{
    /// <summary>
    /// Batch normalization over dim 1 (<c>F.batch_norm</c>) of an (N, C, ...) input. In training (or without running
    /// statistics) each channel is normalized with its batch mean and biased variance, and the running statistics, when
    /// given, are updated in place: r = (1 − momentum)·r + momentum·batch, with the unbiased variance for running_var
    /// (momentum null: the cumulative average over <paramref name="batchesTracked"/> batches, which is incremented). In
    /// inference, the running statistics normalize (one <c>aten::batch_norm</c> op).
    /// </summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null, bool training = false,
        double? momentum = 0.1, double eps = 1e-5, Tensor? batchesTracked = null)
    {
        const string op = "batch_norm";
        int c = Tensor.BatchNormChannels(op, input, weight, bias, runningMean, runningVar);
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"{op}: running_mean and running_var must both be given or both be None.");
        if (!training && runningMean is not null)
            return Tensor.BatchNormInference(input, weight, bias, runningMean, runningVar!, momentum ?? 0, eps);
        var dims = Enumerable.Range(0, input.Dim).Where(d => d != 1).ToArray();
        long n = input.Numel / Math.Max(c, 1);
        if (n <= 1)
            throw new ArgumentException($"{op}: expected more than 1 value per channel when training, got input size {Shapes.Format(input.Shape)}.");
        var mean = input.Mean(dims, keepdim: true);
        var var = input.Var(dims, correction: 0, keepdim: true);
        var y = input.Sub(mean).Mul(var.Add(eps).Rsqrt());
        var shape = input.Shape.Select((s, i) => i == 1 ? c : 1).ToArray();
        if (weight is not null) y = y.Mul(weight.Reshape(shape));
        if (bias is not null) y = y.Add(bias.Reshape(shape));
        if (runningMean is not null && training)
        {
            using var _ = Autograd.NoGrad();
            double m = momentum ?? 0;
            if (momentum is null)
            {
                if (batchesTracked is null)
                    throw new ArgumentException($"{op}: momentum=None (a cumulative average) needs the count of batches tracked.");
                batchesTracked.Add_(1L);
                m = 1.0 / batchesTracked.Item();
            }
            else batchesTracked?.Add_(1L);
            runningMean.Mul_(1 - m).Add_(mean.Reshape(c).Mul(m));
            runningVar!.Mul_(1 - m).Add_(var.Reshape(c).Mul(m * n / (n - 1.0)));
        }
        return y;
    }

    /// <summary>
    /// Group normalization (<c>F.group_norm</c>): the channels of an (N, C, ...) input split into
    /// <paramref name="numGroups"/> groups, each normalized over its channels and spatial positions with the biased
    /// variance, then scaled and shifted per channel.
    /// </summary>
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "group_norm";
        int c = Tensor.BatchNormChannels(op, input, weight, bias, null, null);
        if (numGroups <= 0 || c % numGroups != 0)
            throw new ArgumentException($"{op}: expected the number of channels {c} (input of shape {Shapes.Format(input.Shape)}) to be divisible by num_groups={numGroups}.");
        int batch = input.Size(0);
        int len = batch == 0 ? 0 : input.Numel / (batch * numGroups);
        // Each (image, group) is a row normalized as a layer norm without affine parameters.
        var y = input.Reshape(batch, numGroups, len).LayerNorm([len], null, null, eps).Reshape(input.Shape.ToArray());
        var shape = input.Shape.Select((s, i) => i == 1 ? c : 1).ToArray();
        if (weight is not null) y = y.Mul(weight.Reshape(shape));
        if (bias is not null) y = y.Add(bias.Reshape(shape));
        return y;
    }
}
