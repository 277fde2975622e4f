using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// The JSON values of optimizer and scheduler state dicts. A finite double is a JSON number written in its shortest
/// round-trip form (reading it back gives the same bits); an infinite or NaN one, which JSON has no number for, is the
/// string Python prints (<c>"inf"</c>, <c>"-inf"</c>, <c>"nan"</c>). Readers say which entry is wrong and why.
/// </summary>
internal static class StateJson
{
    /// <summary>A double as JSON: a number, or <c>"inf"</c>/<c>"-inf"</c>/<c>"nan"</c>.</summary>
    public static JsonNode Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : JsonValue.Create(PyFloat.Repr(v));

    /// <summary>A list of doubles as a JSON array.</summary>
    public static JsonArray Numbers(IEnumerable<double> values) => [.. values.Select(Number)];

    /// <summary>A list of ints as a JSON array.</summary>
    public static JsonArray Ints(IEnumerable<int> values) => [.. values.Select(v => (JsonNode)JsonValue.Create(v))];

    /// <summary>Reads a double written by <see cref="Number"/>.</summary>
    /// <exception cref="ArgumentException">The node is missing or not a number.</exception>
    public static double ReadDouble(JsonNode? node, string what)
    {
        if (node is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number) return Element(v).GetDouble();
            if (v.GetValueKind() == JsonValueKind.String)
                switch (v.GetValue<string>())
                {
                    case "inf": return double.PositiveInfinity;
                    case "-inf": return double.NegativeInfinity;
                    case "nan": return double.NaN;
                }
        }
        throw Bad(what, "a number", node);
    }

    /// <summary>Reads a JSON integer that fits an int.</summary>
    /// <exception cref="ArgumentException">The node is missing or not an integer.</exception>
    public static int ReadInt(JsonNode? node, string what)
    {
        long v = ReadLong(node, what);
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw Bad(what, "an integer that fits in 32 bits", node);
    }

    /// <summary>Reads a JSON integer.</summary>
    /// <exception cref="ArgumentException">The node is missing or not an integer.</exception>
    public static long ReadLong(JsonNode? node, string what) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Element(v).TryGetInt64(out long l) ? l : throw Bad(what, "an integer", node);

    /// <summary>A number node as a JsonElement, whatever .NET value it was created from (int, long, double) or parsed.</summary>
    private static JsonElement Element(JsonValue v) => v.TryGetValue<JsonElement>(out var e) ? e : JsonDocument.Parse(v.ToJsonString()).RootElement.Clone();

    /// <summary>Reads a JSON boolean.</summary>
    /// <exception cref="ArgumentException">The node is missing or not true/false.</exception>
    public static bool ReadBool(JsonNode? node, string what) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? v.GetValue<bool>() : throw Bad(what, "true or false", node);

    /// <summary>Reads a JSON string.</summary>
    /// <exception cref="ArgumentException">The node is missing or not a string.</exception>
    public static string ReadString(JsonNode? node, string what) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw Bad(what, "a string", node);

    /// <summary>Reads an array of doubles, of <paramref name="count"/> entries when it is not null.</summary>
    /// <exception cref="ArgumentException">The node is not an array of numbers, or has another length.</exception>
    public static double[] ReadDoubles(JsonNode? node, string what, int? count = null)
    {
        if (node is not JsonArray a) throw Bad(what, "an array of numbers", node);
        if (count is { } n && a.Count != n) throw new ArgumentException($"{what} has {a.Count} values, expected {n} (one per param group).");
        return [.. a.Select((e, i) => ReadDouble(e, $"{what}[{i}]"))];
    }

    /// <summary>Reads an array of ints.</summary>
    /// <exception cref="ArgumentException">The node is not an array of integers.</exception>
    public static int[] ReadInts(JsonNode? node, string what) => node is JsonArray a
        ? [.. a.Select((e, i) => ReadInt(e, $"{what}[{i}]"))]
        : throw Bad(what, "an array of integers", node);

    /// <summary>Compact JSON text of a node, for messages (<c>null</c> when missing).</summary>
    public static string Text(JsonNode? node) => node?.ToJsonString() ?? "null";

    private static ArgumentException Bad(string what, string expected, JsonNode? got) =>
        new(got is null ? $"{what} is missing (expected {expected})." : $"{what} should be {expected}, got {Text(got)}.");

    /// <summary>Parses JSON text from a file's metadata, as an object.</summary>
    /// <exception cref="InvalidDataException">The text is not a JSON object.</exception>
    public static JsonObject ParseObject(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException($"{what} is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Invariant text of an int, for keys such as <c>state.3.exp_avg</c>.</summary>
    public static string Key(int i) => i.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks a scheduler state dict's header: its <c>type</c> is <paramref name="type"/>, it has no keys but
    /// <paramref name="stateKeys"/> and the hyperparameters, and each hyperparameter equals this scheduler's.
    /// </summary>
    /// <exception cref="ArgumentException">One of those does not hold (the message says which).</exception>
    public static void CheckSchedulerHeader(JsonObject state, string type, IEnumerable<string> stateKeys, IReadOnlyList<(string Name, JsonNode Value)> hyper)
    {
        string saved = ReadString(state["type"], "'type'");
        if (saved != type) throw new ArgumentException($"the state dict is a {saved}'s, not a {type}'s.");
        var known = new HashSet<string>(["type", .. stateKeys, .. hyper.Select(h => h.Name)]);
        foreach (var (k, _) in state)
            if (!known.Contains(k)) throw new ArgumentException($"the state dict has an unknown entry '{k}' (known: {string.Join(", ", known)}).");
        foreach (var (name, ours) in hyper)
            if (Text(state[name]) != Text(ours))
                throw new ArgumentException(
                    $"the state dict has {name} = {Text(state[name])}, this scheduler has {name} = {Text(ours)}; create the scheduler with the hyperparameters it was saved with.");
    }
}
