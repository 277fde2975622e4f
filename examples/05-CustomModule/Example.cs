// Lecture slide "PyTorch: nn — define new Modules": a TwoLayerNet module trained with SGD.
using Trace;
using Trace.Nn;
using Trace.Optim;

namespace Lecture.CustomModule;

/// <summary>The lecture's two-layer network as a Module; its Linear fields are discovered as submodules.</summary>
public sealed class TwoLayerNet : Module
{
    private readonly Linear linear1;
    private readonly Linear linear2;

    public TwoLayerNet(int dIn, int h, int dOut, Generator? generator = null)
    {
        linear1 = new Linear(dIn, h, generator: generator);
        linear2 = new Linear(h, dOut, generator: generator);
    }

    public override Tensor Forward(Tensor x)
    {
        var hRelu = linear1.Forward(x).Clamp(min: 0);
        var yPred = linear2.Forward(hRelu);
        return yPred;
    }
}

public static class Example
{
    /// <summary>Trains for <paramref name="steps"/> steps and returns the loss after each.</summary>
    public static List<double> Run(int steps, TextWriter? log = null, ulong seed = 0, double learningRate = 1e-4)
    {
        var g = new Generator(seed);
        const int N = 64, DIn = 1000, H = 100, DOut = 10;
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);

        var model = new TwoLayerNet(DIn, H, DOut, g);
        log?.WriteLine(model);
        var optimizer = new SGD(model.Parameters(), lr: learningRate);
        var losses = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var yPred = model.Forward(x);
            var loss = Functional.MseLoss(yPred, y);
            losses.Add(loss.Item());
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss.Item():G6}");

            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        return losses;
    }
}
