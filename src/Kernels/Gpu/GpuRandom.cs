using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// One random launch: <see cref="N"/> values written at <c>YOffset + e·YStride</c>, from the generator keyed by the
/// 64-bit seed at the 64-bit offset. Uniform: <c>A + (B − A)·u</c> with u in [0, 1); normal: mean A, standard deviation B.
/// </summary>
public struct GpuRandomArgs
{
    /// <summary>Values written.</summary>
    public int N;
    /// <summary>The output's layout.</summary>
    public int YOffset, YStride;
    /// <summary>The Philox key (the seed's low and high words).</summary>
    public uint SeedLo, SeedHi;
    /// <summary>Counter words 2 and 3 (the offset's low and high words): one offset per launch gives independent streams.</summary>
    public uint OffsetLo, OffsetHi;
    /// <summary>Uniform: low and high; normal: mean and standard deviation.</summary>
    public double A, B;

    /// <summary>A dense output of <paramref name="n"/> values.</summary>
    /// <exception cref="ArgumentException">A negative n.</exception>
    public static GpuRandomArgs Create(int n, ulong seed, ulong offset, double a, double b)
    {
        if (n < 0) throw new ArgumentException($"GPU random: negative count {n}.", nameof(n));
        return new GpuRandomArgs
        {
            N = n, YStride = 1, SeedLo = (uint)seed, SeedHi = (uint)(seed >> 32), OffsetLo = (uint)offset, OffsetHi = (uint)(offset >> 32), A = a, B = b,
        };
    }
}

/// <summary>The four 32-bit words of one Philox4x32 block.</summary>
internal readonly struct PhiloxBlock(uint w0, uint w1, uint w2, uint w3)
{
    public readonly uint W0 = w0, W1 = w1, W2 = w2, W3 = w3;
}

/// <summary>
/// Counter-based random numbers: Philox4x32-10 (Salmon et al., Random123) keyed by the seed, counter
/// (block, 0, offset low, offset high). A value depends only on (seed, offset, element index), never on the launch shape:
/// float32 element e is word e mod 4 of block e/4 (uniform: the top 24 bits · 2⁻²⁴; normal: Box–Muller on words
/// (0, 1) and (2, 3) of its block, u₁ = (top 24 bits + 1)·2⁻²⁴ in (0, 1] so log never sees 0); float64 element e uses
/// words (0, 1) or (2, 3) of block e/2 as 53 bits (normal: one Box–Muller pair per block, log and sin/cos from
/// <see cref="GpuMath"/>; float32 uses the GPU's approximate lg2/sin/cos, the angle kept in [-π, π)). One thread per block:
/// launch <see cref="Threads{T}"/> threads (implicitly grouped). A scaled float32 uniform may round up to its high bound.
/// </summary>
public static class GpuRandom
{
    private const float Two24 = 1f / 16777216f;
    private const double Two53 = 1d / 9007199254740992d;
    private const float TwoPiF = 6.28318530717958647692f;

    /// <summary>Philox4x32-10 of counter (c0..c3) under key (k0, k1): 10 rounds, the key bumped by the Weyl constants between rounds.</summary>
    internal static PhiloxBlock Philox(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = 0xD2511F53ul * c0, p1 = 0xCD9E8D57ul * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0, n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            c1 = (uint)p1;
            c3 = (uint)p0;
            c0 = n0;
            c2 = n2;
            k0 += 0x9E3779B9u;
            k1 += 0xBB67AE85u;
        }
        return new PhiloxBlock(c0, c1, c2, c3);
    }

    /// <summary>The raw generator, for known-answer tests: block b of <paramref name="io"/> (8 words: counter then key) becomes its 4 output words.</summary>
    internal static void BlockKernel(Index1D b, ArrayView<uint> io)
    {
        int at = b * 8;
        var r = Philox(io[at], io[at + 1], io[at + 2], io[at + 3], io[at + 4], io[at + 5]);
        io[at] = r.W0;
        io[at + 1] = r.W1;
        io[at + 2] = r.W2;
        io[at + 3] = r.W3;
    }

    private static PhiloxBlock Block(int b, in GpuRandomArgs p) => Philox((uint)b, 0u, p.OffsetLo, p.OffsetHi, p.SeedLo, p.SeedHi);

    private static void Put(ArrayView<float> y, in GpuRandomArgs p, int e, float v)
    {
        if (e < p.N) y[p.YOffset + e * p.YStride] = v;
    }

    private static void Put(ArrayView<double> y, in GpuRandomArgs p, int e, double v)
    {
        if (e < p.N) y[p.YOffset + e * p.YStride] = v;
    }

    internal static void UniformF32Kernel(Index1D b, ArrayView<float> y, GpuRandomArgs p)
    {
        var r = Block(b, p);
        float low = (float)p.A, range = (float)(p.B - p.A);
        int e = b * 4;
        Put(y, p, e, low + range * ((r.W0 >> 8) * Two24));
        Put(y, p, e + 1, low + range * ((r.W1 >> 8) * Two24));
        Put(y, p, e + 2, low + range * ((r.W2 >> 8) * Two24));
        Put(y, p, e + 3, low + range * ((r.W3 >> 8) * Two24));
    }

    internal static void NormalF32Kernel(Index1D b, ArrayView<float> y, GpuRandomArgs p)
    {
        var r = Block(b, p);
        float mean = (float)p.A, std = (float)p.B;
        int e = b * 4;
        float rho = XMath.Sqrt(-2f * XMath.Log(((r.W0 >> 8) + 1) * Two24)), theta = Angle(r.W1);
        Put(y, p, e, mean + std * (rho * XMath.Cos(theta)));
        Put(y, p, e + 1, mean + std * (rho * XMath.Sin(theta)));
        rho = XMath.Sqrt(-2f * XMath.Log(((r.W2 >> 8) + 1) * Two24));
        theta = Angle(r.W3);
        Put(y, p, e + 2, mean + std * (rho * XMath.Cos(theta)));
        Put(y, p, e + 3, mean + std * (rho * XMath.Sin(theta)));
    }

    /// <summary>2π·u for the word's uniform u, shifted to [-π, π) where the GPU's sin.approx/cos.approx are accurate.</summary>
    private static float Angle(uint w)
    {
        float u = (w >> 8) * Two24;
        return TwoPiF * (u >= 0.5f ? u - 1f : u);
    }

    private static ulong Bits53(uint hi, uint lo) => ((ulong)(hi >> 5) << 26) | (lo >> 6);

    internal static void UniformF64Kernel(Index1D b, ArrayView<double> y, GpuRandomArgs p)
    {
        var r = Block(b, p);
        double range = p.B - p.A;
        int e = b * 2;
        Put(y, p, e, p.A + range * (Bits53(r.W0, r.W1) * Two53));
        Put(y, p, e + 1, p.A + range * (Bits53(r.W2, r.W3) * Two53));
    }

    internal static void NormalF64Kernel(Index1D b, ArrayView<double> y, GpuRandomArgs p)
    {
        var r = Block(b, p);
        double rho = XMath.Sqrt(-2d * GpuMath.Log((Bits53(r.W0, r.W1) + 1) * Two53));
        var sc = GpuMath.SinCos2Pi(Bits53(r.W2, r.W3) * Two53);
        int e = b * 2;
        Put(y, p, e, p.A + p.B * (rho * sc.Cos));
        Put(y, p, e + 1, p.A + p.B * (rho * sc.Sin));
    }

    /// <summary>Threads for <paramref name="n"/> values: one per Philox block (4 float32 or 2 float64 values).</summary>
    public static int Threads<T>(int n) where T : unmanaged
    {
        int per = typeof(T) == typeof(double) ? 2 : 4;
        return (int)(((long)n + per - 1) / per);
    }

    /// <summary>Queues uniform sampling into <paramref name="y"/> (float32 or float64), after checking the layout.</summary>
    public static void Uniform<T>(GpuDevice d, ArrayView<T> y, in GpuRandomArgs p) where T : unmanaged => Sample(d, y, p, "uniform_", LoadUniform<T>);

    /// <summary>Queues normal sampling into <paramref name="y"/> (float32 or float64), after checking the layout.</summary>
    public static void Normal<T>(GpuDevice d, ArrayView<T> y, in GpuRandomArgs p) where T : unmanaged => Sample(d, y, p, "normal_", LoadNormal<T>);

    private static void Sample<T>(GpuDevice d, ArrayView<T> y, in GpuRandomArgs p, string op, Func<ILGPU.Runtime.Accelerator, Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs>> load)
        where T : unmanaged
    {
        if (p.N < 0 || p.YOffset < 0 || p.YStride < 0 || (p.N > 0 && p.YOffset + (long)(p.N - 1) * p.YStride >= y.Length))
            throw new ArgumentException($"GPU {op}: {p.N} values at offset {p.YOffset}, stride {p.YStride} exceed the output's {y.Length} elements.");
        if (p.N == 0) return;
        lock (d.Gate) d.Kernel(("random", op, typeof(T)), load)(d.Stream, Threads<T>(p.N), y, p);
    }

    /// <summary>Loads uniform sampling (float32 or float64): launcher arguments y and the launch's arguments.</summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs> LoadUniform<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs>)(object)accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, GpuRandomArgs>(UniformF32Kernel);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs>)(object)accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, GpuRandomArgs>(UniformF64Kernel);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU uniform_"));
    }

    /// <summary>Loads normal sampling (float32 or float64): launcher arguments y and the launch's arguments.</summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs> LoadNormal<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs>)(object)accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, GpuRandomArgs>(NormalF32Kernel);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, Index1D, ArrayView<T>, GpuRandomArgs>)(object)accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<double>, GpuRandomArgs>(NormalF64Kernel);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU normal_"));
    }
}
