using FashionMnistExample;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Data;

namespace Trace.Examples.Tests;

/// <summary>
/// The Fashion-MNIST example on the real data (Debian's dataset-fashion-mnist package): it learns, eager and traced
/// steps compute the same losses, the plot is a PNG, and the command line rejects bad options.
/// </summary>
[TestClass]
public class FashionMnistExampleTests
{
    private static readonly byte[] PngMagic = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly Lazy<(FashionMnist Train, FashionMnist Test)> Data = new(() => (new FashionMnist(train: true), new FashionMnist(train: false)));

    /// <summary>The first <paramref name="train"/> training and <paramref name="test"/> test examples, images standardized as the example does.</summary>
    private static (Tensor TrainX, Tensor TrainY, Tensor TestX, Tensor TestY) Slice(int train, int test)
    {
        var (tr, te) = Data.Value;
        return (Example.Standardize(tr.Images.Narrow(0, 0, train)), tr.Labels.Narrow(0, 0, train),
            Example.Standardize(te.Images.Narrow(0, 0, test)), te.Labels.Narrow(0, 0, test));
    }

    [TestMethod]
    public void MlpLearnsFromFourThousandExamplesAndPlotsAPng()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trace-fmnist-" + Guid.NewGuid().ToString("N"));
        string png = Path.Combine(dir, "mlp.png");
        try
        {
            var options = new TrainOptions { Model = ModelKind.Mlp, Mode = StepMode.Traced, Epochs = 1, Limit = 4000, PlotPath = png };
            var result = Example.Run(options);

            // 63 steps of 64 (the last one 32) on 4,000 examples: chance is 10 %; this run measured about 76 %.
            Assert.HasCount(1, result.Epochs);
            Assert.HasCount(63, result.StepLosses);
            Assert.IsTrue(result.StepLosses.All(double.IsFinite), "every step loss is finite");
            Assert.IsTrue(result.StepLosses[0] > 2.0 && result.StepLosses[0] < 2.6, $"first loss near ln 10 = 2.30 for a fresh classifier, got {result.StepLosses[0]:F4}");
            Assert.IsTrue(result.StepLosses.TakeLast(10).Average() < 0.8, $"loss should fall from {result.StepLosses[0]:F3}; last ten steps average {result.StepLosses.TakeLast(10).Average():F3}");
            Assert.IsGreaterThanOrEqualTo(0.70, result.TestAccuracy, $"test accuracy after one epoch on 4,000 examples: {result.TestAccuracy:F4}");
            Assert.AreEqual(result.Epochs[0].TestAccuracy, result.TestAccuracy);

            var bytes = File.ReadAllBytes(png);
            Assert.IsGreaterThan(1000, bytes.Length, $"{png} is {bytes.Length} bytes");
            CollectionAssert.AreEqual(PngMagic, bytes.Take(PngMagic.Length).ToArray(), "the plot file starts with the PNG signature");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(ModelKind.Mlp)]
    [DataRow(ModelKind.Cnn)]
    public void EagerAndTracedStepsComputeTheSameLosses(ModelKind model)
    {
        // 5 steps of 64 from the same seed: same weights, same batches; only how the step runs differs (no dropout: the
        // tracing run draws a mask of its own, so with dropout the two runs see different masks).
        var (x, y, tx, ty) = Slice(320, 200);
        var eager = Example.Run(new TrainOptions { Model = model, Mode = StepMode.Eager, Epochs = 1, Dropout = 0 }, x, y, tx, ty);
        var traced = Example.Run(new TrainOptions { Model = model, Mode = StepMode.Traced, Epochs = 1, Dropout = 0 }, x, y, tx, ty);
        Assert.HasCount(5, eager.StepLosses);
        Assert.HasCount(5, traced.StepLosses);
        Assert.AreEqual(eager.StepLosses[0], traced.StepLosses[0], 1e-5 * eager.StepLosses[0], "first step: same forward and loss");
        for (int i = 1; i < 5; i++)
            Assert.AreEqual(eager.StepLosses[i], traced.StepLosses[i], 1e-3 * eager.StepLosses[i], $"step {i}: after {i} Adam update(s)");
        Assert.AreEqual(eager.TestAccuracy, traced.TestAccuracy, 0.011, "test accuracy on 200 images differs by at most two images");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void CnnReachesEightyFivePercentInOneTracedEpoch()
    {
        var (trainX, trainY, testX, testY) = Slice(60_000, 10_000);
        var result = Example.Run(new TrainOptions { Model = ModelKind.Cnn, Mode = StepMode.Traced, Epochs = 1 }, trainX, trainY, testX, testY);
        Assert.HasCount(938, result.StepLosses);
        Assert.IsTrue(result.StepLosses.All(double.IsFinite), "every step loss is finite");
        Assert.IsGreaterThanOrEqualTo(0.85, result.TestAccuracy, $"CNN test accuracy after one epoch on all 60,000 examples: {result.TestAccuracy:F4}");
    }

    [TestMethod]
    public void MissingDataNamesTheDebianPackage()
    {
        string missing = Path.Combine(Path.GetTempPath(), "trace-no-fmnist-" + Guid.NewGuid().ToString("N"));
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => Example.Run(new TrainOptions { DataRoot = missing, Epochs = 1 }));
        StringAssert.Contains(e.Message, "dataset-fashion-mnist");
        StringAssert.Contains(e.Message, missing);
    }

    [TestMethod]
    public void CommandLineParsesOptionsAndRejectsBadOnes()
    {
        var o = TrainOptions.Parse(["--model", "CNN", "--mode", "eager", "--epochs", "3", "--limit", "1000", "--lr", "0.002", "--dropout", "0.25", "--schedule", "constant", "--seed", "7", "--plot", "a.png"]);
        Assert.AreEqual(new TrainOptions { Model = ModelKind.Cnn, Mode = StepMode.Eager, Epochs = 3, Limit = 1000, LearningRate = 0.002, Dropout = 0.25, CosineSchedule = false, Seed = 7, PlotPath = "a.png" }, o);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--dropout", "1"])).Message, "--dropout must be in [0, 1)");
        Assert.AreEqual(new TrainOptions(), TrainOptions.Parse([]));
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--model", "rnn"])).Message, "mlp|cnn");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--epochs", "0"])).Message, "--epochs must be a positive integer");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--limit"])).Message, "--limit needs a value");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--lr", "-1"])).Message, "--lr must be a positive number");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => TrainOptions.Parse(["--batch", "64"])).Message, "unknown option '--batch'");
    }
}
