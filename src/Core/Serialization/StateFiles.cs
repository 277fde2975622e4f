using System.Text.Json.Nodes;
using Trace.Optim;

namespace Trace.Serialization;

/// <summary>
/// Optimizer and scheduler state in safetensors files. An optimizer's buffers are tensors named
/// <c>&lt;prefix&gt;state.&lt;index&gt;.&lt;name&gt;</c> (<c>state.0.exp_avg</c>); the rest is JSON in the metadata:
/// <c>{"type": "Adam", "state": {"0": {"step": 10}}, "param_groups": [{"lr": 0.001, …, "params": [0, 1]}]}</c>. A
/// scheduler is its JSON state dict alone. Doubles are written in their shortest round-trip form, so they load bit for bit.
/// </summary>
internal static class StateFiles
{
    /// <summary>The metadata key of an optimizer's JSON.</summary>
    public const string OptimizerKey = "trace.optimizer";

    /// <summary>The metadata key of a scheduler's JSON.</summary>
    public const string SchedulerKey = "trace.scheduler";

    /// <summary>Adds <paramref name="optimizer"/>'s buffers to <paramref name="tensors"/> under <paramref name="prefix"/> and returns the JSON of the rest.</summary>
    public static string WriteOptimizer(Optimizer optimizer, string prefix, Dictionary<string, Tensor> tensors)
    {
        var d = optimizer.StateDict();
        var state = new JsonObject();
        foreach (var (i, e) in d.State.OrderBy(kv => kv.Key))
        {
            state[StateJson.Key(i)] = new JsonObject { ["step"] = e.Step };
            foreach (var (name, t) in e.Tensors) tensors[$"{prefix}state.{StateJson.Key(i)}.{name}"] = t;
        }
        var groups = new JsonArray();
        foreach (var g in d.ParamGroups)
        {
            var o = g.Options.DeepClone().AsObject();
            o["params"] = StateJson.Ints(g.Params);
            groups.Add(o);
        }
        return new JsonObject { ["type"] = optimizer.Name, ["state"] = state, ["param_groups"] = groups }.ToJsonString();
    }

    /// <summary>
    /// Reads an optimizer state dict from its JSON and the tensors under <paramref name="prefix"/> (<c>state.…</c>).
    /// </summary>
    /// <exception cref="InvalidDataException">The JSON or a tensor name is malformed.</exception>
    /// <exception cref="ArgumentException">The file holds another optimizer's state.</exception>
    public static OptimizerStateDict ReadOptimizer(Optimizer optimizer, string json, IReadOnlyDictionary<string, Tensor> tensors, string prefix, string source)
    {
        string what = $"{source}: the optimizer state";
        var root = StateJson.ParseObject(json, what);
        var d = new OptimizerStateDict();
        string type;
        try
        {
            type = StateJson.ReadString(root["type"], "'type'");
            if (root["state"] is not JsonObject state) throw new ArgumentException($"'state' should be an object, got {StateJson.Text(root["state"])}.");
            foreach (var (key, node) in state)
            {
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i))
                    throw new ArgumentException($"'state' has the key '{key}'; its keys are parameter indices.");
                if (node is not JsonObject entry) throw new ArgumentException($"state {key} should be an object, got {StateJson.Text(node)}.");
                d.State[i] = new ParamStateDict { Step = StateJson.ReadLong(entry["step"], $"the step of state {key}") };
            }
            if (root["param_groups"] is not JsonArray groups) throw new ArgumentException($"'param_groups' should be an array, got {StateJson.Text(root["param_groups"])}.");
            for (int gi = 0; gi < groups.Count; gi++)
            {
                if (groups[gi] is not JsonObject g) throw new ArgumentException($"param group {gi} should be an object, got {StateJson.Text(groups[gi])}.");
                var options = g.DeepClone().AsObject();
                options.Remove("params");
                d.ParamGroups.Add(new ParamGroupStateDict { Options = options, Params = [.. StateJson.ReadInts(g["params"], $"'params' of param group {gi}")] });
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{what} is malformed: {e.Message}", e);
        }
        if (type != optimizer.Name)
            throw new ArgumentException($"{optimizer.Name}.Load: {source} holds the state of a {type} optimizer, not of a {optimizer.Name}.");
        string head = prefix + "state.";
        foreach (var (name, t) in tensors)
        {
            if (!name.StartsWith(head, StringComparison.Ordinal)) continue;
            var rest = name[head.Length..];
            int dot = rest.IndexOf('.');
            if (dot <= 0 || !int.TryParse(rest[..dot], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int i))
                throw new InvalidDataException($"{what} has a tensor '{name}'; optimizer tensors are named {head}<index>.<name>.");
            if (!d.State.TryGetValue(i, out var entry))
                throw new InvalidDataException($"{what} has a tensor '{name}' for parameter {i}, which has no entry in its 'state'.");
            entry.Tensors[rest[(dot + 1)..]] = t;
        }
        return d;
    }

    /// <summary>Reads a scheduler's JSON state dict.</summary>
    /// <exception cref="InvalidDataException">The text is not a JSON object.</exception>
    public static JsonObject ReadScheduler(string json, string source) => StateJson.ParseObject(json, $"{source}: the scheduler state");

    /// <summary>Loads <paramref name="path"/> as safetensors, with a clear message when there is no file.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static SafeTensorsFile Open(string path, string api)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{api}: there is no file '{path}'.", path);
        return SafeTensors.Load(path);
    }

    /// <summary>The metadata entry <paramref name="key"/> of a file, or a clear error naming what the file lacks.</summary>
    /// <exception cref="InvalidDataException">The file has no such entry.</exception>
    public static string Required(SafeTensorsFile file, string key, string path, string what) =>
        file.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"'{path}' holds no {what} (its metadata has no '{key}' entry).");

    /// <summary>Writes a scheduler's state dict alone to a safetensors file (no tensors), atomically.</summary>
    public static void SaveScheduler(IStateful scheduler, string path, string api) =>
        AtomicFile.Write(path, s => SafeTensors.Save(s, new Dictionary<string, Tensor>(),
            new Dictionary<string, string> { [SchedulerKey] = scheduler.StateDict().ToJsonString() }), api);

    /// <summary>Loads a scheduler's state dict saved by <see cref="SaveScheduler"/> into <paramref name="scheduler"/>.</summary>
    public static void LoadScheduler(IStateful scheduler, string path, string api)
    {
        var file = Open(path, api);
        scheduler.LoadStateDict(ReadScheduler(Required(file, SchedulerKey, path, "scheduler state"), $"'{path}'"));
    }
}
