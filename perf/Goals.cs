using System.Globalization;
using System.Text.RegularExpressions;

namespace Trace.Perf;

/// <summary>
/// The benchmark goals of docs/BENCHMARKS.md checked against libtorch: reads rounds of the libtorch reference's output
/// (perf/libtorch/run.sh) and the quick runner's output taken in the same minutes (perf/compare.sh interleaves them), and
/// prints, per goal, each round's traced ÷ libtorch ratio, their median and whether the median meets the goal.
/// </summary>
public static partial class Goals
{
    /// <summary>One goal: its row label, how to compute its value from one round, the bound, and whether lower is better.</summary>
    private sealed record Goal(string Name, Func<Round, double?> Value, double Bound, bool AtMost, string Unit);

    /// <summary>One interleaved round: libtorch's rows (ms, or GFLOP/s for mm) and Trace's (eager, traced, trace ms; GEMM GFLOP/s).</summary>
    private sealed record Round(Dictionary<string, double> Torch, Dictionary<string, (double Eager, double Traced, double TraceMs)> Trace, Dictionary<int, double> Gemm,
        double Peak, List<double> ShapePercents);

    private static readonly Goal[] All =
    [
        new("SGEMM n=1024 (Trace ÷ libtorch GFLOP/s)", r => Ratio(r.Gemm.GetValueOrDefault(1024), r.Torch.GetValueOrDefault("mm 1024")), 1.2, false, "×"),
        new("SGEMM n=1024 % of the FMA peak", r => r.Peak > 0 && r.Gemm.TryGetValue(1024, out var g) ? 100 * g / r.Peak : null, 84, false, "%"),
        new("W1–W7 GEMM shapes ≥ 70% of peak (share)", r => r.ShapePercents.Count == 0 ? null : 100.0 * r.ShapePercents.Count(p => p >= 70) / r.ShapePercents.Count, 100, false, "%"),
        new("W1 traced ÷ libtorch", r => Traced(r, "W1"), 0.6, true, "×"),
        new("W1 traced speedup over Trace eager", r => r.Trace.TryGetValue("W1", out var t) ? t.Eager / t.Traced : null, 2.0, false, "×"),
        new("W2 traced ÷ libtorch", r => Traced(r, "W2"), 0.3, true, "×"),
        new("W3 traced ÷ libtorch", r => Traced(r, "W3"), 0.35, true, "×"),
        new("W4 traced", r => r.Trace.TryGetValue("W4", out var t) ? t.Traced : null, 1.5, true, "ms"),
        new("W5 traced ÷ libtorch", r => Traced(r, "W5"), 0.75, true, "×"),
        new("W5 trace + compile", r => r.Trace.TryGetValue("W5", out var t) ? t.TraceMs / 1000 : null, 0.25, true, "s"),
        new("W6 traced ÷ libtorch", r => Traced(r, "W6"), 0.7, true, "×"),
        new("W7 traced ÷ libtorch", r => Traced(r, "W7"), 0.7, true, "×"),
    ];

    /// <summary>
    /// Reads every <c>libtorch-N.txt</c> / <c>trace-N.txt</c> pair in <paramref name="dir"/> and writes the goal table.
    /// Returns the number of goals whose median misses (or that could not be computed).
    /// </summary>
    public static int Report(TextWriter o, string dir)
    {
        var rounds = new List<Round>();
        foreach (var torchFile in Directory.GetFiles(dir, "libtorch-*.txt").Order(StringComparer.Ordinal))
        {
            string traceFile = Path.Combine(dir, "trace-" + Path.GetFileName(torchFile)["libtorch-".Length..]);
            if (!File.Exists(traceFile)) continue;
            rounds.Add(Parse(File.ReadAllText(torchFile), File.ReadAllText(traceFile)));
        }
        if (rounds.Count == 0) throw new ArgumentException($"--goals: no libtorch-N.txt / trace-N.txt pairs in {dir}.");
        o.WriteLine($"Goals (docs/BENCHMARKS.md), {rounds.Count} interleaved round(s) from {dir}:");
        o.WriteLine($"{"goal",-40} {"rounds",-28} {"median",8} {"target",9}  met");
        int missed = 0;
        foreach (var goal in All)
        {
            var values = rounds.Select(goal.Value).ToList();
            string each = string.Join(" ", values.Select(v => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "—"));
            var known = values.OfType<double>().Order().ToList();
            double? median = known.Count == 0 ? null : known.Count % 2 == 1 ? known[known.Count / 2] : (known[known.Count / 2 - 1] + known[known.Count / 2]) / 2;
            bool met = median is { } m && (goal.AtMost ? m <= goal.Bound : m >= goal.Bound);
            if (!met) missed++;
            string target = (goal.AtMost ? "≤ " : "≥ ") + goal.Bound.ToString(CultureInfo.InvariantCulture) + " " + goal.Unit;
            o.WriteLine($"{goal.Name,-40} {each,-28} {(median is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "—"),8} {target,9}  {(met ? "yes" : "no")}");
        }
        return missed;
    }

    private static double? Traced(Round r, string id) =>
        r.Trace.TryGetValue(id, out var t) ? Ratio(t.Traced, r.Torch.GetValueOrDefault(id)) : null;

    private static double? Ratio(double a, double b) => a > 0 && b > 0 ? a / b : null;

    /// <summary>Parses one round: libtorch rows <c>W1 … 0.160 ms/iter</c> and <c>mm 1024 … 218.7 GFLOP/s</c>; Trace rows <c>W1  eager … ms  traced … ms … trace … ms</c> and <c>GEMM n=1024 1024×1024×1024 A·B … µs … GFLOP/s … of peak</c>.</summary>
    private static Round Parse(string torch, string trace)
    {
        var t = new Dictionary<string, double>();
        foreach (Match m in TorchRow().Matches(torch)) t[m.Groups[1].Value] = D(m.Groups[2]);
        foreach (Match m in TorchGemm().Matches(torch)) t["mm " + m.Groups[1].Value] = D(m.Groups[2]);
        var w = new Dictionary<string, (double, double, double)>();
        foreach (Match m in TraceRow().Matches(trace)) w[m.Groups[1].Value] = (D(m.Groups[2]), D(m.Groups[3]), D(m.Groups[4]));
        var gemm = new Dictionary<int, double>();
        foreach (Match m in TraceGemm().Matches(trace)) gemm[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = D(m.Groups[2]);
        var peak = PeakRow().Match(trace) is { Success: true } pm ? D(pm.Groups[1]) : 0;
        var shapes = ShapeRow().Matches(trace).Select(m => D(m.Groups[1])).ToList();
        return new(t, w, gemm, peak, shapes);
    }

    private static double D(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(W\d) .*?([\d.]+) ms/iter", RegexOptions.Multiline)]
    private static partial Regex TorchRow();

    [GeneratedRegex(@"^mm (\d+)\s+([\d.]+) GFLOP/s", RegexOptions.Multiline)]
    private static partial Regex TorchGemm();

    [GeneratedRegex(@"^(W\d)\s+eager ([\d.]+) ms\s+traced ([\d.]+) ms.*?trace ([\d.]+) ms", RegexOptions.Multiline)]
    private static partial Regex TraceRow();

    [GeneratedRegex(@"^GEMM\s+n=(\d+)\s.*?\s([\d.]+) GFLOP/s", RegexOptions.Multiline)]
    private static partial Regex TraceGemm();

    [GeneratedRegex(@"^FMA peak ([\d.]+) GFLOP/s", RegexOptions.Multiline)]
    private static partial Regex PeakRow();

    /// <summary>The quick runner's rows of the workloads' own GEMM shapes (<c>GEMM W5 qkv fwd … 79% of peak</c>), not the square ones.</summary>
    [GeneratedRegex(@"^GEMM W\d.*?\s(\d+)% of peak", RegexOptions.Multiline)]
    private static partial Regex ShapeRow();
}
