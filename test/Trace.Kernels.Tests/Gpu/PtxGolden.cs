using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Kernels.Tests.Gpu;

/// <summary>
/// Golden PTX files (<c>Gpu/Golden/*.ptx</c>, copied to the test output): a kernel's PTX is compared with its golden
/// file in a normalized form that keeps the instructions and drops what varies with ILGPU's version and process state —
/// comments, blank lines, the <c>.version</c>/<c>.target</c>/<c>.address_size</c> header, and the node ids ILGPU appends
/// to labels (<c>L_29671</c>) and parameter names (<c>_a_4002</c>), which are renumbered in order of first use. Register
/// numbers are kept: ILGPU allocates them deterministically for the same IL. On a mismatch the test fails with a diff
/// summary and the path of the actual file written beside the golden one; <c>TRACE_UPDATE_GOLDEN=1</c> rewrites the
/// golden files in the source tree instead.
/// </summary>
internal static partial class PtxGolden
{
    /// <summary>The environment variable that rewrites the golden files.</summary>
    public const string UpdateVariable = "TRACE_UPDATE_GOLDEN";

    [GeneratedRegex(@"\bL_\d+\b")]
    private static partial Regex Label();

    [GeneratedRegex(@"\b(_[A-Za-z][A-Za-z0-9]*)_\d+\b")]
    private static partial Regex Param();

    [GeneratedRegex(@"[ \t]+")]
    private static partial Regex Space();

    /// <summary>The normalized form of <paramref name="ptx"/>: one instruction or directive per line, single spaces.</summary>
    public static string Normalize(string ptx)
    {
        var labels = new Dictionary<string, string>();
        var sb = new StringBuilder();
        foreach (var raw in ptx.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal)) continue;
            if (line.StartsWith(".version", StringComparison.Ordinal) || line.StartsWith(".target", StringComparison.Ordinal)
                || line.StartsWith(".address_size", StringComparison.Ordinal)) continue;
            line = Label().Replace(line, m =>
            {
                if (!labels.TryGetValue(m.Value, out var name)) labels[m.Value] = name = $"L{labels.Count}";
                return name;
            });
            line = Param().Replace(line, "$1");
            sb.Append(Space().Replace(line, " ")).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The loop of a normalized kernel that holds its first <paramref name="marker"/> instruction: from the label before
    /// that line to the branch back to the label (the inner loop of a tiled kernel, say).
    /// </summary>
    public static string Loop(string normalized, string marker)
    {
        var lines = normalized.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith(marker, StringComparison.Ordinal));
        if (at < 0) throw new AssertFailedException($"PTX golden: no '{marker}' instruction in the kernel.");
        int start = Array.FindLastIndex(lines, at, l => l.EndsWith(':'));
        if (start < 0) throw new AssertFailedException($"PTX golden: no label before the first '{marker}'.");
        string back = $"bra.uni {lines[start][..^1]};";
        int end = Array.FindIndex(lines, at, l => l == back);
        if (end < 0) throw new AssertFailedException($"PTX golden: no '{back}' closing the loop around the first '{marker}'.");
        return string.Join('\n', lines[start..(end + 1)]) + "\n";
    }

    /// <summary>
    /// Asserts that <paramref name="normalized"/> equals the golden file <paramref name="name"/>.ptx (normalized too, so
    /// the golden file may carry comment lines).
    /// </summary>
    public static void Check(string name, string normalized, string what, [CallerFilePath] string source = "")
    {
        string sourceFile = Path.Combine(Path.GetDirectoryName(source)!, "Golden", name + ".ptx");
        string header = $"// Golden PTX ({what}) for sm_90 at O2, normalized (see PtxGolden.cs).\n" +
            $"// Regenerate: {UpdateVariable}=1 dotnet test test/Trace.Kernels.Tests -c Release --filter FullyQualifiedName~PtxGoldenTests\n";
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(sourceFile, header + normalized);
            return;
        }
        string golden = Path.Combine(AppContext.BaseDirectory, "Gpu", "Golden", name + ".ptx");
        Assert.IsTrue(File.Exists(golden), $"PTX golden: no golden file {golden}; run with {UpdateVariable}=1 to create it.");
        string expected = Normalize(File.ReadAllText(golden));
        if (expected == normalized) return;
        string actual = Path.Combine(AppContext.BaseDirectory, "Gpu", "Golden", name + ".actual.ptx");
        File.WriteAllText(actual, header + normalized);
        Assert.Fail($"PTX golden: {what} differs from {name}.ptx. {Summary(expected, normalized)}\n" +
            $"Actual written to {actual}; if the change is intended, rerun with {UpdateVariable}=1 (rewrites {sourceFile}).");
    }

    /// <summary>Line counts, the instruction mix that changed, and the first differing lines.</summary>
    private static string Summary(string expected, string actual)
    {
        var e = expected.TrimEnd('\n').Split('\n');
        var a = actual.TrimEnd('\n').Split('\n');
        var sb = new StringBuilder($"Golden {e.Length} lines, actual {a.Length}.");
        static Dictionary<string, int> Mix(string[] lines) => lines.Select(l => l.Split(' ')[0]).GroupBy(op => op).ToDictionary(g => g.Key, g => g.Count());
        var (me, ma) = (Mix(e), Mix(a));
        var changed = me.Keys.Union(ma.Keys).Where(k => me.GetValueOrDefault(k) != ma.GetValueOrDefault(k))
            .Select(k => $"{k} {me.GetValueOrDefault(k)}→{ma.GetValueOrDefault(k)}").Take(12).ToList();
        if (changed.Count > 0) sb.Append(" Instruction counts changed: ").Append(string.Join(", ", changed)).Append('.');
        int shown = 0;
        for (int i = 0; i < Math.Max(e.Length, a.Length) && shown < 8; i++)
        {
            string el = i < e.Length ? e[i] : "<end>", al = i < a.Length ? a[i] : "<end>";
            if (el == al) continue;
            sb.Append($"\n  line {i + 1}: golden '{el}' | actual '{al}'");
            shown++;
        }
        return sb.ToString();
    }
}
