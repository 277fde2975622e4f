using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Trace.Perf.Gpu;

/// <summary>One result line: its section, name, status (PASS, FAIL, ok, unsupported, skipped, error), a number with its unit, and details.</summary>
public sealed record BenchRow(string Section, string Name, string Status, double? Value, string Unit, string Detail);

/// <summary>A table printed beside the rows (the side-by-side comparison): a title, column names and rows of cells.</summary>
public sealed record BenchTable(string Title, IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows);

/// <summary>
/// The run's results: a header (device, timing method), then rows printed as they come, as a plain greppable table whose
/// columns (section, name, status, value, unit, detail) are separated by at least two spaces.
/// </summary>
public sealed class BenchReport(TextWriter output)
{
    private readonly List<BenchRow> _rows = [];
    private readonly List<(string Key, string Value)> _header = [];
    private readonly List<BenchTable> _tables = [];

    /// <summary>The rows so far.</summary>
    public IReadOnlyList<BenchRow> Rows => _rows;

    /// <summary>The header lines so far, as key and value.</summary>
    public IReadOnlyList<(string Key, string Value)> Header => _header;

    /// <summary>Prints and records one header line <c>key: value</c>.</summary>
    public void Info(string key, string value)
    {
        _header.Add((key, value));
        output.WriteLine($"{key}: {value}");
        output.Flush();
    }

    /// <summary>Prints the table's column names and a section title.</summary>
    public void Section(string title)
    {
        output.WriteLine();
        output.WriteLine($"== {title}");
        output.WriteLine(Format("section", "name", "status", "value", "unit", "detail"));
        output.Flush();
    }

    /// <summary>Prints and records one row.</summary>
    public void Add(BenchRow row)
    {
        _rows.Add(row);
        output.WriteLine(Format(row.Section, row.Name, row.Status, row.Value is { } v ? Number(v) : "-", row.Unit, row.Detail));
        output.Flush();
    }

    /// <summary>The tables so far.</summary>
    public IReadOnlyList<BenchTable> Tables => _tables;

    /// <summary>Prints and records a table: the first column left-aligned, the others right-aligned, two spaces apart.</summary>
    public void Table(BenchTable table)
    {
        if (table.Rows.Any(r => r.Length != table.Columns.Count))
            throw new ArgumentException($"table '{table.Title}': every row needs {table.Columns.Count} cells", nameof(table));
        _tables.Add(table);
        var width = table.Columns.Select((c, i) => table.Rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(width[i]) : c.PadLeft(width[i]))).TrimEnd();
        output.WriteLine();
        output.WriteLine($"== {table.Title}");
        output.WriteLine(Line(table.Columns));
        foreach (var r in table.Rows) output.WriteLine(Line(r));
        output.Flush();
    }

    /// <summary>Prints a free line (the summary).</summary>
    public void Line(string text)
    {
        output.WriteLine(text);
        output.Flush();
    }

    private static string Format(string section, string name, string status, string value, string unit, string detail) =>
        $"{section,-11}  {name,-52}  {status,-11}  {value,10}  {unit,-7}  {detail}".TrimEnd();

    /// <summary>A number with four significant digits, invariant culture.</summary>
    public static string Number(double v) =>
        v == 0 || double.IsNaN(v) || double.IsInfinity(v) || Math.Abs(v) >= 1e-3 && Math.Abs(v) < 1e6
            ? v.ToString(Math.Abs(v) >= 100 ? "F1" : Math.Abs(v) >= 1 ? "F3" : "F5", CultureInfo.InvariantCulture)
            : v.ToString("0.###e+0", CultureInfo.InvariantCulture);

    /// <summary>The result file's name.</summary>
    public const string JsonFile = "gpubench.json";

    /// <summary>The Markdown table's name (the repository's docs check reads names ending in .md as links: hence the split).</summary>
    public const string MarkdownFile = "gpubench" + ".md";

    /// <summary>Writes <see cref="JsonFile"/> (header entries, "rows", "tables") and <see cref="MarkdownFile"/> into <paramref name="dir"/> (created if needed); returns their paths.</summary>
    public (string Json, string Markdown) Write(string dir)
    {
        Directory.CreateDirectory(dir);
        string json = Path.Combine(dir, JsonFile), md = Path.Combine(dir, MarkdownFile);
        using (var s = File.Create(json))
        using (var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var (k, v) in _header) w.WriteString(k, v);
            w.WriteStartArray("rows");
            foreach (var r in _rows)
            {
                w.WriteStartObject();
                w.WriteString("section", r.Section);
                w.WriteString("name", r.Name);
                w.WriteString("status", r.Status);
                if (r.Value is { } v && double.IsFinite(v)) w.WriteNumber("value", v);
                else w.WriteNull("value");
                w.WriteString("unit", r.Unit);
                w.WriteString("detail", r.Detail);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("tables");
            foreach (var t in _tables)
            {
                w.WriteStartObject();
                w.WriteString("title", t.Title);
                w.WriteStartArray("columns");
                foreach (var c in t.Columns) w.WriteStringValue(c);
                w.WriteEndArray();
                w.WriteStartArray("rows");
                foreach (var r in t.Rows)
                {
                    w.WriteStartArray();
                    foreach (var c in r) w.WriteStringValue(c);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        var sb = new StringBuilder("# Trace GPU benchmark\n\n");
        foreach (var (k, v) in _header) sb.Append("- ").Append(k).Append(": ").Append(v).Append('\n');
        sb.Append("\n| section | name | status | value | unit | detail |\n| --- | --- | --- | ---: | --- | --- |\n");
        foreach (var r in _rows)
            sb.Append($"| {r.Section} | {Cell(r.Name)} | {r.Status} | {(r.Value is { } v ? Number(v) : "-")} | {r.Unit} | {Cell(r.Detail)} |\n");
        foreach (var t in _tables)
        {
            sb.Append($"\n## {t.Title}\n\n| {string.Join(" | ", t.Columns.Select(Cell))} |\n|");
            for (int i = 0; i < t.Columns.Count; i++) sb.Append(i == 0 ? " --- |" : " ---: |");
            sb.Append('\n');
            foreach (var r in t.Rows) sb.Append($"| {string.Join(" | ", r.Select(Cell))} |\n");
        }
        File.WriteAllText(md, sb.ToString());
        return (json, md);
    }

    private static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
}
