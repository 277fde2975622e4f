using ILGPU;
using ILGPU.Runtime;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Kernels.Gpu;

namespace Trace.Kernels.Tests;

/// <summary>
/// The GPU reductions on ILGPU's CPU accelerator against float64 loops: sum/prod/max/min over a dim of strided
/// (outer, reduce, inner) views, argmax/argmin with ties and NaN, integer sums, the deterministic two-pass full
/// reduction; their PTX for sm_90.
/// </summary>
[TestClass]
public sealed class GpuGroupReduceTests
{
    private static Accelerator Acc => GpuTestDevice.Shared;

    /// <summary>X stored as (inner, reduce, outer) with 1 element of padding at the front: every stride is non-unit.</summary>
    private static GpuReduceArgs Permuted(int outer, int reduce, int inner) => new()
    {
        Outer = outer, Reduce = reduce, Inner = inner, XOffset = 1, XOuterStride = 1, XReduceStride = outer, XInnerStride = outer * reduce, YOffset = 2,
    };

    private static int Length(GpuReduceArgs p) => 1 + p.Outer * p.Reduce * p.Inner;

    private static T[] Reduce<T>(T[] x, GpuReduceArgs p, GpuReduceKind kind) where T : unmanaged
    {
        p.Check("reduce", x.Length, p.YOffset + p.Outputs, nonEmpty: kind is GpuReduceKind.Max or GpuReduceKind.Min);
        using var dx = Acc.Allocate1D(x);
        using var dy = Acc.Allocate1D<T>(p.YOffset + p.Outputs);
        GpuTestDevice.Cached(a => GpuGroupReduce.Load<T>(a, kind), kind)(Acc.DefaultStream, GpuGroupReduce.Config(p), dx.View, dy.View, p);
        Acc.Synchronize();
        return dy.GetAsArray1D()[p.YOffset..];
    }

    private static double[] Slice(float[] x, GpuReduceArgs p, int o, int i) =>
        Enumerable.Range(0, p.Reduce).Select(r => (double)x[p.XOffset + o * p.XOuterStride + r * p.XReduceStride + i * p.XInnerStride]).ToArray();

    [TestMethod]
    [DataRow(1, 1, 1)]
    [DataRow(2, 600, 2)]
    [DataRow(2, 33, 5)]
    [DataRow(4, 257, 1)]
    public void SumProdMaxMinMatchFloat64LoopsOnStridedViews(int outer, int reduce, int inner)
    {
        var p = Permuted(outer, reduce, inner);
        var x = GpuTestDevice.Random(Length(p), reduce).Select(v => 1 + v / 64).ToArray();   // products stay finite
        foreach (var kind in Enum.GetValues<GpuReduceKind>())
        {
            var y = Reduce(x, p, kind);
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    var s = Slice(x, p, o, i);
                    double e = kind switch
                    {
                        GpuReduceKind.Sum => s.Sum(),
                        GpuReduceKind.Prod => s.Aggregate(1.0, (a, v) => a * v),
                        GpuReduceKind.Max => s.Max(),
                        _ => s.Min(),
                    };
                    double tol = kind is GpuReduceKind.Max or GpuReduceKind.Min ? 0 : (reduce / 256.0 + 9) * 1.2e-7 * s.Sum(Math.Abs) * (kind == GpuReduceKind.Prod ? Math.Abs(e) : 1);
                    Assert.AreEqual(e, y[o * inner + i], tol, $"{kind} ({outer}, {reduce}, {inner}) at ({o}, {i})");
                }
        }
    }

    [TestMethod]
    [DataRow(2, 100, 40, false)]
    [DataRow(1, 7, 33, true)]
    [DataRow(3, 1, 16, false)]
    public void ColumnKernelMatchesFloat64Loops(int outer, int reduce, int inner, bool permuted)
    {
        var p = permuted ? Permuted(outer, reduce, inner) : GpuReduceArgs.Dense(outer, reduce, inner) with { XOffset = 1, YOffset = 2 };
        Assert.IsTrue(GpuGroupReduce.UseColumns(p));
        var x = GpuTestDevice.Random(Length(p), inner).Select(v => 1 + v / 64).ToArray();
        using var dx = Acc.Allocate1D(x);
        using var dy = Acc.Allocate1D<float>(p.YOffset + p.Outputs);
        foreach (var kind in Enum.GetValues<GpuReduceKind>())
        {
            p.Check("reduce", x.Length, p.YOffset + p.Outputs, nonEmpty: true);
            GpuTestDevice.Cached(a => GpuGroupReduce.LoadColumns<float>(a, kind), kind)(Acc.DefaultStream, GpuGroupReduce.ColumnConfig(p), dx.View, dy.View, p);
            Acc.Synchronize();
            var y = dy.GetAsArray1D()[p.YOffset..];
            for (int q = 0; q < y.Length; q++)
            {
                var s = Slice(x, p, q / inner, q % inner);
                double e = kind switch
                {
                    GpuReduceKind.Sum => s.Sum(),
                    GpuReduceKind.Prod => s.Aggregate(1.0, (a, v) => a * v),
                    GpuReduceKind.Max => s.Max(),
                    _ => s.Min(),
                };
                double tol = kind is GpuReduceKind.Max or GpuReduceKind.Min ? 0 : (reduce / 8.0 + 4) * 1.2e-7 * s.Sum(Math.Abs) * (kind == GpuReduceKind.Prod ? Math.Abs(e) : 1);
                Assert.AreEqual(e, y[q], tol, $"{kind} columns ({outer}, {reduce}, {inner}) output {q}");
            }
        }
        var nan = Enumerable.Repeat(1f, 2 * 3 * 20).ToArray();
        nan[1 * 20 + 5] = float.NaN;   // (o 0, r 1, i 5)
        var np = GpuReduceArgs.Dense(2, 3, 20);
        using var dn = Acc.Allocate1D(nan);
        using var dm = Acc.Allocate1D<float>(40);
        GpuTestDevice.Cached(a => GpuGroupReduce.LoadColumns<float>(a, GpuReduceKind.Max), GpuReduceKind.Max)(Acc.DefaultStream, GpuGroupReduce.ColumnConfig(np), dn.View, dm.View, np);
        Acc.Synchronize();
        var m = dm.GetAsArray1D();
        Assert.IsTrue(float.IsNaN(m[5]) && m.Count(float.IsNaN) == 1, "NaN propagates to its own column only");
    }

    [TestMethod]
    public void EmptyDimsGiveTheIdentityOrAnError()
    {
        var p = GpuReduceArgs.Dense(3, 0, 2);
        CollectionAssert.AreEqual(new float[6], Reduce(new float[1], p, GpuReduceKind.Sum));
        CollectionAssert.AreEqual(Enumerable.Repeat(1f, 6).ToArray(), Reduce(new float[1], p, GpuReduceKind.Prod));
        var e = Assert.ThrowsExactly<ArgumentException>(() => p.Check("amax", 1, 6, nonEmpty: true));
        StringAssert.Contains(e.Message, "amax: the reduced dim is empty and the reduction has no identity");
        e = Assert.ThrowsExactly<ArgumentException>(() => GpuReduceArgs.Dense(3, 4, 2).Check("sum", 23, 6, nonEmpty: false));
        StringAssert.Contains(e.Message, "sum: X (3×4×2, strides 8, 2, 1, offset 0) exceeds its 23 elements");
    }

    [TestMethod]
    public void MaxAndMinPropagateNaNAndIntegersReduceExactly()
    {
        var x = new float[] { 1, float.NaN, 3, -2, 5, 0, float.NegativeInfinity, 4 };
        var p = GpuReduceArgs.Dense(2, 4, 1);
        var max = Reduce(x, p, GpuReduceKind.Max);
        var min = Reduce(x, p, GpuReduceKind.Min);
        Assert.IsTrue(float.IsNaN(max[0]) && float.IsNaN(min[0]));
        Assert.AreEqual(5f, max[1]);
        Assert.AreEqual(float.NegativeInfinity, min[1]);
        var ints = Enumerable.Range(0, 600).Select(v => (long)v * 1_000_000_007L).ToArray();
        Assert.AreEqual(ints.Sum(), Reduce(ints, GpuReduceArgs.Dense(1, 600, 1), GpuReduceKind.Sum)[0]);
        var small = Enumerable.Range(-50, 99).ToArray();
        CollectionAssert.AreEqual(new[] { -50, 48 }, new[] { Reduce(small, GpuReduceArgs.Dense(1, 99, 1), GpuReduceKind.Min)[0], Reduce(small, GpuReduceArgs.Dense(1, 99, 1), GpuReduceKind.Max)[0] });
    }

    private static (T[] Values, long[] Indices) Arg<T>(T[] x, GpuReduceArgs p, bool max) where T : unmanaged
    {
        p.Max = max ? 1 : 0;
        p.Check("argmax", x.Length, p.YOffset + p.Outputs, nonEmpty: true);
        using var dx = Acc.Allocate1D(x);
        using var dv = Acc.Allocate1D<T>(p.YOffset + p.Outputs);
        using var di = Acc.Allocate1D<long>(p.YOffset + p.Outputs);
        GpuTestDevice.Cached(GpuGroupReduce.LoadArg<T>)(Acc.DefaultStream, GpuGroupReduce.Config(p), dx.View, dv.View, di.View, p);
        Acc.Synchronize();
        return (dv.GetAsArray1D()[p.YOffset..], di.GetAsArray1D()[p.YOffset..]);
    }

    [TestMethod]
    public void ArgMaxAndArgMinGiveTheFirstExtremeAndNaNCountsAsExtreme()
    {
        const int reduce = 300;
        var p = Permuted(3, reduce, 2);
        var x = new float[Length(p)];
        for (int k = 0; k < x.Length; k++) x[k] = (k * 37 % 11) - 5;   // many ties at ±5
        int At(int o, int r, int i) => p.XOffset + o * p.XOuterStride + r * p.XReduceStride + i * p.XInnerStride;
        x[At(1, 250, 0)] = float.NaN;
        x[At(1, 7, 0)] = float.NaN;   // the first NaN wins for both
        x[At(2, 299, 1)] = 9;
        x[At(2, 298, 1)] = -9;
        foreach (bool max in new[] { true, false })
        {
            var (values, indices) = Arg(x, p, max);
            for (int o = 0; o < 3; o++)
                for (int i = 0; i < 2; i++)
                {
                    var s = Slice(x, p, o, i);
                    int first = Array.FindIndex(s, double.IsNaN);
                    if (first < 0) first = Array.IndexOf(s, max ? s.Max() : s.Min());
                    Assert.AreEqual(first, indices[o * 2 + i], $"arg{(max ? "max" : "min")} at ({o}, {i})");
                    Assert.AreEqual(s[first], values[o * 2 + i]);
                }
        }
        var (lv, li) = Arg(new long[] { 4, 9, 9, -3, 9 }, GpuReduceArgs.Dense(1, 5, 1), max: true);
        Assert.AreEqual((9L, 1L), (lv[0], li[0]));
    }

    private static T Full<T>(T[] x, int n, int offset, int stride, GpuReduceKind kind) where T : unmanaged
    {
        var first = GpuGroupReduce.FirstPass(n, offset, stride);
        var second = GpuGroupReduce.SecondPass(first, 1);
        var load = GpuTestDevice.Cached(a => GpuGroupReduce.LoadFull<T>(a, kind), kind);
        using var dx = Acc.Allocate1D(x);
        using var partials = Acc.Allocate1D<T>(first.Groups);
        using var dy = Acc.Allocate1D<T>(2);
        load(Acc.DefaultStream, GpuGroupReduce.FullConfig(first), dx.View, partials.View, first);
        load(Acc.DefaultStream, GpuGroupReduce.FullConfig(second), partials.View, dy.View, second);
        Acc.Synchronize();
        return dy.GetAsArray1D()[1];
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(999)]
    [DataRow(16383)]
    public void TwoPassFullSumMatchesFloat64AndIsBitReproducible(int n)
    {
        var x = GpuTestDevice.Random(2 * n + 3, n);
        double e = 0, abs = 0;
        for (int k = 0; k < n; k++) { e += x[3 + 2 * k]; abs += Math.Abs(x[3 + 2 * k]); }
        float s = Full(x, n, 3, 2, GpuReduceKind.Sum);
        int levels = 9 + (int)Math.Ceiling(Math.Log2(Math.Max(1, GpuGroupReduce.FirstPass(n, 3, 2).Groups)));
        Assert.AreEqual(e, s, (n / 256.0 + levels) * 1.2e-7 * abs, $"sum of {n}");
        Assert.AreEqual(BitConverter.SingleToInt32Bits(s), BitConverter.SingleToInt32Bits(Full(x, n, 3, 2, GpuReduceKind.Sum)), "the same n gives the same bits");
        if (n > 0)
        {
            double m = Enumerable.Range(0, n).Max(k => x[3 + 2 * k]);
            Assert.AreEqual(m, Full(x, n, 3, 2, GpuReduceKind.Max));
        }
        var d = x.Select(v => (double)v).ToArray();
        Assert.AreEqual(e, Full(d, n, 3, 2, GpuReduceKind.Sum), 1e-15 * (n + 1) * (abs + 1));
    }

    [TestMethod]
    public void FullReductionPlansSplitLargeInputsIntoFixedChunks()
    {
        var p = GpuGroupReduce.FirstPass(10_000_000, 0, 1);
        Assert.AreEqual(GpuGroupReduce.MaxPartials, p.Groups);
        Assert.IsTrue((long)p.Groups * p.Chunk >= 10_000_000 && (long)(p.Groups - 1) * p.Chunk < 10_000_000);
        Assert.AreEqual(3, GpuGroupReduce.FirstPass(3 * GpuGroupReduce.MinChunk, 0, 1).Groups);
        var e = Assert.ThrowsExactly<ArgumentException>(() => GpuGroupReduce.FirstPass(-1, 0, 1));
        StringAssert.Contains(e.Message, "GPU full reduce: bad layout (n=-1");
        Assert.ThrowsExactly<NotSupportedException>(() => GpuGroupReduce.Load<byte>(Acc, GpuReduceKind.Sum));
    }

    [TestMethod]
    public void CompileToPtxForSm90WithSharedTreesAndNoCalls()
    {
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuGroupReduce), nameof(GpuGroupReduce.ReduceKernel), true, typeof(float), typeof(SumOp<float, F32>)), "sum f32", shared: true);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuGroupReduce), nameof(GpuGroupReduce.ReduceKernel), true, typeof(float), typeof(MaxOp<float, F32>)), "max f32", shared: true);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuGroupReduce), nameof(GpuGroupReduce.ColumnReduceKernel), true, typeof(float), typeof(SumOp<float, F32>)), "column sum f32", shared: true);
        GpuTestDevice.AssertHot(GpuTestDevice.Ptx(typeof(GpuGroupReduce), nameof(GpuGroupReduce.ArgReduceKernel), true, typeof(float), typeof(F32)), "argmax f32", shared: true);
        var full = GpuTestDevice.Ptx(typeof(GpuGroupReduce), nameof(GpuGroupReduce.FullReduceKernel), true, typeof(float), typeof(SumOp<float, F32>));
        GpuTestDevice.AssertHot(full, "full sum f32", shared: true);
        Assert.IsFalse(System.Text.RegularExpressions.Regex.IsMatch(full, @"^\s*(atom|red)\.", System.Text.RegularExpressions.RegexOptions.Multiline), "the full sum uses no atomics");
    }
}
