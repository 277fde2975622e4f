using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>floor, round, cumsum, sort/argsort/topk and multinomial against float64 reference loops, gradcheck, CUDA vs CPU and bad inputs.</summary>
[TestClass]
[DoNotParallelize]
public class SortScanTests
{
    private static Tensor R(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(7));

    [TestMethod]
    public void FloorAndRoundMatchTorchIncludingHalvesToEven()
    {
        var x = Tensor.From(new[] { -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.4, 3.0, double.NaN, double.PositiveInfinity });
        CollectionAssert.AreEqual(new[] { -2.0, -2, -0, 0, 2, 2, 3, -2, 3 }, x.Round().ToArray<double>()[..9]);
        CollectionAssert.AreEqual(new[] { -3.0, -2, -1, 0, 1, 2, 2, -3, 3 }, x.Floor().ToArray<double>()[..9]);
        Assert.IsTrue(double.IsNaN(x.Round().ToArray<double>()[9]) && double.IsPositiveInfinity(x.Floor().ToArray<double>()[10]));
        CollectionAssert.AreEqual(new[] { 1.23f, -0.5f }, Tensor.From(new[] { 1.2345f, -0.4999f }).Round(2).ToArray<float>().Select(v => MathF.Round(v, 4)).ToArray());
        CollectionAssert.AreEqual(new[] { 1200.0 }, Tensor.From(new[] { 1250.0 }).Round(-2).ToArray<double>(), "1250 → 12.5 → 12 (even) → 1200");
        CollectionAssert.AreEqual(new long[] { 3, -4 }, Tensor.From(new long[] { 3, -4 }).Floor().ToArray<long>(), "integers come back as they are");
        var a = R(3, 4).Mul(3.0).RequiresGrad_();
        a.Floor().Add(a.Round()).Sum().Backward();
        CollectionAssert.AreEqual(new double[12], a.Grad!.ToArray<double>(), "zero gradient, as PyTorch");
        var g = Tensor.Randn([5, 7], DType.Float32, new Generator(3)).Mul(4.0);
        CudaClose(g.Round(), g.Cuda().Round(), "round");
        CudaClose(g.Floor(), g.Cuda().Floor(), "floor");
    }

    [TestMethod]
    public void CumsumMatchesALoopAlongEachDimAndPromotesIntegers()
    {
        var x = R(3, 4, 5);
        for (int d = 0; d < 3; d++)
        {
            var r = x.Cumsum(d);
            var shape = x.Shape.ToArray();
            var e = Reference.Values(x);
            int inner = 1;
            for (int k = d + 1; k < 3; k++) inner *= shape[k];
            for (int i = 0; i < e.Length; i++)
                if ((i / inner) % shape[d] != 0) e[i] += e[i - inner];
            TestUtil.AssertClose(e, r.ToArray<double>(), 1e-12, $"cumsum dim {d}");
        }
        var ints = Tensor.From(new[] { 1, 2, 3 }).Cumsum(0);
        Assert.AreEqual(DType.Int64, ints.DType);
        CollectionAssert.AreEqual(new long[] { 1, 3, 6 }, ints.ToArray<long>());
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Cumsum(1).Square(), [R(3, 4).RequiresGrad_()]));
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Cumsum(0), [R(4).RequiresGrad_()]));
        CudaClose(x.Cumsum(1), x.Cuda().Cumsum(1), "cumsum");
        CudaClose(ints, Tensor.From(new[] { 1, 2, 3 }).Cuda().Cumsum(0), "int cumsum");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => x.Cumsum(3));
    }

    [TestMethod]
    public void SortIsStableAndPutsNaNLargest()
    {
        var x = Tensor.From(new[] { 3.0, double.NaN, 1.0, 3.0, -2.0, 1.0 });
        var (v, i) = x.Sort();
        CollectionAssert.AreEqual(new long[] { 4, 2, 5, 0, 3, 1 }, i.ToArray<long>(), "stable ascending, NaN last");
        var (dv, di) = x.Sort(descending: true);
        CollectionAssert.AreEqual(new long[] { 1, 0, 3, 2, 5, 4 }, di.ToArray<long>(), "stable descending, NaN first");
        Assert.IsTrue(double.IsNaN(dv.ToArray<double>()[0]) && double.IsNaN(v.ToArray<double>()[5]));
        CollectionAssert.AreEqual(i.ToArray<long>(), x.Argsort().ToArray<long>());
        // Against a reference stable sort of each row, along dim 0 of a 2-D tensor.
        var m = Tensor.Randint(0, 4, [7, 3], new Generator(2)).To(DType.Float64);
        var (sv, si) = m.Sort(0);
        var data = m.ToArray<double>();
        for (int c = 0; c < 3; c++)
        {
            var order = Enumerable.Range(0, 7).OrderBy(r => data[r * 3 + c]).ToArray();   // LINQ's OrderBy is stable
            for (int r = 0; r < 7; r++)
            {
                Assert.AreEqual(order[r], si.ToArray<long>()[r * 3 + c], $"column {c} row {r}");
                Assert.AreEqual(data[order[r] * 3 + c], sv.ToArray<double>()[r * 3 + c]);
            }
        }
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Sort(1).Values.Mul(Tensor.Arange(1.0, 5.0, 1.0, DType.Float64)), [R(3, 4).RequiresGrad_()]));
        var b = Tensor.From(new[] { true, false, true }).Sort();
        CollectionAssert.AreEqual(new[] { false, true, true }, b.Values.ToArray<bool>());
    }

    [TestMethod]
    public void TopkPicksTheLargestOrSmallestWithTheirIndices()
    {
        var x = R(4, 9);
        var (v, i) = x.Topk(3, 1);
        var data = x.ToArray<double>();
        for (int r = 0; r < 4; r++)
        {
            var best = Enumerable.Range(0, 9).OrderByDescending(j => data[r * 9 + j]).Take(3).ToArray();
            CollectionAssert.AreEqual(best.Select(j => (long)j).ToArray(), i.ToArray<long>()[(r * 3)..(r * 3 + 3)]);
            CollectionAssert.AreEqual(best.Select(j => data[r * 9 + j]).ToArray(), v.ToArray<double>()[(r * 3)..(r * 3 + 3)]);
        }
        var small = x.Topk(2, 0, largest: false);
        CollectionAssert.AreEqual(new[] { 2, 9 }, small.Values.Shape.ToArray());
        CollectionAssert.AreEqual(x.Sort(0).Values.Narrow(0, 0, 2).ToArray<double>(), small.Values.ToArray<double>());
        Assert.AreEqual(1L, Tensor.From(new[] { 1.0, double.NaN, 5.0 }).Topk(1).Indices.Item<long>(), "NaN is the largest");
        Assert.IsTrue(Autograd.GradCheck(t => t[0].Topk(2, 1).Values.Square(), [R(3, 5).RequiresGrad_()]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => x.Topk(10, 1));
        StringAssert.Contains(e.Message, "aten::topk: k (10)");
        StringAssert.Contains(e.Message, "(4, 9)");
    }

    [TestMethod]
    public void SortAndTopkOnCudaMatchTheCpu()
    {
        var x = Tensor.Randint(0, 5, [6, 33], new Generator(4)).To(DType.Float32);
        var nan = Tensor.From(new[] { 2f, float.NaN, -1f, 2f, float.NaN, 0f });
        foreach (var (t, name) in new[] { (x, "ties"), (nan, "nan"), (x.To(DType.Int64), "int64") })
            foreach (bool desc in new[] { false, true })
            {
                var (cv, ci) = t.Sort(-1, desc);
                var (gv, gi) = t.Cuda().Sort(-1, desc);
                CudaClose(cv, gv, $"{name} values {desc}");
                CudaClose(ci, gi, $"{name} indices {desc}");
            }
        var (tv, ti) = x.Cuda().Topk(4, 0, largest: false);
        CudaClose(x.Topk(4, 0, largest: false).Values, tv, "topk values");
        CudaClose(x.Topk(4, 0, largest: false).Indices, ti, "topk indices");
        var a = R(3, 5);
        var (ca, ga) = (a.Clone().RequiresGrad_(), a.Cuda().RequiresGrad_());
        ca.Sort(0, true).Values.Mul(ca).Sum().Backward();
        ga.Sort(0, true).Values.Mul(ga).Sum().Backward();
        CudaClose(ca.Grad!, ga.Grad!, "sort backward");
    }

    [TestMethod]
    public void MultinomialIsDeterministicPerGeneratorAndChecksItsInput()
    {
        var w = Tensor.From(new[,] { { 0.0, 1.0, 3.0, 0.0 }, { 2.0, 0.0, 0.0, 2.0 } });
        var a = w.Multinomial(500, replacement: true, new Generator(11));
        var b = w.Multinomial(500, replacement: true, new Generator(11));
        CollectionAssert.AreEqual(a.ToArray<long>(), b.ToArray<long>(), "same seed, same draws");
        Assert.AreEqual(DType.Int64, a.DType);
        var draws = a.ToArray<long>();
        Assert.IsTrue(draws[..500].All(v => v is 1 or 2) && draws[500..].All(v => v is 0 or 3), "zero weights are never drawn");
        double share = draws[..500].Count(v => v == 2) / 500.0;
        Assert.IsTrue(share is > 0.68 and < 0.82, $"category 2 has weight 3/4, drawn {share}");
        var without = w.Multinomial(2, generator: new Generator(3)).ToArray<long>();
        CollectionAssert.AreEquivalent(new long[] { 1, 2 }, without[..2], "without replacement: the two categories with weight");
        CollectionAssert.AreEquivalent(new long[] { 0, 3 }, without[2..]);
        CollectionAssert.AreEqual(w.Multinomial(3, true, new Generator(5)).ToArray<long>(), w.Cuda().Multinomial(3, true, new Generator(5)).Cpu().ToArray<long>(), "CUDA draws as the CPU");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { 1.0, -1.0 }).Multinomial(1)).Message, "element < 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { 1.0, double.NaN }).Multinomial(1)).Message, "`nan`");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { double.PositiveInfinity, 1.0 }).Multinomial(1)).Message, "`inf`");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { 0.0, 0.0 }).Multinomial(1)).Message, "sum of probabilities <= 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Tensor.From(new[] { 1.0, 1.0 }).Multinomial(3)).Message, "without replacement (3 > 2");
    }

    private static void CudaClose(Tensor cpu, Tensor gpu, string what)
    {
        Assert.AreEqual(Device.Cuda(), gpu.Device, what);
        Assert.AreEqual(cpu.DType, gpu.DType, what);
        CollectionAssert.AreEqual(cpu.Shape.ToArray(), gpu.Shape.ToArray(), what);
        TestUtil.AssertClose(Reference.Values(cpu), Reference.Values(gpu.Cpu()), 1e-6, what);
    }
}

/// <summary>Shared assertions of the new op tests.</summary>
internal static class TestUtil
{
    /// <summary>|a − e| ≤ tol·(1 + |e|) everywhere; NaN only where NaN is expected.</summary>
    public static void AssertClose(double[] expected, double[] actual, double tol, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNaN(expected[i])) { Assert.IsTrue(double.IsNaN(actual[i]), $"{what}[{i}]: {actual[i]} vs NaN"); continue; }
            if (double.IsInfinity(expected[i])) { Assert.AreEqual(expected[i], actual[i], $"{what}[{i}]"); continue; }
            Assert.IsTrue(Math.Abs(actual[i] - expected[i]) <= tol * (1 + Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
        }
    }
}
