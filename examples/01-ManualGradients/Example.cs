// Lecture slide "PyTorch: Tensors": a two-layer ReLU network on random data with L2 loss, with the
// forward and backward passes written by hand (no autograd), updated by gradient descent.
using Trace;

namespace Lecture.ManualGradients;

public static class Example
{
    /// <summary>Trains for <paramref name="steps"/> steps and returns the loss after each.</summary>
    public static List<double> Run(int steps, TextWriter? log = null, ulong seed = 0)
    {
        var g = new Generator(seed);
        const int N = 64, DIn = 1000, H = 100, DOut = 10;
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);
        var w1 = Tensor.Randn([DIn, H], generator: g);
        var w2 = Tensor.Randn([H, DOut], generator: g);

        const double learningRate = 1e-6;
        var losses = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var h = x.Mm(w1);
            var hRelu = h.Clamp(min: 0);
            var yPred = hRelu.Mm(w2);
            var loss = (yPred - y).Pow(2).Sum().Item();
            losses.Add(loss);
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss:G6}");

            var gradYPred = 2.0 * (yPred - y);
            var gradW2 = hRelu.T.Mm(gradYPred);
            var gradHRelu = gradYPred.Mm(w2.T);
            var gradH = gradHRelu.MaskedFill(h < 0, 0);   // grad_h[h < 0] = 0
            var gradW1 = x.T.Mm(gradH);

            w1.Sub_(learningRate * gradW1);
            w2.Sub_(learningRate * gradW2);
        }
        return losses;
    }
}
