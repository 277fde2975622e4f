using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests;

[TestClass]
public class ParallelRangeTests
{
    [TestMethod]
    public void RunSegmentsVisitsEveryElementOnceInPiecesOfAtMostTheGrain()
    {
        int[] lengths = [5, 0, 70_000, 1, 0, 33_000, 131_072, 3];
        const int grain = 1 << 15;
        var hits = lengths.Select(n => new int[n]).ToArray();
        int biggest = 0;
        ParallelRange.RunSegments(lengths, grain, (seg, s, e) =>
        {
            Assert.IsTrue(s >= 0 && s < e && e <= lengths[seg], $"piece [{s}, {e}) of segment {seg} (length {lengths[seg]})");
            InterlockedMax(ref biggest, e - s);
            for (int i = s; i < e; i++) Interlocked.Increment(ref hits[seg][i]);
        });
        for (int k = 0; k < lengths.Length; k++)
            Assert.IsTrue(hits[k].All(h => h == 1), $"segment {k}: every element exactly once");
        Assert.IsTrue(biggest <= grain, $"largest piece {biggest}");
        ParallelRange.RunSegments([], grain, (_, _, _) => Assert.Fail("nothing to run"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}
