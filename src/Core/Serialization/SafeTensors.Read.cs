using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Trace.Serialization;

public static partial class SafeTensors
{
    /// <summary>Reads a safetensors file into CPU tensors.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file (the message says what is wrong).</exception>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(file, file.Length, $"'{path}'");
    }

    /// <summary>Reads safetensors data from <paramref name="stream"/>'s position to its end (a stream that cannot seek is buffered first).</summary>
    public static SafeTensorsFile Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            var buffered = new MemoryStream();   // grows only as data really arrives
            stream.CopyTo(buffered);
            buffered.Position = 0;
            stream = buffered;
        }
        return Read(stream, stream.Length - stream.Position, "stream");
    }

    /// <summary>Reads safetensors data from bytes.</summary>
    public static unsafe SafeTensorsFile Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return Read(Stream.Null, 0, "data");
        fixed (byte* p = bytes)
        {
            using var s = new UnmanagedMemoryStream(p, bytes.Length);
            return Read(s, bytes.Length, "data");
        }
    }

    private sealed record HeaderEntry(string Name, string DType, int[] Shape, long Numel, long Begin, long End);

    private static SafeTensorsFile Read(Stream s, long available, string source)
    {
        string Where(string what) => $"safetensors {source}: {what}";
        if (available < 8)
            throw new InvalidDataException(Where($"{available} bytes; a safetensors file starts with an 8-byte header length."));
        Span<byte> len = stackalloc byte[8];
        Fill(s, len, Where("truncated"));
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLength > (ulong)(available - 8))
            throw new InvalidDataException(Where($"the header claims {headerLength} bytes but only {available - 8} follow (truncated or not a safetensors file)."));
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException(Where($"the header claims {headerLength} bytes, more than the {MaxHeaderBytes} accepted."));
        var headerBytes = new byte[headerLength];
        Fill(s, headerBytes, Where("truncated header"));
        long dataLength = available - 8 - (long)headerLength;
        var (headers, metadata) = ParseHeader(headerBytes, dataLength, Where);
        var tensors = new Dictionary<string, Tensor>(headers.Count, StringComparer.Ordinal);
        var dtypes = new Dictionary<string, string>(headers.Count, StringComparer.Ordinal);
        foreach (var h in headers)
        {
            tensors[h.Name] = ReadTensor(s, h, Where);
            dtypes[h.Name] = h.DType;
        }
        return new SafeTensorsFile(tensors, metadata, dtypes);
    }

    private static (List<HeaderEntry>, Dictionary<string, string>) ParseHeader(byte[] bytes, long dataLength, Func<string, string> where)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new InvalidDataException(where("the header is not valid UTF-8."));
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(where($"the header is not valid JSON ({e.Message})."), e);
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException(where($"the header is a JSON {doc.RootElement.ValueKind}, not an object of tensors."));
        var headers = new List<HeaderEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (!seen.Add(p.Name)) throw new InvalidDataException(where($"the name {Quote(p.Name)} appears twice in the header."));
            if (p.Name == MetadataKey)
            {
                if (p.Value.ValueKind == JsonValueKind.Null) continue;
                if (p.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException(where($"{MetadataKey} is a JSON {p.Value.ValueKind}, not an object of strings."));
                foreach (var m in p.Value.EnumerateObject())
                {
                    if (m.Value.ValueKind != JsonValueKind.String)
                        throw new InvalidDataException(where($"{MetadataKey} value of {Quote(m.Name)} is a JSON {m.Value.ValueKind}, not a string."));
                    if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw new InvalidDataException(where($"{MetadataKey} key {Quote(m.Name)} appears twice."));
                }
                continue;
            }
            headers.Add(ParseEntry(p, where));
        }
        CheckTiling(headers, dataLength, where);
        return (headers, metadata);
    }

    private static HeaderEntry ParseEntry(JsonProperty p, Func<string, string> where)
    {
        string name = Quote(p.Name);
        if (p.Name.Length == 0) throw new InvalidDataException(where("a tensor has an empty name."));
        if (p.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException(where($"tensor {name} is a JSON {p.Value.ValueKind}, not an object."));
        JsonElement Get(string key) => p.Value.TryGetProperty(key, out var v) ? v
            : throw new InvalidDataException(where($"tensor {name} has no \"{key}\"."));
        var dt = Get("dtype");
        string dtype = dt.ValueKind == JsonValueKind.String ? dt.GetString()! : throw new InvalidDataException(where($"tensor {name}: \"dtype\" is not a string."));
        int size = ElementBytes(dtype) ?? throw new InvalidDataException(where($"tensor {name} has dtype {Quote(dtype)}, which Trace does not read " +
            "(it reads F32, F64, F16, BF16, I64, I32, I16, I8, U32, U16, U8, BOOL)."));
        var shapeJson = Get("shape");
        if (shapeJson.ValueKind != JsonValueKind.Array || shapeJson.GetArrayLength() > 64)
            throw new InvalidDataException(where($"tensor {name}: \"shape\" is not an array of at most 64 sizes."));
        var shape = new int[shapeJson.GetArrayLength()];
        long numel = 1;
        int i = 0;
        foreach (var d in shapeJson.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0 || v > int.MaxValue)
                throw new InvalidDataException(where($"tensor {name}: shape entry {i} ({d.GetRawText()}) is not a size in 0..{int.MaxValue}."));
            shape[i++] = (int)v;
            numel = numel == 0 || v == 0 ? 0 : numel > int.MaxValue / v ? long.MaxValue : numel * v;
        }
        if (numel > Array.MaxLength)
            throw new InvalidDataException(where($"tensor {name}: shape [{string.Join(", ", shape)}] has more elements than a tensor can hold."));
        var offsets = Get("data_offsets");
        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new InvalidDataException(where($"tensor {name}: \"data_offsets\" is not an array [begin, end]."));
        long begin = Offset(offsets[0]), end = Offset(offsets[1]);
        long Offset(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long o) && o >= 0 ? o
            : throw new InvalidDataException(where($"tensor {name}: data offset {e.GetRawText()} is not a non-negative integer."));
        if (end < begin || end - begin != numel * size)
            throw new InvalidDataException(where($"tensor {name}: data_offsets [{begin}, {end}] hold {end - begin} bytes, but {dtype} " +
                $"[{string.Join(", ", shape)}] needs {numel * size}."));
        return new HeaderEntry(p.Name, dtype, shape, numel, begin, end);
    }

    /// <summary>The tensors' byte ranges must cover the data exactly, back to back, in some order.</summary>
    private static void CheckTiling(List<HeaderEntry> headers, long dataLength, Func<string, string> where)
    {
        headers.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long at = 0;
        foreach (var h in headers)
        {
            if (h.Begin != at)
                throw new InvalidDataException(where(h.Begin < at
                    ? $"tensor {Quote(h.Name)}'s data [{h.Begin}, {h.End}] overlaps the previous tensor's (which ends at {at})."
                    : $"the bytes [{at}, {h.Begin}) before tensor {Quote(h.Name)} belong to no tensor."));
            at = h.End;
        }
        if (at != dataLength)
            throw new InvalidDataException(where(at > dataLength
                ? $"the tensors need {at} bytes of data but the file holds {dataLength} after its header (truncated)."
                : $"the file holds {dataLength} bytes of data after its header but its tensors use only {at}."));
    }

    private static int? ElementBytes(string dtype) => dtype switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    private static Tensor ReadTensor(Stream s, HeaderEntry h, Func<string, string> where)
    {
        string truncated = where($"data of tensor {Quote(h.Name)} is truncated");
        int n = (int)h.Numel;
        switch (h.DType)
        {
            case "F32": return Tensor.From(ReadArray<float>(s, n, truncated), h.Shape);
            case "F64": return Tensor.From(ReadArray<double>(s, n, truncated), h.Shape);
            case "I64": return Tensor.From(ReadArray<long>(s, n, truncated), h.Shape);
            case "I32": return Tensor.From(ReadArray<int>(s, n, truncated), h.Shape);
            case "U32": return Tensor.From(Array.ConvertAll(ReadArray<uint>(s, n, truncated), v => (long)v), h.Shape);
            case "I16": return Tensor.From(Array.ConvertAll(ReadArray<short>(s, n, truncated), v => (int)v), h.Shape);
            case "U16": return Tensor.From(Array.ConvertAll(ReadArray<ushort>(s, n, truncated), v => (int)v), h.Shape);
            case "I8": return Tensor.From(Array.ConvertAll(ReadArray<sbyte>(s, n, truncated), v => (int)v), h.Shape);
            case "U8": return Tensor.From(Array.ConvertAll(ReadArray<byte>(s, n, truncated), v => (int)v), h.Shape);
            case "BOOL": return Tensor.From(Array.ConvertAll(ReadArray<byte>(s, n, truncated), v => v != 0), h.Shape);
            case "F16": return Tensor.From(Array.ConvertAll(ReadArray<ushort>(s, n, truncated), v => (float)BitConverter.UInt16BitsToHalf(v)), h.Shape);
            default: return Tensor.From(Array.ConvertAll(ReadArray<ushort>(s, n, truncated), v => BitConverter.Int32BitsToSingle(v << 16)), h.Shape);   // BF16
        }
    }

    private static T[] ReadArray<T>(Stream s, int n, string truncated) where T : unmanaged
    {
        var a = GC.AllocateUninitializedArray<T>(n);
        const int chunk = 1 << 20;
        for (int i = 0; i < n; i += chunk)
            Fill(s, MemoryMarshal.AsBytes(a.AsSpan(i, Math.Min(chunk, n - i))), truncated);
        return a;
    }

    private static void Fill(Stream s, Span<byte> buffer, string truncated)
    {
        try
        {
            s.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException(truncated + ".", e);
        }
    }

    /// <summary>A name as JSON would quote it, so control characters and quotes in a hostile file print visibly.</summary>
    private static string Quote(string name) =>
        JsonSerializer.Serialize(name.Length > 200 ? name[..200] + "…" : name);
}
