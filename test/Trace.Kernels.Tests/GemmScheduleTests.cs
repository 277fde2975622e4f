using System.Runtime.Intrinsics;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

/// <summary>
/// The threaded schedules (the barrier-free column schedule for short A, the blocked one otherwise) against a float64
/// reference loop, and bitwise against the single-threaded driver, for both kernels, both precisions and every layout.
/// </summary>
[TestClass]
public class GemmScheduleTests
{
    private static T[] Random<T>(Random rng, int length, Func<double, T> of)
    {
        var x = new T[length];
        for (int i = 0; i < x.Length; i++) x[i] = of(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>Runs C = alpha·A·B + beta·C with <paramref name="threads"/> workers on the Vector512 (when accelerated) or the Vector256 kernel.</summary>
    private static void Run(bool wide, int threads, int m, int n, int k, double alpha, double[] a, int ars, int acs,
        double[] b, int brs, int bcs, double beta, double[] c, GemmEpilogue epilogue)
    {
        if (wide) Gemm.Run<double, GemmKernel512<double>>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, n, threads, epilogue);
        else Gemm.Run<double, GemmKernel256<double>>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, n, threads, epilogue);
    }

    private static void Run(bool wide, int threads, int m, int n, int k, float alpha, float[] a, int ars, int acs,
        float[] b, int brs, int bcs, float beta, float[] c, GemmEpilogue epilogue)
    {
        if (wide) Gemm.Run<float, GemmKernel512<float>>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, n, threads, epilogue);
        else Gemm.Run<float, GemmKernel256<float>>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, n, threads, epilogue);
    }

    [TestMethod]
    [DataRow(32, 1024, 256, false, true)]   // W7's h·W_hhᵀ: one KC block
    [DataRow(32, 256, 1024, false, false)]  // W7's dG·W_hh: four KC blocks
    [DataRow(64, 100, 1000, false, true)]   // W1's x·W1ᵀ: a partial last panel
    [DataRow(5, 300, 700, true, false)]     // fewer rows than one micro-tile, A transposed
    [DataRow(336, 70, 300, true, true)]     // exactly one MC block
    [DataRow(200, 33, 900, false, false)]   // one live column in the last panel
    [DataRow(340, 96, 300, false, true)]    // two MC blocks: the blocked schedule
    [DataRow(40, 530, 300, false, false)]   // row-major B over many panels (packed panel by panel), partial last panel
    public void ThreadedSchedulesMatchTheReferenceAndTheSerialDriver(int m, int n, int k, bool ta, bool tb)
    {
        var rng = new Random(m * 7 + n * 3 + k);
        var a = Random(rng, m * k, v => v);
        var b = Random(rng, k * n, v => v);
        var c0 = Random(rng, m * n, v => v);
        int ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
        var (af, bf, cf0) = (Array.ConvertAll(a, v => (float)v), Array.ConvertAll(b, v => (float)v), Array.ConvertAll(c0, v => (float)v));
        foreach (bool wide in Vector512.IsHardwareAccelerated ? new[] { true, false } : [false])
        {
            foreach (var (alpha, beta, epilogue) in new[] { (1.0, 0.0, GemmEpilogue.None), (-0.5, 1.5, GemmEpilogue.Relu) })
            {
                var serial = (float[])cf0.Clone();
                var threaded = (float[])cf0.Clone();
                Run(wide, 1, m, n, k, (float)alpha, af, ars, acs, bf, brs, bcs, (float)beta, serial, epilogue);
                Run(wide, 3, m, n, k, (float)alpha, af, ars, acs, bf, brs, bcs, (float)beta, threaded, epilogue);
                CollectionAssert.AreEqual(serial, threaded, $"float wide={wide} m={m} n={n} k={k}: threads change the result");
                var cd = (double[])c0.Clone();
                Run(wide, 3, m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, cd, epilogue);
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0, mag = 0;
                        for (int p = 0; p < k; p++)
                        {
                            double t = a[i * ars + p * acs] * b[p * brs + j * bcs];
                            sum += t;
                            mag += Math.Abs(t);
                        }

                        double want = alpha * sum + beta * c0[i * n + j];
                        if (epilogue == GemmEpilogue.Relu) want = Math.Max(want, 0);
                        double scale = Math.Abs(alpha) * mag + Math.Abs(beta * c0[i * n + j]);
                        Assert.AreEqual(want, cd[i * n + j], 1e-13 * Math.Sqrt(k) * scale + 1e-300, $"double wide={wide} C[{i},{j}]");
                        Assert.AreEqual(want, threaded[i * n + j], 1e-5 * Math.Sqrt(k) * scale + 1e-30, $"float wide={wide} C[{i},{j}]");
                    }
                }
            }
        }
    }

    [TestMethod]
    public void BackToBackGemmsFromManyThreadsShareTheHelpers()
    {
        // Callers outnumber the dedicated helpers, so some jobs fall back to the thread pool; every product stays exact.
        int m = 32, n = 200, k = 300;
        var rng = new Random(3);
        var a = Random(rng, m * k, v => (float)v);
        var b = Random(rng, k * n, v => (float)v);
        var want = new float[m * n];
        Gemm.Run<float, GemmKernel256<float>>(m, n, k, 1f, a, k, 1, b, 1, k, 0f, want, n, maxThreads: 1);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var c = new float[m * n];
            for (int r = 0; r < 40; r++)
            {
                Array.Fill(c, float.NaN);
                Gemm.Run<float, GemmKernel256<float>>(m, n, k, 1f, a, k, 1, b, 1, k, 0f, c, n, maxThreads: 4);
                CollectionAssert.AreEqual(want, c, $"caller {t}, call {r}");
            }
        });
    }
}
