using System.Diagnostics;
using System.Text;

namespace Trace.Jit;

/// <summary>
/// Per-node timing of compiled and interpreted graph runs on this thread, grouped by node kind and output
/// shape (fusion groups by their body's ops): <c>using (var p = OpProfile.Start()) { ... } Console.Write(p);</c>.
/// Costs one null check per node while no profile is active.
/// </summary>
public sealed class OpProfile : IDisposable
{
    [ThreadStatic] private static OpProfile? _current;
    private readonly OpProfile? _previous;
    private readonly Dictionary<string, (double Ms, int Count)> _rows = [];
    private bool _disposed;

    private OpProfile() => _previous = _current;

    /// <summary>Starts profiling graph runs on this thread until the profile is disposed.</summary>
    public static OpProfile Start()
    {
        var p = new OpProfile();
        _current = p;
        return p;
    }

    internal static OpProfile? Current => _current;

    /// <summary>Total milliseconds and call count per row key (<c>kind shape</c>).</summary>
    public IReadOnlyDictionary<string, (double Ms, int Count)> Rows => _rows;

    internal static long Begin() => Stopwatch.GetTimestamp();

    internal void End(Node n, long start)
    {
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        string kind = n.Subgraph is { } body
            ? "FusionGroup[" + string.Join(",", body.Nodes.Where(b => b.Kind.StartsWith("aten::", StringComparison.Ordinal)).Select(b => b.Kind[6..])) + "]"
            : n.Kind;
        string key = n.Outputs.Count == 1 && n.Output.TensorType is { } t ? $"{kind} {SymbolicDims.FormatShape(t.Shape)}" : kind;
        _rows.TryGetValue(key, out var r);
        _rows[key] = (r.Ms + ms, r.Count + 1);
    }

    /// <summary>Stops profiling (restores any profile that was active before).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _current = _previous;
    }

    /// <summary>The rows sorted by total time, with their share of the total.</summary>
    public override string ToString()
    {
        double total = _rows.Values.Sum(r => r.Ms);
        var sb = new StringBuilder($"{"node",-60} {"total ms",10} {"calls",7} {"share",6}\n");
        foreach (var (key, (ms, count)) in _rows.OrderByDescending(r => r.Value.Ms))
            sb.Append($"{(key.Length > 60 ? key[..57] + "..." : key),-60} {ms,10:F3} {count,7} {ms / total,6:P0}\n");
        return sb.Append($"{"total",-60} {total,10:F3}\n").ToString();
    }
}
