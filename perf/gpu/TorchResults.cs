using System.Text.Json;

namespace Trace.Perf.Gpu;

/// <summary>
/// The results of <c>perf/gpu/torch_bench.py</c> (its <c>torch_bench.json</c>): a header (torch version, device, CPU
/// threads) and one row per workload, backend (<c>cuda</c>, <c>cpu</c>) and mode (<c>eager</c>, <c>compile</c>).
/// </summary>
public sealed class TorchResults
{
    /// <summary>One row: status (ok, error, skipped, unsupported), the median in ms when ok, and its detail.</summary>
    public sealed record Row(string Id, string Backend, string Mode, string Status, double? MedianMs, string Detail);

    private readonly Dictionary<(string, string, string), Row> _rows = [];

    /// <summary>The header's entries as text.</summary>
    public IReadOnlyDictionary<string, string> Header { get; }

    /// <summary>The rows in the file's order.</summary>
    public IReadOnlyList<Row> Rows { get; }

    private TorchResults(Dictionary<string, string> header, List<Row> rows)
    {
        Header = header;
        Rows = rows;
        foreach (var r in rows) _rows[(r.Id, r.Backend, r.Mode)] = r;
    }

    /// <summary>The row of a workload, backend and mode, or null.</summary>
    public Row? Get(string id, string backend, string mode) => _rows.GetValueOrDefault((id, backend, mode));

    /// <summary>The median of an ok row, or null.</summary>
    public double? Ms(string id, string backend, string mode) => Get(id, backend, mode) is { Status: "ok", MedianMs: { } ms } ? ms : null;

    /// <summary>"torch 2.11.0 on NVIDIA H200, 16 CPU threads" for the report's header.</summary>
    public string Describe() =>
        $"torch {Header.GetValueOrDefault("torch", "?")} on {Header.GetValueOrDefault("device", "?")}, {Header.GetValueOrDefault("cpu_threads", "?")} CPU threads, " +
        $"float32 matmul precision {Header.GetValueOrDefault("float32_matmul_precision", "?")}";

    /// <summary>Reads the file; an <see cref="InvalidDataException"/> naming the file and what is wrong when it is not such a file.</summary>
    public static TorchResults Load(string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: not a torch_bench.py result (no \"rows\" array)");
            var header = new Dictionary<string, string>();
            if (root.TryGetProperty("header", out var h) && h.ValueKind == JsonValueKind.Object)
                foreach (var p in h.EnumerateObject()) header[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            var list = new List<Row>();
            int i = 0;
            foreach (var r in rows.EnumerateArray())
            {
                string Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                    : throw new InvalidDataException($"{path}: row {i} has no string \"{name}\"");
                double? ms = r.TryGetProperty("median_ms", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetDouble() : null;
                string detail = r.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
                list.Add(new Row(Text("id"), Text("backend"), Text("mode"), Text("status"), ms, detail));
                i++;
            }
            return new TorchResults(header, list);
        }
    }
}
