using System.Numerics;
using System.Runtime.InteropServices;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

[TestClass]
public class GemmTests
{
    /// <summary>Which entry point runs the product: the public API (Vector512 kernel here) or the Vector256 fallback.</summary>
    public enum Path { Public, Fallback256 }

    private static readonly int[] Sizes = [1, 2, 5, 7, 13, 17, 31, 33, 63, 65, 100, 129, 257];

    /// <summary>Layout of one operand: transposed storage, padded leading dimension, or every-other-element slice.</summary>
    private readonly record struct Layout(bool Trans, int Pad = 0, bool Every2 = false);

    private sealed class Operand<T>(T[] data, int rs, int cs) where T : INumber<T>
    {
        public T[] Data { get; } = data;
        public int Rs { get; } = rs;
        public int Cs { get; } = cs;
        public double At(int r, int c) => double.CreateTruncating(Data[r * Rs + c * Cs]);
    }

    private static Operand<T> MakeOperand<T>(Random rng, int rows, int cols, Layout layout) where T : INumber<T>
    {
        int step = layout.Every2 ? 2 : 1;
        int inner = (layout.Trans ? rows : cols) * step + layout.Pad; // leading dimension
        int outer = layout.Trans ? cols : rows;
        var data = new T[Math.Max(1, inner * outer)];
        for (int i = 0; i < data.Length; i++) data[i] = T.CreateTruncating(rng.NextDouble() * 2 - 1);
        return layout.Trans ? new Operand<T>(data, step, inner) : new Operand<T>(data, inner, step);
    }

    private static void Invoke<T>(Path path, int m, int n, int k, T alpha, Operand<T> a, Operand<T> b, T beta, T[] c, int ldc)
        where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> fa = Cast<T, float>(a.Data), fb = Cast<T, float>(b.Data);
            Span<float> fc = MemoryMarshal.Cast<T, float>(c.AsSpan());
            float al = float.CreateTruncating(alpha), be = float.CreateTruncating(beta);
            if (path == Path.Public) Gemm.Sgemm(m, n, k, al, fa, a.Rs, a.Cs, fb, b.Rs, b.Cs, be, fc, ldc);
            else Gemm.Run<float, GemmKernel256<float>>(m, n, k, al, fa, a.Rs, a.Cs, fb, b.Rs, b.Cs, be, fc, ldc);
        }
        else
        {
            ReadOnlySpan<double> da = Cast<T, double>(a.Data), db = Cast<T, double>(b.Data);
            Span<double> dc = MemoryMarshal.Cast<T, double>(c.AsSpan());
            double al = double.CreateTruncating(alpha), be = double.CreateTruncating(beta);
            if (path == Path.Public) Gemm.Dgemm(m, n, k, al, da, a.Rs, a.Cs, db, b.Rs, b.Cs, be, dc, ldc);
            else Gemm.Run<double, GemmKernel256<double>>(m, n, k, al, da, a.Rs, a.Cs, db, b.Rs, b.Cs, be, dc, ldc);
        }
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(TFrom[] x) where TFrom : struct where TTo : struct
        => MemoryMarshal.Cast<TFrom, TTo>(x.AsSpan());

    private static double Tolerance<T>() => typeof(T) == typeof(float) ? 1e-5 : 1e-13;

    /// <summary>Runs one GEMM and compares every element of C (and the untouched padding) with a float64 reference.</summary>
    private static void Check<T>(Path path, int m, int n, int k, Layout la, Layout lb, double alpha = 1, double beta = 0,
        int padC = 0, bool nanC = false, int seed = 1) where T : unmanaged, INumber<T>
    {
        var rng = new Random(seed * 7919 + m * 31 + n * 17 + k);
        var a = MakeOperand<T>(rng, m, k, la);
        var b = MakeOperand<T>(rng, k, n, lb);
        int ldc = n + padC;
        var c = new T[Math.Max(1, m * ldc)];
        for (int i = 0; i < c.Length; i++) c[i] = nanC ? T.CreateTruncating(double.NaN) : T.CreateTruncating(rng.NextDouble() * 2 - 1);
        var c0 = (T[])c.Clone();

        Invoke(path, m, n, k, T.CreateTruncating(alpha), a, b, T.CreateTruncating(beta), c, ldc);

        double tol = Tolerance<T>() * Math.Sqrt(Math.Max(k, 1));
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < ldc; j++)
            {
                double got = double.CreateTruncating(c[i * ldc + j]);
                if (j >= n)
                {
                    Assert.AreEqual(double.CreateTruncating(c0[i * ldc + j]), got, $"padding of C touched at ({i},{j})");
                    continue;
                }

                double sum = 0, mag = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = a.At(i, p) * b.At(p, j);
                    sum += t;
                    mag += Math.Abs(t);
                }

                double old = beta == 0 ? 0 : double.CreateTruncating(c0[i * ldc + j]);
                double want = alpha * sum + beta * old;
                double scale = Math.Abs(alpha) * mag + Math.Abs(beta * old) + 1e-30;
                if (!(Math.Abs(got - want) <= tol * scale))
                {
                    Assert.Fail($"{typeof(T).Name} {path} m={m} n={n} k={k} A={la} B={lb} alpha={alpha} beta={beta}: "
                        + $"C[{i},{j}] = {got}, expected {want} (tolerance {tol * scale:G3})");
                }
            }
        }
    }

    private static void RunShapes<T>(Path path) where T : unmanaged, INumber<T>
    {
        var plain = new Layout(false);
        Check<T>(path, 0, 5, 3, plain, plain);
        Check<T>(path, 5, 0, 3, plain, plain);
        Check<T>(path, 1, 1, 1, plain, plain);
        for (int i = 0; i < Sizes.Length; i++)
        {
            int m = Sizes[i], n = Sizes[(i + 4) % Sizes.Length], k = Sizes[(i + 9) % Sizes.Length];
            Check<T>(path, m, n, k, plain, plain, seed: i);
            Check<T>(path, n, k, m, plain, plain, seed: i);
            Check<T>(path, k, m, n, plain, plain, seed: i);
        }

        // Vector-matrix and matrix-vector shapes (the unpacked path), including more columns than one pass.
        Check<T>(path, 1, 1100, 37, plain, plain);
        Check<T>(path, 2, 700, 19, plain, new Layout(true));
        Check<T>(path, 1, 300, 257, plain, new Layout(true), beta: 0.5);                   // x·Wᵀ at batch 1: dot products
        Check<T>(path, 2, 90, 100, new Layout(false, Pad: 3), new Layout(true, Pad: 2), alpha: -2, padC: 1);
        Check<T>(path, 40, 1, 300, plain, plain);
        Check<T>(path, 40, 1, 77, new Layout(true), new Layout(true));

        // Every live-row count (1..MR) and live-column count around the vector widths.
        for (int m = 1; m <= 15; m++) Check<T>(path, m, 2 * m + 1, 33, plain, plain);
        foreach (int n in new[] { 3, 8, 15, 16, 17, 24, 31, 32, 33, 47, 48, 49 }) Check<T>(path, 29, n, 40, plain, plain);
    }

    [TestMethod]
    [DataRow(Path.Public, false)]
    [DataRow(Path.Fallback256, false)]
    [DataRow(Path.Public, true)]
    [DataRow(Path.Fallback256, true)]
    public void MatchesReferenceOnOddShapes(Path path, bool useDouble)
    {
        if (useDouble) RunShapes<double>(path);
        else RunShapes<float>(path);
    }

    private static void RunLayouts<T>(Path path) where T : unmanaged, INumber<T>
    {
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                Check<T>(path, 37, 45, 70, new Layout(ta), new Layout(tb));
                Check<T>(path, 64, 100, 300, new Layout(ta), new Layout(tb));
                Check<T>(path, 33, 65, 17, new Layout(ta, Pad: 3), new Layout(tb, Pad: 5), padC: 4);
                Check<T>(path, 19, 40, 23, new Layout(ta, Every2: true), new Layout(tb, Pad: 1, Every2: true), padC: 1);
            }
        }
    }

    [TestMethod]
    [DataRow(Path.Public, false)]
    [DataRow(Path.Fallback256, false)]
    [DataRow(Path.Public, true)]
    [DataRow(Path.Fallback256, true)]
    public void HandlesTransposedAndStridedViews(Path path, bool useDouble)
    {
        if (useDouble) RunLayouts<double>(path);
        else RunLayouts<float>(path);
    }

    [TestMethod]
    public void LargeProblemsUseEveryBlockingAndThreadingPath()
    {
        // Multi-threaded (one and several MC blocks), several KC blocks, both transposes; then several NC blocks (n > NC).
        Check<float>(Path.Public, 300, 520, 700, new Layout(false), new Layout(false));
        Check<float>(Path.Public, 700, 130, 600, new Layout(true), new Layout(true), alpha: 0.5, beta: 2);
        Check<float>(Path.Fallback256, 300, 260, 700, new Layout(false), new Layout(true));
        Check<double>(Path.Public, 250, 300, 520, new Layout(false), new Layout(true));
        Check<double>(Path.Fallback256, 200, 150, 300, new Layout(true), new Layout(false), beta: 1);
        Check<float>(Path.Public, 3, 4400, 9, new Layout(false), new Layout(false), beta: 1);
        Check<float>(Path.Public, 340, 4200, 20, new Layout(false), new Layout(true), beta: 1); // threaded, 2 MC × 2 NC blocks
        Check<double>(Path.Public, 3, 4400, 9, new Layout(false), new Layout(true), beta: 1);
    }

    [TestMethod]
    public void AlphaBetaAndZeroDepthFollowBlasSemantics()
    {
        var plain = new Layout(false);
        foreach (Path path in new[] { Path.Public, Path.Fallback256 })
        {
            foreach (int k in new[] { 3, 40, 300 })
            {
                Check<float>(path, 21, 37, k, plain, plain, alpha: 1, beta: 0, nanC: true);
                Check<float>(path, 21, 37, k, plain, plain, alpha: -0.75, beta: 1);
                Check<float>(path, 21, 37, k, plain, plain, alpha: 2, beta: -0.5, padC: 3);
                Check<double>(path, 21, 37, k, plain, plain, alpha: 1, beta: 0, nanC: true);
                Check<double>(path, 21, 37, k, plain, plain, alpha: 0.25, beta: 1.5);
            }

            // k = 0 and alpha = 0: C = beta*C, and beta = 0 clears even NaN.
            Check<float>(path, 9, 11, 0, plain, plain, alpha: 1, beta: 0.5);
            Check<float>(path, 9, 11, 0, plain, plain, alpha: 1, beta: 0, nanC: true);
            Check<double>(path, 9, 11, 0, plain, plain, alpha: 1, beta: 1);
            Check<float>(path, 30, 40, 50, plain, plain, alpha: 0, beta: 3);
            Check<double>(path, 30, 40, 50, plain, plain, alpha: 0, beta: 0, nanC: true);
        }
    }

    private static void CheckBatched(int batch, int m, int n, int k, bool shareA, bool shareB, bool ta, bool tb, bool useDouble)
    {
        var rng = new Random(batch * 1000 + m + n + k);
        int aSize = m * k, bSize = k * n, cSize = m * n;
        int aStride = shareA ? 0 : aSize + 3, bStride = shareB ? 0 : bSize + 1, cStride = cSize + 2;
        var a = new double[(batch - 1) * aStride + aSize];
        var b = new double[(batch - 1) * bStride + bSize];
        var c = new double[(batch - 1) * cStride + cSize];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < c.Length; i++) c[i] = (float)(rng.NextDouble() * 2 - 1);
        int ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
        const double alpha = 1.5, beta = 0.5;

        double[] got;
        if (useDouble)
        {
            got = (double[])c.Clone();
            Gemm.DgemmBatched(batch, m, n, k, alpha, a, aStride, ars, acs, b, bStride, brs, bcs, beta, got, cStride, n);
        }
        else
        {
            var fc = Array.ConvertAll(c, x => (float)x);
            Gemm.SgemmBatched(batch, m, n, k, (float)alpha, Array.ConvertAll(a, x => (float)x), aStride, ars, acs,
                Array.ConvertAll(b, x => (float)x), bStride, brs, bcs, (float)beta, fc, cStride, n);
            got = Array.ConvertAll(fc, x => (double)x);
        }

        double tol = (useDouble ? 1e-13 : 1e-5) * Math.Sqrt(k);
        for (int q = 0; q < batch; q++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = 0, mag = 0;
                    for (int p = 0; p < k; p++)
                    {
                        double t = a[q * aStride + i * ars + p * acs] * b[q * bStride + p * brs + j * bcs];
                        sum += t;
                        mag += Math.Abs(t);
                    }

                    int ci = q * cStride + i * n + j;
                    double want = alpha * sum + beta * c[ci];
                    Assert.IsTrue(Math.Abs(got[ci] - want) <= tol * (alpha * mag + Math.Abs(beta * c[ci])) + 1e-30,
                        $"batch {q} C[{i},{j}] = {got[ci]}, expected {want} (batch={batch} m={m} n={n} k={k} shareA={shareA} shareB={shareB})");
                }
            }

            for (int g = cSize; q < batch - 1 && g < cStride; g++)
            {
                Assert.AreEqual(c[q * cStride + g], got[q * cStride + g], "gap between batched C matrices touched");
            }
        }
    }

    [TestMethod]
    public void BatchedMatchesPerEntryReferenceIncludingBroadcast()
    {
        CheckBatched(32, 20, 12, 18, false, false, false, false, false); // small: parallel over the batch
        CheckBatched(6, 17, 33, 65, true, false, false, true, false);    // broadcast A
        CheckBatched(5, 31, 9, 40, false, true, true, false, false);     // broadcast B
        CheckBatched(4, 13, 7, 5, true, true, true, true, true);         // both broadcast, double
        CheckBatched(3, 160, 150, 90, false, false, false, true, false); // large entries: threaded inside each
        CheckBatched(8, 40, 50, 60, false, true, false, false, true);
        CheckBatched(1, 7, 9, 11, false, false, false, false, false);
        CheckBatched(2, 3, 4, 0, false, false, false, false, false);     // k = 0: C = beta*C
    }

    [TestMethod]
    public void ConcurrentMultiThreadedCallsStayCorrect()
    {
        // Several threaded GEMMs at once (nested in a parallel loop) must neither deadlock nor mix up work.
        Parallel.For(0, 6, i =>
        {
            bool ta = i % 2 == 1, tb = i % 3 == 0;
            Check<float>(Path.Public, 150 + 7 * i, 140 + 13 * i, 90 + 11 * i, new Layout(ta), new Layout(tb), beta: i % 2, seed: i);
        });
        Check<double>(Path.Public, 140, 170, 150, new Layout(false), new Layout(false), alpha: -1, beta: 0.5);
    }

    [TestMethod]
    public void ResultsDoNotDependOnTheThreadCount()
    {
        // Every C tile is computed by the same micro-kernel calls in the same order whatever the split.
        var rng = new Random(5);
        int m = 380, n = 290, k = 300;
        var a = new float[m * k];
        var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
        var c1 = new float[m * n];
        var c4 = new float[m * n];
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
        {
            Gemm.Run<float, GemmKernel512<float>>(m, n, k, 1, a, k, 1, b, 1, k, 0, c1, n, maxThreads: 1);
            Gemm.Run<float, GemmKernel512<float>>(m, n, k, 1, a, k, 1, b, 1, k, 0, c4, n, maxThreads: 4);
        }
        else
        {
            Gemm.Run<float, GemmKernel256<float>>(m, n, k, 1, a, k, 1, b, 1, k, 0, c1, n, maxThreads: 1);
            Gemm.Run<float, GemmKernel256<float>>(m, n, k, 1, a, k, 1, b, 1, k, 0, c4, n, maxThreads: 4);
        }

        CollectionAssert.AreEqual(c1, c4);
    }

    [TestMethod]
    public void ZeroStridesBroadcastRowsAndColumns()
    {
        // A with row stride 0 (every row equal) and B with column stride 0 (every column equal).
        float[] a = [1, 2, 3], b = [4, 5, 6];
        var c = new float[4 * 5];
        Gemm.Sgemm(4, 5, 3, 1, a, 0, 1, b, 1, 0, 0, c, 5);
        Assert.IsTrue(c.All(x => x == 32f), string.Join(",", c));
        var big = new float[40 * 50];
        Gemm.Sgemm(40, 50, 3, 1, a, 0, 1, b, 1, 0, 0, big, 50);
        Assert.IsTrue(big.All(x => x == 32f));
    }

    [TestMethod]
    public void WarmSingleThreadedCallsDoNotAllocate()
    {
        float[] a = new float[64 * 80], b = new float[80 * 48], c = new float[64 * 48];
        double[] da = new double[64 * 80], db = new double[80 * 48], dc = new double[64 * 48];
        Gemm.Sgemm(64, 48, 80, 1, a, 80, 1, b, 1, 80, 0, c, 48);
        Gemm.Dgemm(64, 48, 80, 1, da, 80, 1, db, 48, 1, 0, dc, 48);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            Gemm.Sgemm(64, 48, 80, 1, a, 80, 1, b, 1, 80, 0, c, 48);
            Gemm.Dgemm(64, 48, 80, 1, da, 80, 1, db, 48, 1, 0, dc, 48);
        }

        Assert.AreEqual(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void AssertGemmError(Action action)
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(action);
        StringAssert.Contains(ex.Message, "gemm");
    }

    [TestMethod]
    public void BadArgumentsThrowArgumentExceptionNamingGemm()
    {
        float[] a = new float[6], b = new float[12], c = new float[8];
        AssertGemmError(() => Gemm.Sgemm(-1, 4, 3, 1, a, 3, 1, b, 4, 1, 0, c, 4));
        AssertGemmError(() => Gemm.Sgemm(2, 4, -3, 1, a, 3, 1, b, 4, 1, 0, c, 4));
        AssertGemmError(() => Gemm.Sgemm(2, 4, 3, 1, a.AsSpan(0, 5), 3, 1, b, 4, 1, 0, c, 4)); // A short
        AssertGemmError(() => Gemm.Sgemm(2, 4, 3, 1, a, 3, 1, b, 5, 1, 0, c, 4));              // B strides overrun
        AssertGemmError(() => Gemm.Sgemm(2, 4, 3, 1, a, 3, 1, b, 4, 1, 0, c.AsSpan(0, 7), 4)); // C short
        AssertGemmError(() => Gemm.Sgemm(2, 4, 3, 1, a, 3, 1, b, 4, 1, 0, c, 3));              // ldc < n
        AssertGemmError(() => Gemm.Sgemm(2, 4, 3, 1, a, -3, 1, b, 4, 1, 0, c, 4));             // negative stride
        AssertGemmError(() => Gemm.Dgemm(2, 4, 3, 1, new double[5], 3, 1, new double[12], 4, 1, 0, new double[8], 4));
        AssertGemmError(() => Gemm.SgemmBatched(-1, 2, 4, 3, 1, a, 6, 3, 1, b, 12, 4, 1, 0, c, 8, 4));
        AssertGemmError(() => Gemm.SgemmBatched(2, 2, 4, 3, 1, a, 6, 3, 1, b, 0, 4, 1, 0, c, 8, 4)); // A too short for 2
        AssertGemmError(() => Gemm.DgemmBatched(2, 2, 4, 3, 1, new double[6], 0, 3, 1, new double[12], 0, 4, 1, 0,
            new double[15], 8, 4)); // C too short for 2

        var message = Assert.ThrowsExactly<ArgumentException>(() => Gemm.Sgemm(2, 4, 3, 1, a.AsSpan(0, 5), 3, 1, b, 4, 1, 0, c, 4)).Message;
        StringAssert.Contains(message, "m=2, n=4, k=3");

        // Empty problems with empty spans are fine.
        Gemm.Sgemm(0, 0, 0, 1, [], 0, 0, [], 0, 0, 0, [], 0);
        Gemm.Dgemm(0, 3, 2, 1, [], 2, 1, new double[6], 3, 1, 0, [], 3);
    }
}
