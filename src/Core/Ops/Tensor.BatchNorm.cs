namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Inference-mode batch normalization (<c>aten::batch_norm</c> with training=False): (x − running_mean) /
    /// √(running_var + eps) · weight + bias per channel (dim 1) of an (N, C, ...) input. One op, so that a compiler can
    /// fold it into the convolution before it; differentiable in the input, weight and bias (the statistics are buffers).
    /// Training-mode batch norm is composed from reductions by <see cref="Nn.Functional.BatchNorm"/>.
    /// </summary>
    internal static Tensor BatchNormInference(Tensor input, Tensor? weight, Tensor? bias, Tensor runningMean, Tensor runningVar, double momentum, double eps)
    {
        const string op = "aten::batch_norm";
        int c = BatchNormChannels(op, input, weight, bias, runningMean, runningVar);
        var shape = input._shape.Select((s, i) => i == 1 ? c : 1).ToArray();   // (1, C, 1, ...): broadcasts over the channels
        Tensor Scale() => runningVar.Add(eps).Rsqrt().Reshape(shape);
        var call = new OpCall(op, false, momentum, eps);
        return Dispatch.Record(call, () =>
        {
            var scale = Scale();
            if (weight is not null) scale = scale.Mul(weight.Reshape(shape));
            var shift = runningMean.Reshape(shape).Mul(scale).Neg();
            if (bias is not null) shift = shift.Add(bias.Reshape(shape));
            return input.Mul(scale).Add(shift);
        }, [input, weight, bias, runningMean, runningVar], _ =>
        {
            var dims = Enumerable.Range(0, input.Dim).Where(d => d != 1).ToArray();
            Func<Tensor, Tensor>?[] rules =
            [
                g => weight is null ? g.Mul(Scale()) : g.Mul(Scale().Mul(weight.Reshape(shape))),
                g => g.Mul(input.Sub(runningMean.Reshape(shape)).Mul(Scale())).Sum(dims),
                g => g.Sum(dims),
                null,
                null,
            ];
            return new(rules, weight is null ? [input] : [input, weight]);
        });
    }

    /// <summary>Checks a batch norm's operands (PyTorch's rules and wording) and returns the channel count.</summary>
    internal static int BatchNormChannels(string op, Tensor input, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim < 2)
            throw new ArgumentException($"{op}: expected an input of at least 2 dims (N, C, ...), got shape {Shapes.Format(input._shape)}.");
        input.RequireFloating(op);
        int c = input._shape[1];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            if (t.Dim != 1 || t._shape[0] != c)
                throw new ArgumentException($"{op}: {name} should contain {c} elements (the input's {c} channels, input of shape {Shapes.Format(input._shape)}), not shape {Shapes.Format(t._shape)}.");
            if (t.DType != input.DType)
                throw new ArgumentException($"{op}: {name} dtype {t.DType.TorchName()} does not match the input's {input.DType.TorchName()}.");
            ElementwiseDispatch.SameDevice(input, t, op);
        }
        return c;
    }
}
