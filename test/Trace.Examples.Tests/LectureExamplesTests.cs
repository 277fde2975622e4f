using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Examples.Tests;

/// <summary>Runs each lecture example for fewer steps and checks that its loss falls as stated.</summary>
[TestClass]
public class LectureExamplesTests
{
    [TestMethod]
    public void ManualAutogradAndCustomFunctionTrainIdentically()
    {
        const int steps = 100;
        var manual = Lecture.ManualGradients.Example.Run(steps);
        var autograd = Lecture.AutogradDemo.Example.Run(steps);
        var custom = Lecture.CustomFunction.Example.Run(steps);
        Assert.IsTrue(manual[^1] < manual[0] * 1e-4, $"loss should fall 10,000x in {steps} steps: {manual[0]:G4} -> {manual[^1]:G4}");
        for (int t = 0; t < steps; t++)
        {
            // Hand-written gradients, autograd and the custom ReLU compute the same numbers (up to float rounding).
            Assert.AreEqual(manual[t], autograd[t], 1e-4 * manual[t], $"step {t}: manual vs autograd");
            Assert.AreEqual(manual[t], custom[t], 1e-4 * manual[t], $"step {t}: manual vs custom function");
        }
    }
}

[TestClass]
public class LectureModuleExamplesTests
{
    private static void AssertFalls(IReadOnlyList<double> losses, double factor, string what)
    {
        Assert.IsTrue(losses.All(double.IsFinite), $"{what}: non-finite loss");
        Assert.IsTrue(losses[^1] < losses[0] * factor, $"{what}: loss should fall below {factor}x of its start in {losses.Count} steps: {losses[0]:G4} -> {losses[^1]:G4}");
    }

    [TestMethod]
    public void SequentialWithManualUpdateAndWithAdam()
    {
        var (manual, adam) = Lecture.NnSequential.Example.Run(100);
        AssertFalls(manual, 0.5, "Sequential + manual update (lr 1e-2)");
        AssertFalls(adam, 0.1, "Sequential + Adam (lr 1e-4)");
    }

    [TestMethod]
    public void TwoLayerNetModuleWithSgd()
    {
        // The slide's lr (1e-4) moves an MSE loss on random data slowly; a larger lr shows the same code converging.
        AssertFalls(Lecture.CustomModule.Example.Run(100), 0.995, "TwoLayerNet + SGD (lr 1e-4)");
        AssertFalls(Lecture.CustomModule.Example.Run(100, learningRate: 0.1), 0.5, "TwoLayerNet + SGD (lr 0.1)");
    }

    [TestMethod]
    public void ParallelBlockModelWithAdam() => AssertFalls(Lecture.ParallelBlocks.Example.Run(100), 0.05, "ParallelBlock model + Adam");
}
