using System.IO.Compression;
using System.Text.Json;
using Trace.Serialization;

namespace Trace.Jit;

internal static partial class ModelArchive
{
    private const int MaxGraphs = 4096;

    /// <summary>Reads a file <see cref="Write"/> wrote; everything in it is checked before it is used.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid Trace model file; the message says what is wrong.</exception>
    public static TracedModule Read(string path, Device? device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Jit.Load: there is no file '{path}'.", path);
        string stage = "reading the zip";
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            long size = file.Length;
            using var zip = new ZipArchive(file, ZipArchiveMode.Read);
            stage = ManifestEntry;
            using var manifest = JsonDocument.Parse(Entry(zip, ManifestEntry, size, 16 << 20), new JsonDocumentOptions { MaxDepth = 16 });
            var m = manifest.RootElement;
            if (m.ValueKind != JsonValueKind.Object) throw Bad("it is not a JSON object");
            string format = Str(m, "format");
            if (format != Format) throw Bad($"its format is '{format}', not '{Format}'");
            long version = Int(m, "version", 1, long.MaxValue);
            if (version > Version) throw Bad($"it was written in format version {version} by a newer Trace; this Trace reads version {Version}");
            string name = Str(m, "name");
            string[] inputs = [.. Array(m, "inputs", 1, 1024).Select(e => IrName(e, "an input name"))];
            var parameters = Array(m, "parameters", 0, 1 << 20).Select(p => (Name: IrName(Get(p, "name"), "a parameter name"), RequiresGrad: Bool(Get(p, "requires_grad")))).ToArray();
            string[] modules = [.. Array(m, "modules", 0, 1 << 20).Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad("a module name is not a string"))];
            bool[] training = Bools(m, "training", modules.Length);
            var options = Options(Get(m, "options"));
            var graphs = Array(m, "graphs", 1, MaxGraphs);

            stage = WeightsEntry;
            var weights = SafeTensors.Deserialize(Entry(zip, WeightsEntry, size)).Tensors;
            var missing = parameters.Select(p => p.Name).Where(n => !weights.ContainsKey(n)).ToList();
            var unexpected = weights.Keys.Where(k => !parameters.Any(p => p.Name == k)).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw Bad($"its weights do not match the parameter list (missing: [{string.Join(", ", missing)}], unexpected: [{string.Join(", ", unexpected)}])");
            var named = parameters.Select(p =>
            {
                var t = weights[p.Name];
                if (device is { } d && t.Device != d) t = t.To(d);
                return (p.Name, p.RequiresGrad ? t.RequiresGrad_() : t);
            }).ToArray();

            var forwards = new List<SavedForward>();
            for (int i = 0; i < graphs.Length; i++)
            {
                stage = $"graphs/{i}";
                forwards.Add(Forward(zip, size, i, graphs[i], inputs, named, modules.Length, device));
            }
            return TracedModule.FromSaved(name, inputs, named, modules, training, forwards, options);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Jit.Load: '{path}' is not a valid Trace model file ({stage}): {e.Message}", e);
        }
    }

    private static SavedForward Forward(ZipArchive zip, long size, int i, JsonElement g, string[] inputs, (string Name, Tensor Tensor)[] parameters, int modules, Device? device)
    {
        bool[] training = Bools(g, "training", modules);
        int constants = (int)Int(g, "constants", 0, 1 << 20), lifted = (int)Int(g, "lifted", 0, 1 << 20);
        var bytes = Entry(zip, $"graphs/{i}.ir", size);
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Bad("its IR text is not valid UTF-8");
        var tensors = SafeTensors.Deserialize(Entry(zip, $"graphs/{i}.safetensors", size)).Tensors;
        if (tensors.Count != constants + lifted)
            throw Bad($"its tensors file holds {tensors.Count} tensors; the manifest lists {constants} constants and {lifted} lifted tensors");
        Tensor Take(string key) => tensors.TryGetValue(key, out var t) ? device is { } d && t.Device != d ? t.To(d) : t : throw Bad($"its tensors file has no '{key}'");
        var constantList = Enumerable.Range(0, constants).Select(k => Take($"constant.{k}")).ToList();
        var liftedList = Enumerable.Range(0, lifted).Select(k => Take($"lifted.{k}")).ToArray();
        var graph = Parser.Parse(System.Text.Encoding.UTF8.GetString(bytes), constantList);
        if (device is { } target) Retarget(graph, target);
        GraphVerifier.Lint(graph);
        int expected = inputs.Length + parameters.Length + lifted;
        if (graph.Inputs.Count != expected)
            throw Bad($"the graph takes {graph.Inputs.Count} inputs; the model has {inputs.Length} inputs, {parameters.Length} parameters and buffers and {lifted} lifted tensors");
        for (int k = 0; k < inputs.Length + parameters.Length; k++)
        {
            string want = k < inputs.Length ? inputs[k] : parameters[k - inputs.Length].Name;
            if (graph.Inputs[k].Name != want) throw Bad($"graph input {k} is %{graph.Inputs[k].Name}, expected %{want}");
        }
        for (int k = 0; k < parameters.Length; k++)
            if (graph.Inputs[inputs.Length + k].TensorType is { IsSymbolic: false } t && (t.DType != parameters[k].Tensor.DType || !t.Shape.AsSpan().SequenceEqual([.. parameters[k].Tensor.Shape])))
                throw Bad($"graph input %{parameters[k].Name} is declared {t}, but its weight is {parameters[k].Tensor.DType.TorchName()} {Shapes.Format(parameters[k].Tensor.Shape)}");
        return new SavedForward(graph, training, liftedList);
    }

    /// <summary>Moves a CPU-traced graph to <paramref name="device"/>: every tensor type and tensor constant (a graph that names devices in its ops is refused).</summary>
    private static void Retarget(Graph g, Device device)
    {
        foreach (var n in g.Nodes)
            if (n.Kind == "prim::Constant" && n.Attribute is string s && (s == "cpu" || s.StartsWith("cuda", StringComparison.Ordinal)))
                throw new NotSupportedException($"{n} names a device; a graph that moves tensors between devices cannot be loaded onto {device}.");
        foreach (var v in g.Inputs.Concat(g.Nodes.SelectMany(n => n.Outputs)))
            if (v.Type is TensorType t && t.Device != device)
                v.Type = new TensorType(t.DType, t.Shape, t.Strides, t.RequiresGrad, device);
        for (int k = 0; k < g.TensorConstants.Count; k++)
            if (g.TensorConstants[k].Device != device) g.TensorConstants[k] = g.TensorConstants[k].To(device);
    }

    /// <summary>An entry's bytes, its declared size checked against the file's before anything is allocated.</summary>
    private static byte[] Entry(ZipArchive zip, string name, long fileSize, long limit = int.MaxValue)
    {
        var e = zip.GetEntry(name) ?? throw Bad($"it has no entry '{name}'");
        // Stored entries are never larger than the file; compressed ones (another zip tool) at most ~1000x (deflate's limit).
        if (e.Length > limit || e.Length > Math.Min(System.Array.MaxLength, 1032L * fileSize))
            throw Bad($"entry '{name}' claims {e.Length} bytes, implausible for a file of {fileSize}");
        var bytes = new byte[e.Length];
        using var s = e.Open();
        s.ReadExactly(bytes);
        if (s.ReadByte() != -1) throw Bad($"entry '{name}' holds more bytes than it declares");
        return bytes;
    }

    private static TraceOptions Options(JsonElement o) => new()
    {
        CheckTrace = Bool(Get(o, "check_trace")),
        CheckRtol = Num(Get(o, "check_rtol")),
        CheckAtol = Num(Get(o, "check_atol")),
        MaxSpecializations = (int)Int(o, "max_specializations", 1, 1 << 16),
        Strict = Bool(Get(o, "strict")),
        Fuse = Bool(Get(o, "fuse")),
        CompileBackward = Bool(Get(o, "compile_backward")),
        Optimize = Bool(Get(o, "optimize")),
    };

    private static InvalidDataException Bad(string what) => new(what + ".");

    private static JsonElement Get(JsonElement o, string key) =>
        o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) ? v : throw Bad($"it has no \"{key}\"");

    private static string Str(JsonElement o, string key) => Get(o, key) is { ValueKind: JsonValueKind.String } v ? v.GetString()! : throw Bad($"\"{key}\" is not a string");

    private static long Int(JsonElement o, string key, long min, long max) =>
        Get(o, key) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out long x) && x >= min && x <= max ? x : throw Bad($"\"{key}\" is not an integer in {min}..{max}");

    private static double Num(JsonElement v) => v.ValueKind == JsonValueKind.Number && v.GetDouble() is var x && double.IsFinite(x) && x >= 0 ? x : throw Bad($"{v.GetRawText()} is not a non-negative number");

    private static bool Bool(JsonElement v) => v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad($"{v.GetRawText()} is not a boolean") };

    private static JsonElement[] Array(JsonElement o, string key, int min, int max)
    {
        var v = Get(o, key);
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() < min || v.GetArrayLength() > max) throw Bad($"\"{key}\" is not an array of {min}..{max} entries");
        return [.. v.EnumerateArray()];
    }

    private static bool[] Bools(JsonElement o, string key, int count)
    {
        var a = Array(o, key, count, count);
        return [.. a.Select(Bool)];
    }

    private static string IrName(JsonElement e, string what) =>
        e.ValueKind == JsonValueKind.String && e.GetString() is { } s && IrLexer.IsName(s) ? s : throw Bad($"{what} ({e.GetRawText()}) is not an IR name");
}
