using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trace.Data;

/// <summary>Element type of an IDX file, by its type code (the third byte of the magic number).</summary>
public enum IdxType : byte
{
    /// <summary>Unsigned byte (0x08), as MNIST's images and labels.</summary>
    UByte = 0x08,
    /// <summary>Signed byte (0x09).</summary>
    SByte = 0x09,
    /// <summary>Big-endian 16-bit signed integer (0x0B).</summary>
    Int16 = 0x0B,
    /// <summary>Big-endian 32-bit signed integer (0x0C).</summary>
    Int32 = 0x0C,
    /// <summary>Big-endian IEEE float32 (0x0D).</summary>
    Float32 = 0x0D,
    /// <summary>Big-endian IEEE float64 (0x0E).</summary>
    Float64 = 0x0E,
}

/// <summary>
/// An array read from an IDX file, the format of MNIST and Fashion-MNIST: a big-endian magic number
/// <c>0x0000TTDD</c> (type code TT, DD dims), DD big-endian unsigned 32-bit sizes, then the elements in row-major
/// order, big-endian. Files may be gzip-compressed (recognised by their content, whatever their name). Every size
/// is checked against the bytes actually present before any tensor is allocated, so a damaged file is an
/// <see cref="InvalidDataException"/> naming the file and the problem, never a huge allocation or an index error.
/// </summary>
/// <example><code>
/// var images = IdxFile.Read("train-images-idx3-ubyte.gz");     // UByte, shape (60000, 28, 28)
/// Tensor x = images.ToTensor(DType.Float32, divisor: 255);     // values in [0, 1]
/// </code></example>
public sealed class IdxFile
{
    private readonly byte[] _bytes;
    private readonly int _dataOffset;
    private readonly int[] _shape;

    private IdxFile(string path, IdxType type, int[] shape, int numel, byte[] bytes, int dataOffset)
    {
        Numel = numel;
        Path = path;
        Type = type;
        _shape = shape;
        _bytes = bytes;
        _dataOffset = dataOffset;
    }

    /// <summary>The file it was read from.</summary>
    public string Path { get; }

    /// <summary>The element type.</summary>
    public IdxType Type { get; }

    /// <summary>The dims (empty for a file of zero dims, which holds one element).</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public int Numel { get; }

    /// <summary>Size in bytes of one element of <paramref name="type"/>.</summary>
    public static int ElementSize(IdxType type) => type switch
    {
        IdxType.UByte or IdxType.SByte => 1,
        IdxType.Int16 => 2,
        IdxType.Int32 or IdxType.Float32 => 4,
        IdxType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type), $"IdxFile: unknown IDX type code 0x{(byte)type:X2}."),
    };

    /// <summary>The dtype <see cref="ToTensor()"/> gives: Int32 for the integer types (lossless), else the float type.</summary>
    public static DType NaturalDType(IdxType type) => type switch
    {
        IdxType.Float32 => DType.Float32,
        IdxType.Float64 => DType.Float64,
        _ => DType.Int32,
    };

    /// <summary>Reads and checks the IDX file at <paramref name="path"/>, plain or gzip-compressed.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a well-formed IDX file (the message says why).</exception>
    public static IdxFile Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IdxFile: {path} does not exist.", path);
        var (bytes, length) = IdxBytes.Load(path);
        return Parse(path, bytes, length);
    }

    /// <summary>Checks the header against the <paramref name="length"/> bytes present, then wraps them.</summary>
    private static IdxFile Parse(string path, byte[] bytes, int length)
    {
        if (length < 4)
            throw new InvalidDataException($"IdxFile: {path} is truncated: it has {length} bytes, fewer than the 4 of an IDX magic number.");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        byte code = bytes[2];
        int dims = bytes[3];
        if (bytes[0] != 0 || bytes[1] != 0 || !Enum.IsDefined((IdxType)code))
            throw new InvalidDataException($"IdxFile: {path} has bad magic number 0x{magic:X8}; an IDX file starts with 0x0000TTDD where TT is a type code " +
                "(08 ubyte, 09 sbyte, 0B short, 0C int, 0D float, 0E double) and DD the number of dims (MNIST images: 0x00000803, labels: 0x00000801).");
        var type = (IdxType)code;
        int header = 4 + 4 * dims;
        if (length < header)
            throw new InvalidDataException($"IdxFile: {path} is truncated: magic 0x{magic:X8} declares {dims} dims, whose sizes need a {header}-byte header, but the file has {length} bytes.");
        var shape = new int[dims];
        long available = length - header, elementSize = ElementSize(type);
        var bytesNeeded = new BigInteger(elementSize);   // exact however many dims a damaged header claims
        for (int d = 0; d < dims; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size > int.MaxValue)
                throw new InvalidDataException($"IdxFile: {path} declares size {size} for dim {d}, more than a tensor dim can hold ({int.MaxValue}); the header is damaged.");
            shape[d] = (int)size;
            bytesNeeded *= size;
        }
        string declared = $"shape {Shapes.Format(shape)} of {type} ({elementSize} byte{(elementSize == 1 ? "" : "s")} each)";
        if (bytesNeeded > available)
            throw new InvalidDataException($"IdxFile: {path} is truncated or its header is damaged: it declares {declared}, " +
                $"{bytesNeeded} bytes of data, but only {available} bytes follow the {header}-byte header.");
        if (bytesNeeded < available)
            throw new InvalidDataException($"IdxFile: {path} has {available - bytesNeeded} bytes after its data: it declares {declared}, {bytesNeeded} bytes, but {available} bytes follow the {header}-byte header.");
        if (bytesNeeded / elementSize > int.MaxValue)
            throw new InvalidDataException($"IdxFile: {path} declares {declared}, {bytesNeeded / elementSize} elements, more than a tensor can hold ({int.MaxValue}).");
        return new IdxFile(path, type, shape, (int)(bytesNeeded / elementSize), bytes, header);
    }

    /// <summary>The elements as a CPU tensor of <see cref="NaturalDType"/> (Int32 for integer files), shaped as the file.</summary>
    public Tensor ToTensor() => ToTensor(NaturalDType(Type));

    /// <summary>
    /// The elements as a CPU tensor of <paramref name="dtype"/> shaped as the file, each value divided by
    /// <paramref name="divisor"/> (e.g. 255 to scale image bytes to [0, 1]) and converted as <see cref="Tensor.To(DType)"/>
    /// converts (integer dtypes truncate toward zero).
    /// </summary>
    /// <exception cref="ArgumentException">A bool dtype, or a divisor that is zero or not finite.</exception>
    public Tensor ToTensor(DType dtype, double divisor = 1)
    {
        if (divisor == 0 || !double.IsFinite(divisor))
            throw new ArgumentException($"IdxFile.ToTensor: divisor must be finite and non-zero, got {divisor}.", nameof(divisor));
        return dtype switch
        {
            DType.Float32 => Convert<float>(divisor),
            DType.Float64 => Convert<double>(divisor),
            DType.Int32 => Convert<int>(divisor),
            DType.Int64 => Convert<long>(divisor),
            _ => throw new ArgumentException($"IdxFile.ToTensor: cannot convert {Type} data to {dtype.TorchName()}; use a float or integer dtype.", nameof(dtype)),
        };
    }

    /// <summary>Converts in chunks through one pooled buffer straight into the tensor's storage (no full-size temporary).</summary>
    private Tensor Convert<T>(double divisor) where T : unmanaged, INumberBase<T>
    {
        const int Chunk = 1 << 16;
        var result = new Tensor((int[])_shape.Clone(), DTypes.Of<T>(), Device.Cpu, op: "IdxFile.ToTensor");
        var copy = DeviceKernels.For(Device.Cpu, "IdxFile.ToTensor").Copy;
        int n = Numel, size = ElementSize(Type);
        var buffer = ArrayPool<T>.Shared.Rent(Math.Min(Chunk, Math.Max(n, 1)));
        try
        {
            // float32 images: one SIMD division per byte, exactly the table's value when the divisor is a float (255).
            bool simd = typeof(T) == typeof(float) && Type == IdxType.UByte && (double)(float)divisor == divisor;
            var table = Type == IdxType.UByte && !simd ? ByteTable<T>(divisor) : null;
            for (int start = 0; start < n; start += Chunk)
            {
                int count = Math.Min(Chunk, n - start);
                var dst = buffer.AsSpan(0, count);
                var src = _bytes.AsSpan(_dataOffset + start * size, count * size);
                if (simd) BytesToSingles(src, MemoryMarshal.Cast<T, float>(dst), (float)divisor);
                else if (table is not null) for (int i = 0; i < dst.Length; i++) dst[i] = table[src[i]];
                else Decode(src, dst, divisor);
                copy.CopyFromHost<T>(dst, new Tensor(result.Storage, [count], [1], start));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
        return result;
    }

    /// <summary>dst[i] = src[i] / divisor in float32 (IEEE division, so the same values as the scalar path), 32 bytes per step.</summary>
    private static void BytesToSingles(ReadOnlySpan<byte> src, Span<float> dst, float divisor)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(divisor);
            ref byte s = ref MemoryMarshal.GetReference(src);
            ref float o = ref MemoryMarshal.GetReference(dst);
            for (; i + 32 <= src.Length; i += 32)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                var (a, b) = Vector256.Widen(lo);
                var (c, e) = Vector256.Widen(hi);
                (Vector256.ConvertToSingle(a) / d).StoreUnsafe(ref o, (nuint)i);
                (Vector256.ConvertToSingle(b) / d).StoreUnsafe(ref o, (nuint)(i + 8));
                (Vector256.ConvertToSingle(c) / d).StoreUnsafe(ref o, (nuint)(i + 16));
                (Vector256.ConvertToSingle(e) / d).StoreUnsafe(ref o, (nuint)(i + 24));
            }
        }
        for (; i < src.Length; i++) dst[i] = src[i] / divisor;
    }

    /// <summary>All 256 unsigned-byte values converted once (the common case: images and labels).</summary>
    private static T[] ByteTable<T>(double divisor) where T : unmanaged, INumberBase<T>
    {
        var table = new T[256];
        for (int b = 0; b < 256; b++) table[b] = T.CreateTruncating(b / divisor);
        return table;
    }

    private void Decode<T>(ReadOnlySpan<byte> src, Span<T> dst, double divisor) where T : unmanaged, INumberBase<T>
    {
        switch (Type)
        {
            case IdxType.SByte:
                for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateTruncating((sbyte)src[i] / divisor);
                break;
            case IdxType.Int16:
                for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateTruncating(BinaryPrimitives.ReadInt16BigEndian(src[(2 * i)..]) / divisor);
                break;
            case IdxType.Int32:
                for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateTruncating(BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]) / divisor);
                break;
            case IdxType.Float32:
                for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateTruncating(BinaryPrimitives.ReadSingleBigEndian(src[(4 * i)..]) / divisor);
                break;
            default:
                for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateTruncating(BinaryPrimitives.ReadDoubleBigEndian(src[(8 * i)..]) / divisor);
                break;
        }
    }
}
