using System.Diagnostics;
using Trace.Kernels;

namespace Trace.Perf;

/// <summary>
/// One SGEMM problem C (m×n) = A (m×k) · B (k×n) with A and B read through the given element strides, as
/// <see cref="Gemm.Sgemm"/> takes them; C is contiguous row-major.
/// </summary>
public sealed record GemmShape(string Label, int M, int N, int K, int ARowStride, int AColStride, int BRowStride, int BColStride)
{
    /// <summary>A dense problem: A stored m×k (or k×m read transposed, <paramref name="aT"/>), B stored k×n (or n×k read transposed, <paramref name="bT"/>).</summary>
    public static GemmShape Dense(string label, int m, int n, int k, bool aT = false, bool bT = false) =>
        new(label, m, n, k, aT ? 1 : k, aT ? m : 1, bT ? 1 : n, bT ? k : 1);

    /// <summary>A square n×n×n problem, both operands row-major.</summary>
    public static GemmShape Square(int n) => Dense($"n={n}", n, n, n);

    /// <summary>2·m·n·k.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>"A·B", "A·Bᵀ", "Aᵀ·B", "Aᵀ·Bᵀ" for unit-stride rows or columns; "strided" with the row strides otherwise.</summary>
    public string Layout
    {
        get
        {
            string? a = (ARowStride, AColStride) == (K, 1) ? "A" : (ARowStride, AColStride) == (1, M) ? "Aᵀ" : null;
            string? b = (BRowStride, BColStride) == (N, 1) ? "B" : (BRowStride, BColStride) == (1, K) ? "Bᵀ" : null;
            return a is not null && b is not null ? $"{a}·{b}" : $"A({ARowStride},{AColStride})·B({BRowStride},{BColStride})";
        }
    }

    private static int Extent(int rows, int cols, int rs, int cs) => rows == 0 || cols == 0 ? 0 : (rows - 1) * rs + (cols - 1) * cs + 1;

    internal int ALength => Extent(M, K, ARowStride, AColStride);

    internal int BLength => Extent(K, N, BRowStride, BColStride);
}

/// <summary>Quick single-precision GEMM throughput check through <see cref="Gemm.Sgemm"/>.</summary>
public static class GemmQuick
{
    /// <summary>
    /// Median seconds per call of <paramref name="s"/> after warm-up (at least 3 calls and ~a third of the budget);
    /// the timed repetitions fill the rest of <paramref name="budgetS"/> (at least 5).
    /// </summary>
    public static double MedianSeconds(GemmShape s, double budgetS = 0.5)
    {
        ArgumentNullException.ThrowIfNull(s);
        var rng = new Random(s.M * 31 + s.N * 7 + s.K);
        var a = new float[s.ALength];
        var b = new float[s.BLength];
        var c = new float[(long)s.M * s.N];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() - 0.5);

        void Once() => Gemm.Sgemm(s.M, s.N, s.K, 1f, a, s.ARowStride, s.AColStride, b, s.BRowStride, s.BColStride, 0f, c, s.N);

        // Warm up: JIT tiers, thread pool, packing buffers.
        var warm = Stopwatch.StartNew();
        int warmRuns = 0;
        while (warmRuns < 3 || (warm.Elapsed.TotalSeconds < budgetS / 3 && warmRuns < 100))
        {
            Once();
            warmRuns++;
        }

        double once = warm.Elapsed.TotalSeconds / warmRuns;
        int reps = (int)Math.Clamp(budgetS * 2 / 3 / Math.Max(once, 1e-9), 5, 2000);
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            Once();
            times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        Array.Sort(times);
        return times[reps / 2];
    }

    /// <summary>
    /// The GEMMs W1–W7 issue, with the operand layouts the ops pass (docs/BENCHMARKS.md sizes): a linear's forward reads
    /// its weight transposed (A·Bᵀ), its input gradient is g·W (A·B), its weight gradient gᵀ·x (Aᵀ·B).
    /// </summary>
    public static IReadOnlyList<GemmShape> WorkloadShapes { get; } =
    [
        GemmShape.Dense("W1 fc1 x·W₁ᵀ", 64, 100, 1000, bT: true),
        GemmShape.Dense("W1 fc2 h·W₂ᵀ", 64, 1000, 100, bT: true),
        GemmShape.Dense("W2 fc1 dW gᵀ·x", 100, 1000, 64, aT: true),
        GemmShape.Dense("W5 qkv fwd", 1024, 768, 256, bT: true),
        GemmShape.Dense("W5 proj fwd", 1024, 256, 256, bT: true),
        GemmShape.Dense("W5 fc fwd", 1024, 1024, 256, bT: true),
        GemmShape.Dense("W5 fc-proj fwd", 1024, 256, 1024, bT: true),
        GemmShape.Dense("W5 qkv dX", 1024, 256, 768),
        GemmShape.Dense("W5 proj dX", 1024, 256, 256),
        GemmShape.Dense("W5 fc dX", 1024, 256, 1024),
        GemmShape.Dense("W5 fc-proj dX", 1024, 1024, 256),
        GemmShape.Dense("W5 qkv dW", 768, 256, 1024, aT: true),
        GemmShape.Dense("W5 proj dW", 256, 256, 1024, aT: true),
        GemmShape.Dense("W5 fc dW", 1024, 256, 1024, aT: true),
        GemmShape.Dense("W5 fc-proj dW", 256, 1024, 1024, aT: true),
        // One (batch, head) product of the attention, q, k, v being views into the qkv output (row stride 3C = 768).
        new("W5 att q·kᵀ 1 head", 128, 128, 64, 768, 1, 1, 768),
        new("W5 att p·v 1 head", 128, 64, 128, 128, 1, 768, 1),
        GemmShape.Dense("W6 conv1 1 image", 32, 676, 9),
        GemmShape.Dense("W6 conv2 1 image", 64, 121, 288),
        GemmShape.Dense("W6 fc 1600→128", 64, 128, 1600, bT: true),
        GemmShape.Dense("W7 x·W_ihᵀ all steps", 1024, 1024, 128, bT: true),
        GemmShape.Dense("W7 h·W_hhᵀ 1 step", 32, 1024, 256, bT: true),
        GemmShape.Dense("W7 dh g·W_hh 1 step", 32, 256, 1024),
        GemmShape.Dense("W7 dW_hh gᵀ·h", 1024, 256, 992, aT: true),
        GemmShape.Dense("W7 dW_ih gᵀ·x", 1024, 128, 1024, aT: true),
    ];
}
