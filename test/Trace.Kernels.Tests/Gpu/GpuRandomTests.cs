using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU's Philox4x32-10 generator on ILGPU's CPU accelerator: Random123's published known-answer vectors, a host
/// reference of the same generator and mappings, independence from the launch shape, and distribution sanity.
/// </summary>
[TestClass]
public sealed class GpuRandomTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    /// <summary>A host Philox4x32-10 written from the paper's round function (independent of the kernel's code).</summary>
    private static uint[] HostPhilox(uint[] ctr, uint[] key)
    {
        uint[] c = (uint[])ctr.Clone(), k = (uint[])key.Clone();
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k[0] += 0x9E3779B9; k[1] += 0xBB67AE85; }
            ulong a = (ulong)c[0] * 0xD2511F53, b = (ulong)c[2] * 0xCD9E8D57;
            c = [(uint)(b >> 32) ^ c[1] ^ k[0], (uint)b, (uint)(a >> 32) ^ c[3] ^ k[1], (uint)a];
        }
        return c;
    }

    [TestMethod]
    public void KernelGeneratorMatchesRandom123KnownAnswers()
    {
        // Random123 tests/kat_vectors, philox4x32 10: counter, key → output.
        uint[][] kat =
        [
            [0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
            [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ];
        var io = kat.SelectMany(v => v[..6].Concat(new uint[2])).ToArray();
        using var dio = Acc.Allocate1D(io);
        Acc.LoadAutoGroupedKernel<Index1D, ArrayView<uint>>(GpuRandom.BlockKernel)(Acc.DefaultStream, kat.Length, dio.View);
        Acc.Synchronize();
        var result = dio.GetAsArray1D();
        for (int t = 0; t < kat.Length; t++)
        {
            CollectionAssert.AreEqual(kat[t][6..], result[(t * 8)..(t * 8 + 4)], $"known answer {t} (kernel)");
            CollectionAssert.AreEqual(kat[t][6..], HostPhilox(kat[t][..4], kat[t][4..6]), $"known answer {t} (host reference)");
        }
    }

    private static T[] Sample<T>(bool normal, GpuRandomArgs p, int length) where T : unmanaged
    {
        using var dy = Acc.Allocate1D<T>(length);
        dy.MemSetToZero();
        var load = normal ? GpuTestDevice.Cached(GpuRandom.LoadNormal<T>) : GpuTestDevice.Cached(GpuRandom.LoadUniform<T>);
        load(Acc.DefaultStream, GpuRandom.Threads<T>(p.N), dy.View, p);
        Acc.Synchronize();
        return dy.GetAsArray1D();
    }

    private static double HostF32(bool normal, ulong seed, ulong offset, int e)
    {
        var w = HostPhilox([(uint)(e / 4), 0, (uint)offset, (uint)(offset >> 32)], [(uint)seed, (uint)(seed >> 32)]);
        if (!normal) return (w[e % 4] >> 8) / 16777216.0;
        int pair = e % 4 / 2 * 2;
        double rho = Math.Sqrt(-2 * Math.Log(((w[pair] >> 8) + 1) / 16777216.0)), theta = 2 * Math.PI * ((w[pair + 1] >> 8) / 16777216.0);
        return e % 2 == 0 ? rho * Math.Cos(theta) : rho * Math.Sin(theta);
    }

    private static double HostF64(bool normal, ulong seed, ulong offset, int e)
    {
        var w = HostPhilox([(uint)(e / 2), 0, (uint)offset, (uint)(offset >> 32)], [(uint)seed, (uint)(seed >> 32)]);
        static double U(uint hi, uint lo) => (((ulong)(hi >> 5) << 26) | (lo >> 6)) / 9007199254740992.0;
        if (!normal) return U(w[e % 2 * 2], w[e % 2 * 2 + 1]);
        double rho = Math.Sqrt(-2 * Math.Log((((ulong)(w[0] >> 5) << 26 | (w[1] >> 6)) + 1) / 9007199254740992.0)), theta = 2 * Math.PI * U(w[2], w[3]);
        return e % 2 == 0 ? rho * Math.Cos(theta) : rho * Math.Sin(theta);
    }

    [TestMethod]
    public void SamplesMatchTheHostReference()
    {
        const ulong seed = 0x1234_5678_9abc_def0, offset = 0x1_0000_0007;
        const int n = 1001;
        foreach (bool normal in new[] { false, true })
        {
            var f = Sample<float>(normal, GpuRandomArgs.Create(n, seed, offset, normal ? 0 : 0, 1), n);
            var d = Sample<double>(normal, GpuRandomArgs.Create(n, seed, offset, 0, 1), n);
            for (int e = 0; e < n; e++)
            {
                Assert.AreEqual(HostF32(normal, seed, offset, e), f[e], normal ? 2e-5 * (1 + Math.Abs(f[e])) : 0, $"float32 {(normal ? "normal" : "uniform")} [{e}]");
                Assert.AreEqual(HostF64(normal, seed, offset, e), d[e], normal ? 1e-13 * (1 + Math.Abs(d[e])) : 0, $"float64 {(normal ? "normal" : "uniform")} [{e}]");
            }
        }
    }

    [TestMethod]
    public void ValuesDependOnSeedOffsetAndIndexOnlyNotOnTheLaunch()
    {
        var full = Sample<float>(true, GpuRandomArgs.Create(1000, 7, 3, 2, 0.5), 1000);
        var prefix = Sample<float>(true, GpuRandomArgs.Create(37, 7, 3, 2, 0.5), 37);
        CollectionAssert.AreEqual(full[..37], prefix, "a shorter launch gives the same leading values");
        var p = GpuRandomArgs.Create(50, 7, 3, 2, 0.5);
        p.YOffset = 5;
        p.YStride = 3;
        var strided = Sample<float>(true, p, 5 + 3 * 50);
        for (int e = 0; e < 50; e++) Assert.AreEqual(full[e], strided[5 + 3 * e], "a strided output holds the same values");
        var other = Sample<float>(true, GpuRandomArgs.Create(1000, 7, 4, 2, 0.5), 1000);
        var reseeded = Sample<float>(true, GpuRandomArgs.Create(1000, 8, 3, 2, 0.5), 1000);
        Assert.IsTrue(full.Zip(other).Count(t => t.First == t.Second) < 5 && full.Zip(reseeded).Count(t => t.First == t.Second) < 5,
            "another offset or seed gives other values");
        Assert.ThrowsExactly<ArgumentException>(() => GpuRandomArgs.Create(-1, 0, 0, 0, 1));
        Assert.ThrowsExactly<NotSupportedException>(() => GpuRandom.LoadUniform<int>(Acc));
    }

    [TestMethod]
    public void DistributionsHaveTheirMomentsAndRanges()
    {
        const int n = 16384;
        var u = Sample<float>(false, GpuRandomArgs.Create(n, 42, 0, -2, 3), n);
        Assert.IsTrue(u.All(v => v >= -2 && v < 3), "uniform(-2, 3) stays in [-2, 3)");
        double mean = u.Average(v => (double)v), variance = u.Average(v => (v - mean) * (v - mean));
        Assert.AreEqual(0.5, mean, 0.05, "uniform mean");   // sd of the mean: 5/√12/√n ≈ 0.011
        Assert.AreEqual(25.0 / 12, variance, 0.08, "uniform variance");
        var z = Sample<double>(true, GpuRandomArgs.Create(n, 42, 1, 1, 2), n);
        mean = z.Average();
        variance = z.Average(v => (v - mean) * (v - mean));
        Assert.AreEqual(1, mean, 0.07, "normal mean");   // sd: 2/√n ≈ 0.016
        Assert.AreEqual(4, variance, 0.2, "normal variance");   // sd: 4·√(2/n) ≈ 0.044
        Assert.IsTrue(z.All(double.IsFinite));
        var z32 = Sample<float>(true, GpuRandomArgs.Create(n, 5, 0, 0, 1), n);
        Assert.AreEqual(0, z32.Average(v => (double)v), 0.035);
        Assert.AreEqual(1, z32.Average(v => (double)v * v), 0.05);
        Assert.IsTrue(z32.All(float.IsFinite));
    }

    [TestMethod]
    public void CompileToPtxForSm90WithoutCallsOrLocalMemory()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRandom), nameof(GpuRandom.UniformF32Kernel), false), "uniform f32", shared: false, loads: false);
        var normal = GpuTestDevice.Ptx(typeof(GpuRandom), nameof(GpuRandom.NormalF32Kernel), false);
        GpuTestDevice.AssertHot(normal, "normal f32", shared: false, loads: false);
        StringAssert.Contains(normal, "mul.wide.u32", "Philox's 32×32→64 multiplies");
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRandom), nameof(GpuRandom.UniformF64Kernel), false), "uniform f64", shared: false, loads: false);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuRandom), nameof(GpuRandom.NormalF64Kernel), false), "normal f64", shared: false, loads: false);
    }
}
