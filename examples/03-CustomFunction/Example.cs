// Lecture slide "PyTorch: New Autograd Functions": a custom ReLU with its own forward and backward,
// used in the forward pass of the two-layer network.
using Trace;

namespace Lecture.CustomFunction;

/// <summary>ReLU as a user-defined autograd function.</summary>
public sealed class MyReLU : Function
{
    protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
    {
        var x = inputs[0];
        ctx.SaveForBackward(x);
        return x.Clamp(min: 0);
    }

    protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradY)
    {
        var x = ctx.SavedTensors[0];
        return [gradY.MaskedFill(x < 0, 0)];   // grad_input[x < 0] = 0
    }
}

public static class Example
{
    private static Tensor MyRelu(Tensor x) => new MyReLU().Apply(x);

    /// <summary>Trains for <paramref name="steps"/> steps and returns the loss after each.</summary>
    public static List<double> Run(int steps, TextWriter? log = null, ulong seed = 0)
    {
        var g = new Generator(seed);
        const int N = 64, DIn = 1000, H = 100, DOut = 10;
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);
        var w1 = Tensor.Randn([DIn, H], generator: g).RequiresGrad_();
        var w2 = Tensor.Randn([H, DOut], generator: g).RequiresGrad_();

        const double learningRate = 1e-6;
        var losses = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var yPred = MyRelu(x.Mm(w1)).Mm(w2);
            var loss = (yPred - y).Pow(2).Sum();
            losses.Add(loss.Item());
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss.Item():G6}");

            loss.Backward();

            using (Autograd.NoGrad())
            {
                w1.Sub_(learningRate * w1.Grad!);
                w2.Sub_(learningRate * w2.Grad!);
                w1.Grad!.Zero_();
                w2.Grad!.Zero_();
            }
        }
        return losses;
    }
}
