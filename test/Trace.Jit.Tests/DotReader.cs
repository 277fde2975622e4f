using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Trace.Jit.Tests;

/// <summary>
/// Reads back the DOT that <see cref="DotPrinter"/> writes (one statement a line): node ids with their unescaped
/// labels and the cluster holding them, edges, clusters with their labels. Also runs Graphviz's <c>dot</c> when present.
/// </summary>
internal sealed partial class DotReader
{
    public Dictionary<string, List<(string Label, string? Cluster)>> Nodes { get; } = [];
    public List<(string From, string To)> Edges { get; } = [];
    public Dictionary<string, string> ClusterLabels { get; } = [];

    [GeneratedRegex(@"^\s*(\w+) \[label=(""(?:[^""\\]|\\.)*"")")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\s*(\w+) -> (\w+)\b")]
    private static partial Regex EdgeLine();

    [GeneratedRegex(@"^\s*subgraph (cluster_\d+) \{$")]
    private static partial Regex ClusterOpen();

    [GeneratedRegex(@"^\s*label=(""(?:[^""\\]|\\.)*"");$")]
    private static partial Regex ClusterLabel();

    public DotReader(string dot)
    {
        var open = new Stack<string>();
        foreach (var line in dot.Split('\n'))
        {
            Match m;
            if ((m = ClusterOpen().Match(line)).Success) open.Push(m.Groups[1].Value);
            else if (line.Trim() == "}" && open.Count > 0) open.Pop();
            else if ((m = EdgeLine().Match(line)).Success) Edges.Add((m.Groups[1].Value, m.Groups[2].Value));
            else if ((m = NodeLine().Match(line)).Success)
            {
                if (!Nodes.TryGetValue(m.Groups[1].Value, out var list)) Nodes[m.Groups[1].Value] = list = [];
                list.Add((Unquote(m.Groups[2].Value), open.Count > 0 ? open.Peek() : null));
            }
            else if (open.Count > 0 && (m = ClusterLabel().Match(line)).Success) ClusterLabels[open.Peek()] = Unquote(m.Groups[1].Value);
        }
    }

    /// <summary>The text of a quoted DOT string: <c>\"</c>, <c>\\</c>, <c>\n</c> (a line break) and the entities &amp;amp; &amp;lt; &amp;gt; decoded.</summary>
    public static string Unquote(string quoted)
    {
        if (quoted.Length < 2 || quoted[0] != '"' || quoted[^1] != '"') throw new FormatException($"not a quoted DOT string: {quoted}");
        var sb = new StringBuilder();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            char c = quoted[i];
            if (c == '"') throw new FormatException($"unescaped quote at {i} in {quoted}");
            if (c == '&')
            {
                int semi = quoted.IndexOf(';', i);
                string entity = semi < 0 ? "" : quoted[i..(semi + 1)];
                sb.Append(entity switch { "&amp;" => '&', "&lt;" => '<', "&gt;" => '>', _ => throw new FormatException($"bare & at {i} in {quoted}") });
                i = semi;
                continue;
            }
            if (c != '\\') { sb.Append(c); continue; }
            char e = quoted[++i];
            sb.Append(e switch { 'n' => '\n', '"' => '"', '\\' => '\\', _ => throw new FormatException($"unexpected escape \\{e} in {quoted}") });
        }
        return sb.ToString();
    }

    /// <summary>The full path of Graphviz's <c>dot</c> on PATH, or null.</summary>
    public static string? FindDot() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "dot")).FirstOrDefault(File.Exists);

    /// <summary>Runs <c>dot -Tsvg</c> on <paramref name="dot"/> and returns the texts of the SVG's &lt;text&gt; and &lt;title&gt; elements.</summary>
    public static (List<string> Texts, List<string> Titles) RenderSvg(string dotPath, string dot)
    {
        var psi = new ProcessStartInfo(dotPath, "-Tsvg") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(dot);
        p.StandardInput.Close();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"dot -Tsvg exited with {p.ExitCode}: {stderr.Result}\n{dot}");
        using var reader = System.Xml.XmlReader.Create(new StringReader(stdout.Result), new System.Xml.XmlReaderSettings { DtdProcessing = System.Xml.DtdProcessing.Ignore });
        var svg = XDocument.Load(reader);
        XNamespace ns = "http://www.w3.org/2000/svg";
        return (svg.Descendants(ns + "text").Select(t => t.Value).ToList(), svg.Descendants(ns + "title").Select(t => t.Value).ToList());
    }
}
