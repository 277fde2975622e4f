using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Examples.Tests;

/// <summary>The LSTM example learns its sequence-sum task, eagerly and traced, and both train alike.</summary>
[TestClass]
public class LstmExampleTests
{
    [TestMethod]
    public void LstmClassifier_LearnsTheSumSign_EagerAndTraced()
    {
        var eager = Lecture.Lstm.Example.Run(epochs: 3, traced: false);
        var traced = Lecture.Lstm.Example.Run(epochs: 3, traced: true);
        foreach (var (what, r) in new[] { ("eager", eager), ("traced", traced) })
        {
            // A model that ignores the sequence stays at ln 2 ≈ 0.69 and 50 % accuracy.
            Assert.IsTrue(r.EpochLosses[^1] < 0.3, $"{what}: last epoch loss {r.EpochLosses[^1]:F4}");
            Assert.IsTrue(r.EpochLosses[^1] < r.EpochLosses[0], $"{what}: loss falls ({string.Join(", ", r.EpochLosses)})");
            Assert.IsTrue(r.Accuracy >= 0.85, $"{what}: accuracy {r.Accuracy:P1} on held-out sequences");
        }
        // Same seed, same batches: the traced step trains like the eager one (float rounding apart).
        for (int e = 0; e < eager.EpochLosses.Count; e++)
            Assert.AreEqual(eager.EpochLosses[e], traced.EpochLosses[e], 2e-3, $"epoch {e}");
    }
}
