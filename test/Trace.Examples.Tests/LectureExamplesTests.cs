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
