using System.IO.Compression;
using System.Text.Json;
using Trace.Serialization;

namespace Trace.Jit;

/// <summary>
/// The file <see cref="TracedModule.Save"/> writes and <see cref="Jit.Load"/> reads: a zip holding <c>trace.json</c> (format
/// name and version, the model's name, input names, parameters with requires_grad, module names and modes, options, and one
/// entry per forward graph), <c>weights.safetensors</c> (parameters and buffers by name), and per graph
/// <c>graphs/N.ir</c> (canonical IR text) and <c>graphs/N.safetensors</c> (its tensor constants <c>constant.K</c> and lifted
/// tensors <c>lifted.K</c>). Entries are stored uncompressed.
/// </summary>
internal static partial class ModelArchive
{
    public const string Format = "trace-jit-module";
    public const int Version = 1;
    public const string ManifestEntry = "trace.json";
    public const string WeightsEntry = "weights.safetensors";

    /// <summary>What one file holds.</summary>
    public sealed record Contents(string Name, string[] InputNames, IReadOnlyList<(string Name, Tensor Tensor)> Parameters, string[] Modules,
        bool[] Training, TraceOptions Options, IReadOnlyList<SavedForward> Forwards);

    public static void Write(string path, Contents c) => AtomicFile.Write(path, file =>
    {
        using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
        Add(zip, ManifestEntry, Manifest(c));
        Add(zip, WeightsEntry, SafeTensors.Serialize(c.Parameters.ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal)));
        for (int i = 0; i < c.Forwards.Count; i++)
        {
            var f = c.Forwards[i];
            Add(zip, $"graphs/{i}.ir", System.Text.Encoding.UTF8.GetBytes(f.Graph.ToString()));
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int k = 0; k < f.Graph.TensorConstants.Count; k++) tensors[$"constant.{k}"] = f.Graph.TensorConstants[k];
            for (int k = 0; k < f.Lifted.Length; k++) tensors[$"lifted.{k}"] = f.Lifted[k];
            Add(zip, $"graphs/{i}.safetensors", SafeTensors.Serialize(tensors));
        }
    }, "TracedModule.Save");

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
        e.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);   // the same model writes the same bytes
        using var s = e.Open();
        s.Write(bytes);
    }

    private static byte[] Manifest(Contents c)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteNumber("version", Version);
            w.WriteString("name", c.Name);
            Strings(w, "inputs", c.InputNames);
            w.WriteStartArray("parameters");
            foreach (var (n, t) in c.Parameters)
            {
                w.WriteStartObject();
                w.WriteString("name", n);
                w.WriteBoolean("requires_grad", t.RequiresGrad);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Strings(w, "modules", c.Modules);
            Bools(w, "training", c.Training);
            w.WriteStartObject("options");
            w.WriteBoolean("check_trace", c.Options.CheckTrace);
            w.WriteNumber("check_rtol", c.Options.CheckRtol);
            w.WriteNumber("check_atol", c.Options.CheckAtol);
            w.WriteNumber("max_specializations", c.Options.MaxSpecializations);
            w.WriteBoolean("strict", c.Options.Strict);
            w.WriteBoolean("fuse", c.Options.Fuse);
            w.WriteBoolean("compile_backward", c.Options.CompileBackward);
            w.WriteBoolean("optimize", c.Options.Optimize);
            w.WriteEndObject();
            w.WriteStartArray("graphs");
            foreach (var f in c.Forwards)
            {
                w.WriteStartObject();
                Bools(w, "training", f.Training);
                w.WriteNumber("constants", f.Graph.TensorConstants.Count);
                w.WriteNumber("lifted", f.Lifted.Length);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Bools(Utf8JsonWriter w, string name, IEnumerable<bool> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteBooleanValue(v);
        w.WriteEndArray();
    }
}
