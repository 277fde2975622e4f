using Google.Protobuf;
using OnnxPb = global::Onnx;

namespace Trace.Jit;

/// <summary>Tensor ↔ <c>TensorProto</c> conversion and the ONNX element-type codes (TensorProto.DataType).</summary>
internal static class OnnxTensors
{
    public const int Float = 1, Int32 = 6, Int64 = 7, Bool = 9, Double = 11;

    /// <summary>The ONNX element type of a Trace dtype.</summary>
    public static int ElemType(DType d) => d switch
    {
        DType.Float32 => Float,
        DType.Float64 => Double,
        DType.Int64 => Int64,
        DType.Int32 => Int32,
        DType.Bool => Bool,
        _ => throw new NotSupportedException($"Onnx.Export: dtype {d} has no ONNX element type here."),
    };

    /// <summary>The Trace dtype of an ONNX element type, or null for one Trace cannot hold.</summary>
    public static DType? DTypeOf(int elemType) => elemType switch
    {
        Float => DType.Float32,
        Double => DType.Float64,
        Int64 => DType.Int64,
        Int32 => DType.Int32,
        Bool => DType.Bool,
        _ => null,
    };

    /// <summary>An ONNX element type's name as onnx.proto spells it (for error messages).</summary>
    public static string ElemName(int elemType) => Enum.IsDefined(typeof(OnnxPb.TensorProto.Types.DataType), elemType)
        ? ((OnnxPb.TensorProto.Types.DataType)elemType).ToString().ToUpperInvariant() : $"data_type {elemType}";

    /// <summary>A <c>TensorProto</c> named <paramref name="name"/> holding a copy of <paramref name="t"/> (raw little-endian data).</summary>
    public static OnnxPb.TensorProto ToProto(string name, Tensor t)
    {
        var p = new OnnxPb.TensorProto { Name = name, DataType = ElemType(t.DType) };
        foreach (int d in t.Shape) p.Dims.Add(d);
        var c = t.Device == Device.Cpu ? t.Contiguous() : t.To(Device.Cpu).Contiguous();
        byte[] raw = t.DType switch
        {
            DType.Float32 => Bytes(c.ToArray<float>()),
            DType.Float64 => Bytes(c.ToArray<double>()),
            DType.Int64 => Bytes(c.ToArray<long>()),
            DType.Int32 => Bytes(c.ToArray<int>()),
            _ => c.ToArray<bool>().Select(b => b ? (byte)1 : (byte)0).ToArray(),
        };
        p.RawData = ByteString.CopyFrom(raw);
        return p;
    }

    /// <summary>A 1-D int64 <c>TensorProto</c> (shapes, axes, starts).</summary>
    public static OnnxPb.TensorProto Longs(string name, long[] values, bool scalar = false)
    {
        var p = new OnnxPb.TensorProto { Name = name, DataType = Int64, RawData = ByteString.CopyFrom(Bytes(values)) };
        if (!scalar) p.Dims.Add(values.Length);
        return p;
    }

    /// <summary>A 0-dim <c>TensorProto</c> of <paramref name="dtype"/> holding <paramref name="value"/>.</summary>
    public static OnnxPb.TensorProto Scalar(string name, double value, DType dtype) => ToProto(name, Tensor.Scalar(value, dtype));

    /// <summary>The tensor a <c>TensorProto</c> holds (raw_data or the typed data fields).</summary>
    /// <exception cref="InvalidDataException">An element type Trace cannot hold, external data, or a data length that does not match the dims.</exception>
    public static Tensor FromProto(OnnxPb.TensorProto p, string where)
    {
        var dtype = DTypeOf(p.DataType) ?? throw new InvalidDataException($"Onnx.Import: {where}: tensor '{p.Name}' has element type {ElemName(p.DataType)}, which Trace does not hold (FLOAT, DOUBLE, INT64, INT32, BOOL).");
        if (p.DataLocation == OnnxPb.TensorProto.Types.DataLocation.External)
            throw new InvalidDataException($"Onnx.Import: {where}: tensor '{p.Name}' keeps its data in an external file, which is not supported.");
        var shape = new int[p.Dims.Count];
        long n = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (p.Dims[i] < 0 || p.Dims[i] > int.MaxValue) throw new InvalidDataException($"Onnx.Import: {where}: tensor '{p.Name}' has dim {p.Dims[i]}.");
            shape[i] = (int)p.Dims[i];
            n *= shape[i];
        }
        if (n > int.MaxValue) throw new InvalidDataException($"Onnx.Import: {where}: tensor '{p.Name}' of shape ({string.Join(", ", shape)}) is too large.");
        int count = (int)n;
        var raw = p.RawData.Span;
        Tensor Check<T>(T[] data) where T : unmanaged => data.Length == count ? Tensor.From(data, shape)
            : throw new InvalidDataException($"Onnx.Import: {where}: tensor '{p.Name}' of shape ({string.Join(", ", shape)}) holds {data.Length} element(s), not {count}.");
        bool hasRaw = !p.RawData.IsEmpty;
        return dtype switch
        {
            DType.Float32 => Check(hasRaw ? FromBytes<float>(raw) : [.. p.FloatData]),
            DType.Float64 => Check(hasRaw ? FromBytes<double>(raw) : [.. p.DoubleData]),
            DType.Int64 => Check(hasRaw ? FromBytes<long>(raw) : [.. p.Int64Data]),
            DType.Int32 => Check(hasRaw ? FromBytes<int>(raw) : [.. p.Int32Data]),
            _ => Check(hasRaw ? raw.ToArray().Select(b => b != 0).ToArray() : p.Int32Data.Select(v => v != 0).ToArray()),
        };
    }

    private static byte[] Bytes<T>(T[] data) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray();

    private static T[] FromBytes<T>(ReadOnlySpan<byte> raw) where T : unmanaged
    {
        int size = System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (raw.Length % size != 0) throw new InvalidDataException($"Onnx.Import: raw_data of {raw.Length} bytes is not a whole number of {size}-byte elements.");
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }
}
