using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Trace.Serialization;

/// <summary>
/// The safetensors file format (Hugging Face's; what PyTorch's <c>safetensors.torch.save_file</c>/<c>load_file</c> read and
/// write): an 8-byte little-endian header length, a JSON header mapping each tensor name to its dtype, shape and byte range
/// (<c>data_offsets</c>, relative to the end of the header) plus an optional <c>__metadata__</c> object of strings, then the
/// raw little-endian data of every tensor, back to back. Trace writes <c>BOOL</c>, <c>I32</c>, <c>I64</c>, <c>F32</c> and
/// <c>F64</c> and reads those plus <c>F16</c> and <c>BF16</c> (converted to float32), <c>I8</c>, <c>U8</c>, <c>I16</c>,
/// <c>U16</c> (widened to int32) and <c>U32</c> (widened to int64). Files written here load in PyTorch's safetensors and
/// back, names unchanged (a module's state dict keys: <c>0.weight</c>, <c>layers.1.bias</c>).
/// </summary>
/// <remarks>
/// Loading trusts nothing in the file: the header length is checked against the file's size (and a 100 MB cap, as the
/// reference implementation) before anything is allocated, every tensor's byte range must match its shape and dtype,
/// ranges must tile the data exactly (no gaps, overlaps or trailing bytes), names must be unique; any violation is an
/// <see cref="InvalidDataException"/> saying what is wrong and where.
/// </remarks>
public static partial class SafeTensors
{
    /// <summary>The largest header accepted on load (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device; written contiguous, in name order) and <paramref name="metadata"/> to
    /// <paramref name="path"/>, atomically (a temporary file renamed over it).
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor is null or disposed.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var plan = Plan(tensors, metadata);   // checks everything before the file is touched
        AtomicFile.Write(path, file => Write(file, plan), "SafeTensors.Save");
    }

    /// <summary>Writes the safetensors form of <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="stream"/>.</summary>
    public static void Save(Stream stream, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Write(stream, Plan(tensors, metadata));
    }

    /// <summary>The safetensors form of <paramref name="tensors"/> and <paramref name="metadata"/> as bytes.</summary>
    public static byte[] Serialize(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var ms = new MemoryStream();
        Save(ms, tensors, metadata);
        return ms.ToArray();
    }

    private sealed record Entry(string Name, Tensor Tensor, string DType, long Begin, long End);

    private sealed record WritePlan(byte[] Header, List<Entry> Entries);

    private static WritePlan Plan(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<Entry>();
        long offset = 0;
        foreach (var name in tensors.Keys.Order(StringComparer.Ordinal))
        {
            var t = tensors[name];
            if (name.Length == 0) throw new ArgumentException("SafeTensors.Save: a tensor name is empty.", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            if (t is null) throw new ArgumentException($"SafeTensors.Save: tensor '{name}' is null.", nameof(tensors));
            t.Storage.CheckAlive("SafeTensors.Save");
            long bytes = (long)t.Numel * t.DType.ElementSize();
            entries.Add(new Entry(name, t, FileDType(t.DType), offset, offset + bytes));
            offset += bytes;
        }
        if (metadata is not null)
            foreach (var (k, v) in metadata)
                if (v is null) throw new ArgumentException($"SafeTensors.Save: metadata value of '{k}' is null (metadata values are strings).", nameof(metadata));
        return new WritePlan(Header(entries, metadata), entries);
    }

    internal const string MetadataKey = "__metadata__";

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes so that the data starts aligned.</summary>
    private static byte[] Header(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var k in metadata.Keys.Order(StringComparer.Ordinal)) w.WriteString(k, metadata[k]);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType);
                w.WriteStartArray("shape");
                foreach (var d in e.Tensor.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - (8 + ms.Length) % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    private static void Write(Stream stream, WritePlan plan)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("SafeTensors: big-endian machines are not supported.");
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)plan.Header.Length);
        stream.Write(length);
        stream.Write(plan.Header);
        foreach (var e in plan.Entries)
        {
            var t = e.Tensor.Detach();
            switch (t.DType)
            {
                case DType.Float32: stream.Write(MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan())); break;
                case DType.Float64: stream.Write(MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan())); break;
                case DType.Int64: stream.Write(MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan())); break;
                case DType.Int32: stream.Write(MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan())); break;
                default: stream.Write(MemoryMarshal.AsBytes(t.ToArray<bool>().AsSpan())); break;
            }
        }
        stream.Flush();
    }

    /// <summary>The safetensors dtype name of a Trace dtype.</summary>
    internal static string FileDType(DType t) => t switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        DType.Int32 => "I32",
        _ => "BOOL",
    };
}
