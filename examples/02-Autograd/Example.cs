// Lecture slide "PyTorch: Autograd": the same network; requires_grad tensors build a graph, Backward()
// computes the gradients, and the update runs under NoGrad.
using Trace;

namespace Lecture.AutogradDemo;

public static class Example
{
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
            var yPred = x.Mm(w1).Clamp(min: 0).Mm(w2);
            var loss = (yPred - y).Pow(2).Sum();
            losses.Add(loss.Item());
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss.Item():G6}");

            loss.Backward();

            using (Autograd.NoGrad())
            {
                // C#'s -= would rebind the variable; Sub_ updates the tensor in place like Python's -=.
                w1.Sub_(learningRate * w1.Grad!);
                w2.Sub_(learningRate * w2.Grad!);
                w1.Grad!.Zero_();
                w2.Grad!.Zero_();
            }
        }
        return losses;
    }
}
