using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

/// <summary>
/// Float32 sums on every path (contiguous runs, column accumulation, strided walks) agree with the float64 sum of the
/// same floats to about an ulp of the result: no rounding accumulates in float, whatever the length or layout.
/// </summary>
[TestClass]
public class SumAccuracyTests
{
    private static double Exact(float[] x) => x.Sum(v => (double)v);

    /// <summary>|got − exact| within <paramref name="ulps"/> ulps of the exact sum (plus its own rounding).</summary>
    private static void AssertUlps(double exact, float got, double ulps, string what)
    {
        double ulp = Math.Max(MathF.BitIncrement(MathF.Abs((float)exact)) - MathF.Abs((float)exact), float.Epsilon);
        Assert.IsTrue(Math.Abs(got - exact) <= ulps * ulp, $"{what}: got {got:R}, exact {exact:R} ({Math.Abs(got - exact) / ulp:F1} ulp)");
    }

    [TestMethod]
    public void ContiguousSumsOfEveryLengthAreWithinAnUlp()
    {
        var rng = new Random(3);
        foreach (int n in new[] { 1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4095, 4096, 4097, 9999, 100_003, 1 << 20 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
            AssertUlps(Exact(x), SpanReduce.Reduce<float, SumReduce<float>>(x), 1, $"uniform n={n}");
            var same = Enumerable.Repeat(0.1f, n).ToArray();
            AssertUlps(Exact(same), SpanReduce.Reduce<float, SumReduce<float>>(same), 1, $"0.1f x {n}");
        }
    }

    [TestMethod]
    public void SmallTermsNextToALargeOneAreNotLost()
    {
        // 1 followed by a million 2^-25: each small term is below half an ulp of 1, so any float accumulator drops them all.
        var x = new float[1 << 20];
        Array.Fill(x, MathF.Pow(2, -25));
        x[0] = 1;
        float s = SpanReduce.Reduce<float, SumReduce<float>>(x);
        AssertUlps(Exact(x), s, 1, "a float accumulator gives exactly 1");
    }

    [TestMethod]
    public void ColumnSumsAccumulateInDouble()
    {
        // Sum over dim 0 of (rows, cols): the kept dim is innermost, so whole rows are accumulated into the outputs.
        const int rows = 1 << 18, cols = 5;
        var src = Enumerable.Repeat(0.1f, rows * cols).ToArray();
        for (int r = 0; r < rows; r++) src[r * cols + 4] = r % 2 == 0 ? 1e4f : 1e-3f;
        var dst = new float[cols];
        Reduction.Run<float, SumReduce<float>>(src, 0, [rows, cols], [cols, 1], [true, false], dst);
        for (int c = 0; c < cols; c++)
        {
            var column = Enumerable.Range(0, rows).Select(r => src[r * cols + c]).ToArray();
            AssertUlps(Exact(column), dst[c], 1, $"column {c}");
        }
    }

    [TestMethod]
    public void StridedSumsAccumulateInDouble()
    {
        // Reduced dims that are neither innermost nor outermost-contiguous: the general strided walk.
        const int a = 512, b = 3, c = 512;
        var src = Enumerable.Repeat(0.1f, a * b * c).ToArray();
        var dst = new float[b];
        Reduction.Run<float, SumReduce<float>>(src, 0, [a, b, c], [b * c, c, 1], [true, false, true], dst);
        for (int j = 0; j < b; j++) AssertUlps(0.1f * (double)(a * c), dst[j], 1, $"slice {j}");
        // Transposed: reduce a (stride 1) and c (stride a·b) for each b.
        Reduction.Run<float, SumReduce<float>>(src, 0, [a, b, c], [1, a, a * b], [true, false, true], dst);
        for (int j = 0; j < b; j++) AssertUlps(0.1f * (double)(a * c), dst[j], 1, $"transposed slice {j}");
    }
}
