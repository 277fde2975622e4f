using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The kernels' float64 exp, log and sin/cos(2πu) against the BCL's, and erf/erfc/GELU against the CPU kernels' (about 1 ulp),
/// over their ranges and special values.
/// </summary>
[TestClass]
public sealed class GpuMathTests
{
    private static void Close(double expected, double actual, double ulps, string what)
    {
        if (double.IsNaN(expected)) { Assert.IsTrue(double.IsNaN(actual), what); return; }
        if (double.IsInfinity(expected) || expected == 0) { Assert.AreEqual(expected, actual, what); return; }
        Assert.AreEqual(expected, actual, ulps * (Math.BitIncrement(Math.Abs(expected)) - Math.Abs(expected)) + 1e-300, what);
    }

    [TestMethod]
    public void ExpIsWithinAFewUlpsEverywhere()
    {
        var r = new Random(1);
        for (int t = 0; t < 20000; t++)
        {
            double x = (r.NextDouble() * 2 - 1) * (t % 3 == 0 ? 1 : t % 3 == 1 ? 50 : 740);
            Close(Math.Exp(x), GpuMath.Exp(x), 2, $"exp({x:R})");
        }
        foreach (double x in new[] { 0, -0.0, 709.78, 709.79, -708.5, -740, -745.2, 1e-300, double.PositiveInfinity, double.NegativeInfinity, double.NaN })
            Close(Math.Exp(x), GpuMath.Exp(x), 2, $"exp({x:R})");
        Assert.AreEqual(1d, GpuMath.Exp(0));
    }

    [TestMethod]
    public void LogIsWithinAFewUlpsEverywhere()
    {
        var r = new Random(2);
        for (int t = 0; t < 20000; t++)
        {
            double x = Math.Exp((r.NextDouble() * 2 - 1) * 700) * (t % 7 == 0 ? 1 : r.NextDouble() + 0.5);
            Close(Math.Log(x), GpuMath.Log(x), 2, $"log({x:R})");
        }
        for (double x = 0.5; x < 2; x += 1.0 / 1024) Close(Math.Log(x), GpuMath.Log(x), 2, $"log({x:R})");   // near 1 the result is tiny
        foreach (double x in new[] { 1, double.Epsilon, 1e-310, double.MaxValue, 0, -0.0, -1, double.PositiveInfinity, double.NaN })
            Close(Math.Log(x), GpuMath.Log(x), 2, $"log({x:R})");
        Assert.AreEqual(0d, GpuMath.Log(1));
    }

    [TestMethod]
    public void SinCosOfTwoPiUIsAccurateOverTheUnitInterval()
    {
        for (int t = 0; t <= 4096; t++)
        {
            double u = t / 4096.0 + (t < 4096 ? 1e-5 * (t % 5) : 0);
            var sc = GpuMath.SinCos2Pi(u);
            Assert.AreEqual(Math.Sin(2 * Math.PI * u), sc.Sin, 1e-15, $"sin(2π·{u:R})");
            Assert.AreEqual(Math.Cos(2 * Math.PI * u), sc.Cos, 1e-15, $"cos(2π·{u:R})");
        }
    }

    [TestMethod]
    public void ErfErfcAndGeluAreWithinAFewUlpsOfTheCpuKernels()
    {
        var r = new Random(3);
        for (int t = 0; t < 20000; t++)
        {
            double x = (r.NextDouble() * 2 - 1) * (t % 4 == 0 ? 0.9 : t % 4 == 1 ? 1.3 : t % 4 == 2 ? 3 : 7);
            Close(VectorMath.Erf(x), GpuMath.Erf(x), 4, $"erf({x:R})");
            // gelu(x) = 0.5·x·erfc(−x/√2): for x < 0 it is erfc's tail. The rounded argument −x/√2 costs about 2·(x²/2)
            // ulps there, twice that with the rounded 1/√2 (the CPU kernel splits x² to avoid it): about 1e-13 relative at x = -20.
            double g = (r.NextDouble() - 0.8) * 45;   // down to -36: erfc(25.5) ~ 1e-285, clear of subnormals
            Close(VectorMath.Gelu(g), GpuMath.Gelu(g), 8 + 2 * g * g, $"gelu({g:R})");
        }
        foreach (double x in new[] { 0, -0.0, 1e-20, -1e-9, 0.84375, -0.84375, 1.25, 2.857142857142857, 6, -6, 27.9, 28, 40 })
        {
            Close(VectorMath.Erf(x), GpuMath.Erf(x), 4, $"erf({x:R})");
            if (Math.Abs(x) < 0.5) Close(1 - VectorMath.Erf(x), GpuMath.Erfc(x), 4, $"erfc({x:R})");
            else Assert.AreEqual(2, GpuMath.Erfc(x) + GpuMath.Erfc(-x), 4e-16, $"erfc({x:R}) + erfc(−x) = 2");
        }
        Assert.AreEqual(1d, GpuMath.Erf(double.PositiveInfinity));
        Assert.AreEqual(-1d, GpuMath.Erf(double.NegativeInfinity));
        Assert.AreEqual(0d, GpuMath.Erfc(double.PositiveInfinity));
        Assert.AreEqual(2d, GpuMath.Erfc(double.NegativeInfinity));
        Assert.IsTrue(double.IsNaN(GpuMath.Erf(double.NaN)) && double.IsNaN(GpuMath.Erfc(double.NaN)));
    }
}
