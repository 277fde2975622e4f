// An LSTM sequence classifier: does a noisy sequence sum to a positive number? The answer depends on every step,
// so the LSTM has to carry a running total in its state; a model that ignores the input stays at 50 % accuracy.
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

namespace Lecture.Lstm;

/// <summary>LSTM over (N, L, 1) sequences, then a linear layer on the last step's output: two classes.</summary>
public sealed class SequenceClassifier : Module
{
    private readonly LSTM lstm;
    private readonly Linear head;

    public SequenceClassifier(int hidden, Generator g)
    {
        lstm = new LSTM(1, hidden, batchFirst: true, generator: g);
        head = new Linear(hidden, 2, generator: g);
    }

    public override Tensor Forward(Tensor x) => head.Forward(lstm.Forward(x).Select(1, -1));
}

/// <summary>The results of <see cref="Example.Run"/>.</summary>
public sealed record Result(List<double> EpochLosses, double Accuracy);

public static class Example
{
    public const int Length = 12;

    /// <summary>A batch: x of (n, Length, 1) with N(0, 1) steps, y = 1 where the sequence sums to more than 0.</summary>
    public static (Tensor X, Tensor Y) Batch(int n, Generator g)
    {
        var x = Tensor.Randn([n, Length, 1], generator: g);
        var y = x.Sum(1).Reshape(-1).Gt(0.0).To(DType.Int64);
        return (x, y);
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs of <paramref name="batches"/> batches of 64 (cross-entropy, Adam lr 1e-2),
    /// eagerly or with the whole step traced; returns each epoch's mean loss and the accuracy on 1,000 fresh sequences.
    /// </summary>
    public static Result Run(int epochs, bool traced, TextWriter? log = null, int batches = 25, ulong seed = 0)
    {
        var g = new Generator(seed);
        var model = new SequenceClassifier(24, g);
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var data = new Generator(seed + 1);
        Func<Tensor, Tensor, Tensor> step;
        if (traced)
        {
            var (x0, y0) = Batch(64, new Generator(seed + 3));   // only shapes matter: the data stream stays the eager run's
            var tracedStep = Jit.TraceStep(model, (p, t) => Functional.CrossEntropy(p, t), optimizer, x0, y0);
            step = (x, y) => tracedStep.Step(x, y);
        }
        else
        {
            step = (x, y) =>
            {
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Forward(x), y);
                loss.Backward();
                optimizer.Step();
                return loss;
            };
        }

        var losses = new List<double>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            double sum = 0;
            for (int b = 0; b < batches; b++)
            {
                var (x, y) = Batch(64, data);
                sum += step(x, y).Item();
            }
            losses.Add(sum / batches);
            log?.WriteLine($"epoch {epoch,2}  loss {losses[^1]:F4}");
        }

        model.Eval();
        var (tx, ty) = Batch(1000, new Generator(seed + 2));
        double accuracy;
        using (Autograd.NoGrad())
            accuracy = model.Forward(tx).Argmax(1).Eq(ty).To(DType.Float64).Mean().Item();
        log?.WriteLine($"accuracy on 1000 new sequences: {accuracy:P1}");
        return new Result(losses, accuracy);
    }
}
