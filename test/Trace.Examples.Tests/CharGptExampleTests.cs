using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Examples.Tests;

/// <summary>The character-level GPT example learns its corpus: traced training beats any context-free model, and matches eager steps.</summary>
[TestClass]
public class CharGptExampleTests
{
    [TestMethod]
    [TestCategory("Slow")]
    public void TheTracedGptLearnsTheCorpusAndMatchesEagerSteps()
    {
        const int Steps = 150;
        var traced = Lecture.CharGpt.Example.Run(Steps, learningRate: 6e-3, sampleLength: 80);
        Assert.IsTrue(traced.TrainLosses.All(double.IsFinite), "finite losses");
        // Untrained, the logits are near uniform: the loss is about ln(vocabulary).
        Assert.AreEqual(Math.Log(traced.VocabSize), traced.InitialValLoss, 0.15, "initial validation loss");
        // A model that ignores the context (or a broken causal mask that leaks nothing useful) is at best the unigram
        // cross-entropy; the trained model must be well below it and far below ln(vocabulary).
        Assert.IsTrue(traced.FinalValLoss < 3.0 && traced.FinalValLoss < traced.UnigramValLoss - 0.5,
            $"validation loss {traced.FinalValLoss:F3} after {Steps} steps (unigram {traced.UnigramValLoss:F3}, ln V {Math.Log(traced.VocabSize):F3})");
        Assert.AreEqual(81, traced.Sample.Length, "the first character and 80 sampled");

        // The same seed draws the same batches: eager steps give the traced step's losses.
        var eager = Lecture.CharGpt.Example.Run(8, traced: false, learningRate: 6e-3, sampleLength: 1);
        for (int i = 0; i < eager.TrainLosses.Count; i++)
            Assert.AreEqual(eager.TrainLosses[i], traced.TrainLosses[i], 1e-4, $"step {i}: eager vs traced loss");
    }
}
