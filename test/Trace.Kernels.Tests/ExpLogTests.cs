using Microsoft.VisualStudio.TestTools.UnitTesting;
using System.Runtime.Intrinsics;

namespace Trace.Kernels.Tests;

/// <summary>Exp and log: correctly rounded float results, and the same bits in vector bodies and scalar tails.</summary>
[TestClass]
public class ExpLogTests
{
    [TestMethod]
    public void FloatExpAndLogAreRoundedFromDouble()
    {
        var rng = new Random(3);
        var x = Enumerable.Range(0, 100_003).Select(_ => (float)(rng.NextDouble() * 180 - 90)).Concat([0f, 1f, -0f, 88.7f, -103f, float.Epsilon]).ToArray();
        var y = new float[x.Length];
        SpanKernels.Unary<float, ExpOp>(x, y);
        for (int i = 0; i < x.Length; i++)
            Assert.AreEqual((float)Math.Exp(x[i]), y[i], $"exp({x[i]:R})");
        Assert.AreEqual(1f, y[^6], "exp(0) is exactly 1");
        var pos = x.Select(MathF.Abs).Where(v => v > 0).ToArray();
        var l = new float[pos.Length];
        SpanKernels.Unary<float, LogOp>(pos, l);
        for (int i = 0; i < pos.Length; i++)
            Assert.AreEqual((float)Math.Log(pos[i]), l[i], $"log({pos[i]:R})");
    }

    [TestMethod]
    public void AnElementsResultDoesNotDependOnItsPosition()
    {
        var rng = new Random(4);
        var x = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 40 - 20).ToArray();
        var y = new double[x.Length];
        SpanKernels.Unary<double, ExpOp>(x, y);           // mostly vector lanes
        for (int i = 0; i < x.Length; i++)
            Assert.AreEqual(ExpOp.Apply(x[i]), y[i], $"exp({x[i]:R}) vector lane vs scalar");
        SpanKernels.Unary<double, LogOp>(x.Select(Math.Abs).ToArray(), y);
        for (int i = 0; i < x.Length; i++)
            Assert.AreEqual(LogOp.Apply(Math.Abs(x[i])), y[i], $"log({Math.Abs(x[i]):R}) vector lane vs scalar");
    }

    [TestMethod]
    public void SpecialValues()
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -200f, 200f];
        foreach (var n in new[] { 5, 21 })
        {
            var input = Enumerable.Range(0, n).Select(i => x[i % 5]).ToArray();
            var y = new float[n];
            SpanKernels.Unary<float, ExpOp>(input, y);
            for (int i = 0; i < n; i++)
                Assert.AreEqual((i % 5) switch { 0 => float.NaN, 1 => float.PositiveInfinity, 2 => 0f, 3 => 0f, _ => float.PositiveInfinity }, y[i], $"exp({input[i]}) at {i} of {n}");
        }
    }

    [TestMethod]
    public void SoftmaxExpRoundsTheFloat64ExpOnce()
    {
        // The float64 exp of softmax arguments (x − max <= 0), rounded to float, equals the rounded Math.Exp: exp(0) is
        // exactly 1 and lanes, tails and the scalar form agree. (.NET's float Vector256.Exp misses ~half of these by an ulp.)
        var rng = new Random(6);
        var x = Enumerable.Range(0, 200_003).Select(_ => -(float)(rng.NextDouble() * 110)).Concat([0f, -0f, -1e-30f, -103.9f, float.NegativeInfinity, float.NaN]).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            double e = VectorMath.ExpNonPositive((double)x[i]);
            Assert.AreEqual((float)Math.Exp(x[i]), (float)e, $"exp({x[i]:R})");
            Assert.AreEqual(e, VectorMath.ExpNonPositive(Vector256.Create((double)x[i])).GetElement(i % 4), $"lane of exp({x[i]:R})");
        }
        Assert.AreEqual(1.0, VectorMath.ExpNonPositive(0.0));
    }
}
