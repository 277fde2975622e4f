using System.Diagnostics;
using Trace;
using Trace.Data;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

namespace FashionMnistExample;

/// <summary>One finished epoch: mean training loss, test accuracy after it, and training speed.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TestAccuracy, double Seconds, double SamplesPerSecond);

/// <summary>What a run returns: per-epoch results, the loss of every step, and the final test accuracy.</summary>
public sealed record TrainResult(TrainOptions Options, IReadOnlyList<EpochResult> Epochs, IReadOnlyList<double> StepLosses)
{
    /// <summary>Accuracy on the 10,000 test images after the last epoch.</summary>
    public double TestAccuracy => Epochs[^1].TestAccuracy;

    /// <summary>Training examples per second over all epochs (evaluation not counted).</summary>
    public double SamplesPerSecond => Epochs.Sum(e => e.SamplesPerSecond * e.Seconds) / Epochs.Sum(e => e.Seconds);
}

/// <summary>Receives progress while <c>Example.Run</c> trains (a progress bar, log lines, or nothing).</summary>
public interface ITrainingReporter
{
    /// <summary>An epoch of <paramref name="batches"/> steps begins.</summary>
    void EpochStarted(int epoch, int epochs, int batches);
    /// <summary>Step <paramref name="batch"/> (from 0) of the epoch is done.</summary>
    void BatchDone(int epoch, int batch, double loss, double samplesPerSecond);
    /// <summary>The epoch is trained and evaluated.</summary>
    void EpochDone(EpochResult result);
}

/// <summary>Trains a Fashion-MNIST classifier with Adam and evaluates it on the test split after every epoch.</summary>
public static class Example
{
    /// <summary>Per-pixel mean of the training images (values in [0, 1]).</summary>
    public const double PixelMean = 0.2860;
    /// <summary>Per-pixel standard deviation of the training images.</summary>
    public const double PixelStd = 0.3530;

    private const int EvalBatch = 1000;

    /// <summary>
    /// Loads the data, trains <see cref="TrainOptions.Model"/> for <see cref="TrainOptions.Epochs"/> epochs
    /// (batches reshuffled each epoch from the seed), evaluates after each and writes the plot when asked.
    /// </summary>
    /// <exception cref="FileNotFoundException">The Fashion-MNIST files are missing (the message says which package installs them).</exception>
    public static TrainResult Run(TrainOptions options, ITrainingReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var train = new FashionMnist(options.DataRoot, train: true);
        var test = new FashionMnist(options.DataRoot, train: false);
        var (trainX, trainY) = (train.Images, train.Labels);
        if (options.Limit is int limit && limit < train.Count)
            (trainX, trainY) = (trainX.Narrow(0, 0, limit), trainY.Narrow(0, 0, limit));
        var result = Run(options, Standardize(trainX), trainY, Standardize(test.Images), test.Labels, reporter);
        if (options.PlotPath is { } path) TrainingPlot.Save(result, path);
        return result;
    }

    /// <summary>Images in [0, 1] shifted and scaled to zero mean and unit variance over the training set.</summary>
    public static Tensor Standardize(Tensor images) => ((images - PixelMean) / PixelStd).Contiguous();

    /// <summary>Trains and evaluates on the given (already standardized) tensors.</summary>
    public static TrainResult Run(TrainOptions options, Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, ITrainingReporter? reporter = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var model = Models.Create(options.Model, new Generator(options.Seed), options.Dropout);
        var optimizer = new Adam(model.Parameters(), lr: options.LearningRate);
        // Cosine annealing of the lr over the run, stepped once per epoch (the compiled step reads the optimizer's lr live).
        var schedule = options.CosineSchedule ? new CosineAnnealingLR(optimizer, options.Epochs) : null;
        var criterion = new CrossEntropyLoss();
        var loader = new DataLoader(new TensorDataset(trainX, trainY), batchSize: options.BatchSize, shuffle: true, seed: options.Seed);
        TracedStep? traced = null;
        var stepLosses = new List<double>();
        var epochs = new List<EpochResult>();
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            reporter?.EpochStarted(epoch, options.Epochs, loader.Count);
            model.Train();
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            long seen = 0;
            int batch = 0;
            foreach (var b in loader)
            {
                var (x, y) = (b[0], b[1]);
                double loss;
                if (options.Mode == StepMode.Traced)
                {
                    traced ??= Jit.TraceStep(model, (logits, target) => criterion.Forward(logits, target), optimizer, x, y);
                    loss = traced.Step(x, y).Item();
                }
                else
                {
                    optimizer.ZeroGrad();
                    var l = criterion.Forward(model.Forward(x), y);
                    l.Backward();
                    optimizer.Step();
                    loss = l.Item();
                }
                int n = x.Size(0);
                stepLosses.Add(loss);
                lossSum += loss * n;
                seen += n;
                reporter?.BatchDone(epoch, batch++, loss, seen / clock.Elapsed.TotalSeconds);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var done = new EpochResult(epoch + 1, lossSum / seen, Evaluate(model, testX, testY), seconds, seen / seconds);
            epochs.Add(done);
            reporter?.EpochDone(done);
            schedule?.Step();
        }
        return new TrainResult(options, epochs, stepLosses);
    }

    /// <summary>Fraction of <paramref name="images"/> whose highest logit is the label, in eval mode without gradients.</summary>
    public static double Evaluate(Module model, Tensor images, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        bool wasTraining = model.IsTraining;
        model.Eval();
        long correct = 0;
        int count = images.Size(0);
        using (Autograd.NoGrad())
        {
            for (int start = 0; start < count; start += EvalBatch)
            {
                int n = Math.Min(EvalBatch, count - start);
                var predicted = model.Forward(images.Narrow(0, start, n)).Argmax(1);
                correct += (long)predicted.Eq(labels.Narrow(0, start, n)).Sum().Item();
            }
        }
        model.Train(wasTraining);
        return count == 0 ? 0 : (double)correct / count;
    }
}
