using System.Globalization;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using JitApi = Trace.Jit.Jit;

namespace Trace.Examples.Tests;

/// <summary>The main job's first screen: timings from Jit.Compare (warm-up, then samples), printed as they were measured.</summary>
[TestClass]
public class QuickStartTests
{
    [TestMethod]
    public void CompareWarmsUpBeforeSamplingAndReportsBothCounts()
    {
        int eager = 0, traced = 0;
        var r = JitApi.Compare(() => eager++, () => traced++, traceMs: 0, warmup: 5, budgetMs: 20);
        Assert.AreEqual(r.Warmups + r.Samples, eager, "every eager call is a warm-up or a sample");
        Assert.AreEqual(eager, traced, "eager and traced alternate");
        Assert.IsTrue(r.Warmups >= 5, $"at least the requested warm-up: {r.Warmups}");
        Assert.IsTrue(r.Samples >= 7, $"at least 7 samples: {r.Samples}");
        // The warm-up runs first: a step that is slow only on its first calls does not reach the median.
        int calls = 0;
        var slowStart = JitApi.Compare(() => { if (calls++ < 3) Thread.Sleep(50); }, () => { }, 0, warmup: 5, budgetMs: 20);
        Assert.IsTrue(slowStart.EagerMs < 25, $"the slow first calls were warm-up, not samples: median {slowStart.EagerMs:F1} ms");
    }

    [TestMethod]
    public void TheFirstScreenSaysWhatIsMeasuredAndPrintsEachRowsNumbers()
    {
        var rows = QuickStart.FirstScreen.Measure(budgetMs: 60);
        Assert.AreEqual(3, rows.Count);
        string screen = QuickStart.FirstScreen.Format(rows);
        var lines = screen.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        StringAssert.StartsWith(lines[0], "Trace main job: eager vs traced");
        StringAssert.Contains(screen, "median of `timed` calls, after `warm-up` untimed calls");
        int header = Array.FindIndex(lines, l => l.StartsWith("workload", StringComparison.Ordinal));
        Assert.IsTrue(header > 0, screen);
        foreach (var col in new[] { "eager ms", "traced ms", "speedup", "timed", "warm-up", "trace+compile" })
            StringAssert.Contains(lines[header], col);
        for (int i = 0; i < rows.Count; i++)
        {
            var (name, r) = rows[i];
            string line = lines[header + 1 + i];
            Assert.AreEqual(lines[header].Length, line.Length, $"row {i} aligned with the header:\n{lines[header]}\n{line}");
            StringAssert.StartsWith(line, name);
            Assert.IsTrue(r.EagerMs > 0 && r.TracedMs > 0 && r.Warmups >= 5 && r.Samples >= 7, $"{name}: {r}");
            var cells = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // eager ±spread traced ±spread speedup timed warm-up trace ms
            Assert.AreEqual(r.EagerMs, double.Parse(cells[0], CultureInfo.InvariantCulture), 6e-4, line);
            Assert.AreEqual(r.TracedMs, double.Parse(cells[2], CultureInfo.InvariantCulture), 6e-4, line);
            double speedup = double.Parse(cells[4].TrimEnd('x'), CultureInfo.InvariantCulture);
            Assert.AreEqual(r.EagerMs / r.TracedMs, speedup, 5e-3, $"speedup is eager / traced: {line}");
            Assert.AreEqual(r.Samples.ToString(CultureInfo.InvariantCulture), cells[5], line);
            Assert.AreEqual(r.Warmups.ToString(CultureInfo.InvariantCulture), cells[6], line);
        }
    }
}
