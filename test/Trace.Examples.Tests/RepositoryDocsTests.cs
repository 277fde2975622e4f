using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Examples.Tests;

/// <summary>
/// The repository stands alone: no file points outside it, every <c>*.md</c> path a file names exists, and every
/// Markdown link (file and heading anchor) resolves.
/// </summary>
[TestClass]
public partial class RepositoryDocsTests
{
    private static readonly string[] Extensions = [".cs", ".md", ".csproj", ".props", ".sh", ".py", ".json", ".sln"];
    private static readonly string[] SkippedDirs = ["bin", "obj", ".git", "TestResults", "BenchmarkDotNet.Artifacts", ".vs"];

    /// <summary>The repository root: the nearest folder above the test binaries that holds Trace.sln.</summary>
    public static string Root()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Trace.sln"))) return d.FullName;
        throw new InvalidOperationException($"no Trace.sln above {AppContext.BaseDirectory}");
    }

    private static IEnumerable<string> Files(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir))
            if (Extensions.Contains(Path.GetExtension(f)) || Path.GetFileName(f) == "run") yield return f;
        foreach (var sub in Directory.EnumerateDirectories(dir))
            if (!SkippedDirs.Contains(Path.GetFileName(sub)))
                foreach (var f in Files(sub)) yield return f;
    }

    // A path ending in .md: letters, digits and ._/- before it, not preceded by another path character or "://".
    [GeneratedRegex(@"(?<![\w./:-])((?:\.\./|\./)*[\w-]+(?:/[\w.-]+)*\.md)\b")]
    private static partial Regex MdPath();

    [GeneratedRegex(@"\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex MdLink();

    /// <summary>Problems found in <paramref name="text"/> of the file at <paramref name="path"/> under <paramref name="root"/>.</summary>
    public static IEnumerable<string> Problems(string root, string path, string text)
    {
        string rel = Path.GetRelativePath(root, path);
        string dir = Path.GetDirectoryName(path)!;
        int lineNo = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNo++;
            foreach (var outside in new[] { "../" + "shared", "/" + "work/" })
                if (line.Contains(outside, StringComparison.Ordinal)) yield return $"{rel}:{lineNo}: refers outside the repository ({outside})";
            foreach (Match m in MdPath().Matches(line))
            {
                string p = m.Groups[1].Value;
                if (!File.Exists(Path.Combine(dir, p)) && !File.Exists(Path.Combine(root, p)))
                    yield return $"{rel}:{lineNo}: names {p}, which is not in the repository";
            }
            if (!path.EndsWith(".md", StringComparison.Ordinal)) continue;
            foreach (Match m in MdLink().Matches(line))
            {
                string target = m.Groups[1].Value;
                if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal)) continue;
                int hash = target.IndexOf('#');
                string file = hash >= 0 ? target[..hash] : target;
                string anchor = hash >= 0 ? target[(hash + 1)..] : "";
                string full = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(dir, file));
                if (!File.Exists(full) && !Directory.Exists(full)) { yield return $"{rel}:{lineNo}: link to {target}: no such file"; continue; }
                if (anchor.Length > 0 && full.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(full)).Contains(anchor))
                    yield return $"{rel}:{lineNo}: link to {target}: no heading with that anchor";
            }
        }
    }

    /// <summary>GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens.</summary>
    public static HashSet<string> Anchors(string markdown)
    {
        var set = new HashSet<string>();
        bool fence = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("```", StringComparison.Ordinal)) fence = !fence;
            if (fence || !line.StartsWith('#')) continue;
            var title = line.TrimStart('#').Trim().ToLowerInvariant();
            set.Add(new string(title.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-'));
        }
        return set;
    }

    [TestMethod]
    public void EveryReferenceInTheRepositoryResolvesInsideIt()
    {
        string root = Root();
        var files = Files(root).ToList();
        Assert.IsTrue(files.Count > 100, $"expected the repository's files under {root}, found {files.Count}");
        var problems = files.SelectMany(f => Problems(root, f, File.ReadAllText(f))).ToList();
        Assert.AreEqual(0, problems.Count, "\n" + string.Join("\n", problems));
    }

    [TestMethod]
    public void TheCheckFindsEachKindOfBrokenReference()
    {
        string root = Root();
        string readme = Path.Combine(root, "README.md");
        const string md = ".md";   // split so that this file does not itself name missing documents
        string[] broken =
        [
            "see DESIGN" + md,                                // a document that is not in the repository
            "read ../" + "shared/GPU" + md,                   // outside the repository
            "[bench](docs/NOPE" + md + ")",                   // a link to a missing file
            "[g](docs/BENCHMARKS.md#no-such-heading)",        // a link to a missing heading
            "[g](#no-such-heading-here)",                     // an in-page anchor that does not exist
        ];
        foreach (var text in broken)
            Assert.AreNotEqual(0, Problems(root, readme, text).Count(), $"not caught: {text}");
        string[] fine =
        [
            "see docs/FACTS.md and [b](docs/BENCHMARKS.md#goals)",
            "[guarantees](#what-tracing-guarantees-and-what-it-cannot-see)",
            "https://example.org/DESIGN" + md,
        ];
        foreach (var text in fine)
            Assert.AreEqual(0, Problems(root, readme, text).Count(), $"flagged: {text}: {string.Join("; ", Problems(root, readme, text))}");
    }
}
