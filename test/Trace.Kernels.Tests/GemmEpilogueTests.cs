using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

/// <summary>The GEMM epilogue equals applying it afterwards, on every driver path (direct, serial, parallel).</summary>
[TestClass]
public class GemmEpilogueTests
{
    [TestMethod]
    [DataRow(1, 70, 9, 0f)]          // direct path (a vector-matrix product)
    [DataRow(3, 5, 4, 0f)]           // direct path (tiny)
    [DataRow(37, 45, 33, 1f)]        // serial, partial tiles, accumulating into C
    [DataRow(64, 100, 1000, 0f)]     // W1's first layer: parallel, several KC blocks
    [DataRow(300, 520, 260, 1f)]     // several MC blocks and KC blocks, beta = 1
    [DataRow(5, 7, 0, 1f)]           // k = 0: C = beta·C, then the epilogue
    public void ReluEpilogueEqualsReluAfterwards(int m, int n, int k, float beta)
    {
        var rng = new Random(m * 31 + n);
        float[] R(int len) => Enumerable.Range(0, len).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var (a, b, c0) = (R(m * k), R(k * n), R(m * n));
        var expected = (float[])c0.Clone();
        Gemm.Sgemm(m, n, k, 1f, a, k, 1, b, 1, k, beta, expected, n);    // B read transposed, as linear does
        for (int i = 0; i < expected.Length; i++) expected[i] = ReluOp<float>.Apply(expected[i]);
        var actual = (float[])c0.Clone();
        Gemm.Sgemm(m, n, k, 1f, a, k, 1, b, 1, k, beta, actual, n, GemmEpilogue.Relu);
        CollectionAssert.AreEqual(expected, actual, $"m={m} n={n} k={k}");
        Assert.IsTrue(actual.Any(v => v == 0) || m * n < 4, "some outputs were clamped");

        var ad = a.Select(v => (double)v).ToArray();
        var bd = b.Select(v => (double)v).ToArray();
        var ed = c0.Select(v => (double)v).ToArray();
        var dd = (double[])ed.Clone();
        Gemm.Dgemm(m, n, k, 1.0, ad, k, 1, bd, n, 1, beta, ed, n);
        for (int i = 0; i < ed.Length; i++) ed[i] = Math.Max(ed[i], 0);
        Gemm.Dgemm(m, n, k, 1.0, ad, k, 1, bd, n, 1, beta, dd, n, GemmEpilogue.Relu);
        CollectionAssert.AreEqual(ed, dd, "float64");
    }
}
