// Lecture slides "PyTorch: nn" and "PyTorch: optim": the model as a Sequential of layers with an MSE
// loss — first updated by hand under NoGrad, then by the Adam optimizer.
using Trace;
using Trace.Nn;
using Trace.Optim;

namespace Lecture.NnSequential;

public static class Example
{
    private static Sequential MakeModel(Generator g, int dIn, int h, int dOut) =>
        new(new Linear(dIn, h, generator: g), new ReLU(), new Linear(h, dOut, generator: g));

    /// <summary>Runs both variants for <paramref name="steps"/> steps; returns the loss after each step of each.</summary>
    public static (List<double> Manual, List<double> Adam) Run(int steps, TextWriter? log = null, ulong seed = 0)
    {
        var g = new Generator(seed);
        const int N = 64, DIn = 1000, H = 100, DOut = 10;
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);

        log?.WriteLine("nn.Sequential, manual update (lr 1e-2):");
        var model = MakeModel(g, DIn, H, DOut);
        const double learningRate = 1e-2;
        var manual = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var yPred = model.Forward(x);
            var loss = Functional.MseLoss(yPred, y);
            manual.Add(loss.Item());
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss.Item():G6}");

            loss.Backward();

            using (Autograd.NoGrad())
                foreach (var param in model.Parameters())
                    param.Sub_(learningRate * param.Grad!);
            model.ZeroGrad();
        }

        log?.WriteLine("nn.Sequential with optim.Adam (lr 1e-4):");
        model = MakeModel(g, DIn, H, DOut);
        var optimizer = new Adam(model.Parameters(), lr: 1e-4);
        var adam = new List<double>();
        for (int t = 0; t < steps; t++)
        {
            var yPred = model.Forward(x);
            var loss = Functional.MseLoss(yPred, y);
            adam.Add(loss.Item());
            if (t % 50 == 0 || t == steps - 1) log?.WriteLine($"step {t,4}  loss {loss.Item():G6}");

            loss.Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }
        return (manual, adam);
    }
}
