// Lecture slide "PyTorch: nn — mix custom Modules and Sequential": ParallelBlock modules inside a
// Sequential, trained with Adam.
using Trace;
using Trace.Nn;
using Trace.Optim;

namespace Lecture.ParallelBlocks;

/// <summary>Two linear layers applied to the same input, multiplied elementwise, then ReLU.</summary>
public sealed class ParallelBlock : Module
{
    private readonly Linear linear1;
    private readonly Linear linear2;

    public ParallelBlock(int dIn, int dOut, Generator? generator = null)
    {
        linear1 = new Linear(dIn, dOut, generator: generator);
        linear2 = new Linear(dIn, dOut, generator: generator);
    }

    public override Tensor Forward(Tensor x)
    {
        var h1 = linear1.Forward(x);
        var h2 = linear2.Forward(x);
        return (h1 * h2).Clamp(min: 0);
    }
}

public static class Example
{
    /// <summary>The lecture's model: Sequential(ParallelBlock(D_in, H), ParallelBlock(H, H), Linear(H, D_out)).</summary>
    public static Sequential MakeModel(int dIn, int h, int dOut, Generator? g = null) =>
        new(new ParallelBlock(dIn, h, g), new ParallelBlock(h, h, g), new Linear(h, dOut, generator: g));

    /// <summary>Trains for <paramref name="steps"/> steps and returns the loss after each.</summary>
    public static List<double> Run(int steps, TextWriter? log = null, ulong seed = 0)
    {
        var g = new Generator(seed);
        const int N = 64, DIn = 1000, H = 100, DOut = 10;
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);

        var model = MakeModel(DIn, H, DOut, g);
        log?.WriteLine(model);
        var optimizer = new Adam(model.Parameters(), lr: 1e-4);
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
