using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Data;

namespace Trace.Core.Tests;

/// <summary>Writes IDX files byte by byte (big-endian, as the format's description says), independently of the reader.</summary>
internal static class IdxWriter
{
    /// <summary>Magic 0x0000TTDD, the dims, then <paramref name="data"/> (already big-endian element bytes).</summary>
    public static byte[] Bytes(byte typeCode, uint[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)dims.Length;
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    public static string Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) File.WriteAllBytes(path, bytes);
        else
        {
            using var file = File.Create(path);
            using var gz = new GZipStream(file, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        return path;
    }

    public static byte[] Gzip(byte[] bytes)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return ms.ToArray();
    }
}

/// <summary>IdxFile: every type code, plain and gzip, and each kind of damaged file.</summary>
[TestClass]
public sealed class IdxTests
{
    private string _dir = "";

    [TestInitialize]
    public void CreateDir() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "trace-idx-" + Guid.NewGuid().ToString("N")));

    [TestCleanup]
    public void DeleteDir() => Directory.Delete(_dir, recursive: true);

    private string Path_(string name) => Path.Combine(_dir, name);

    private static InvalidDataException AssertBad(string path, params string[] parts)
    {
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.Read(path));
        Assert.Contains(path, ex.Message, "the message names the file");
        foreach (var p in parts) Assert.Contains(p, ex.Message);
        return ex;
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ReadsMnistStyleImagesAndLabels(bool gzip)
    {
        // 3 images of 2×4 bytes: pixel (n, r, c) = 37 n + 8 r + c + 180 (covers bytes above 127), and 3 labels.
        var pixels = new byte[3 * 2 * 4];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(37 * (i / 8) + i % 8 + 180);
        var images = IdxFile.Read(IdxWriter.Write(Path_(gzip ? "img.gz" : "img"), IdxWriter.Bytes(0x08, [3, 2, 4], pixels), gzip));
        Assert.AreEqual(IdxType.UByte, images.Type);
        CollectionAssert.AreEqual(new[] { 3, 2, 4 }, images.Shape.ToArray());
        Assert.AreEqual(24, images.Numel);

        var asInts = images.ToTensor();
        Assert.AreEqual(DType.Int32, asInts.DType);
        Reference.AssertShape(asInts, 3, 2, 4);
        CollectionAssert.AreEqual(pixels.Select(b => (int)b).ToArray(), asInts.ToArray<int>());

        var scaled = images.ToTensor(DType.Float32, divisor: 255);
        Assert.AreEqual(DType.Float32, scaled.DType);
        CollectionAssert.AreEqual(pixels.Select(b => b / 255f).ToArray(), scaled.ToArray<float>(), "byte / 255 in float32, as torchvision's ToTensor");

        var labels = IdxFile.Read(IdxWriter.Write(Path_(gzip ? "lbl.gz" : "lbl"), IdxWriter.Bytes(0x08, [3], [9, 0, 255]), gzip));
        var y = labels.ToTensor(DType.Int64);
        Assert.AreEqual(DType.Int64, y.DType);
        CollectionAssert.AreEqual(new long[] { 9, 0, 255 }, y.ToArray<long>());
    }

    /// <summary>Big-endian element bytes of <paramref name="values"/> for each type code, written independently of the reader.</summary>
    private static byte[] Encode(byte code, double[] values)
    {
        int size = code switch { 0x08 or 0x09 => 1, 0x0B => 2, 0x0C or 0x0D => 4, _ => 8 };
        var data = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var s = data.AsSpan(i * size);
            switch (code)
            {
                case 0x08: s[0] = (byte)values[i]; break;
                case 0x09: s[0] = unchecked((byte)(sbyte)values[i]); break;
                case 0x0B: BinaryPrimitives.WriteInt16BigEndian(s, (short)values[i]); break;
                case 0x0C: BinaryPrimitives.WriteInt32BigEndian(s, (int)values[i]); break;
                case 0x0D: BinaryPrimitives.WriteSingleBigEndian(s, (float)values[i]); break;
                default: BinaryPrimitives.WriteDoubleBigEndian(s, values[i]); break;
            }
        }
        return data;
    }

    [TestMethod]
    [DataRow((byte)0x08, new double[] { 0, 1, 128, 255, 7, 200 }, DType.Int32)]
    [DataRow((byte)0x09, new double[] { -128, -1, 0, 1, 127, -77 }, DType.Int32)]
    [DataRow((byte)0x0B, new double[] { -32768, -300, 0, 258, 32767, 1 }, DType.Int32)]
    [DataRow((byte)0x0C, new double[] { int.MinValue, -70000, 0, 65537, int.MaxValue, 16777217 }, DType.Int32)]
    [DataRow((byte)0x0D, new double[] { -1.5, 0.1f, 3e38f, -0.0, 1e-40f, 42 }, DType.Float32)]
    [DataRow((byte)0x0E, new double[] { -1.5, 0.1, 1e300, -0.0, 5e-324, Math.PI }, DType.Float64)]
    public void ReadsEveryTypeCodeWithAnyDimCount(byte code, double[] values, DType natural)
    {
        var type = (IdxType)code;
        // The same six values as 1-D, 2-D (2, 3) and 4-D (1, 3, 2, 1), plain and gzip.
        foreach (var dims in new[] { new uint[] { 6 }, [2, 3], [1, 3, 2, 1] })
            foreach (bool gzip in new[] { false, true })
            {
                var file = IdxFile.Read(IdxWriter.Write(Path_($"t{code}-{dims.Length}-{gzip}"), IdxWriter.Bytes(code, dims, Encode(code, values)), gzip));
                Assert.AreEqual(type, file.Type);
                CollectionAssert.AreEqual(dims.Select(d => (int)d).ToArray(), file.Shape.ToArray());
                var t = file.ToTensor();
                Assert.AreEqual(natural, t.DType, $"{type}: natural dtype");
                Reference.AssertShape(t, [.. dims.Select(d => (int)d)]);
                var expected = natural == DType.Float32 ? values.Select(v => (double)(float)v).ToArray() : values;
                CollectionAssert.AreEqual(expected, t.ToArray<double>(), $"{type} {dims.Length}-D gzip={gzip}");
                CollectionAssert.AreEqual(expected, file.ToTensor(DType.Float64).ToArray<double>(), $"{type} as float64");
            }
        Assert.AreEqual(IdxFile.ElementSize(type), Encode(code, [0]).Length);
    }

    [TestMethod]
    public void AZeroDimFileHoldsOneElementAndEmptyDimsHoldNone()
    {
        var scalar = IdxFile.Read(IdxWriter.Write(Path_("scalar"), IdxWriter.Bytes(0x0C, [], Encode(0x0C, [-5])), gzip: false));
        Assert.AreEqual(0, scalar.Shape.Count);
        Assert.AreEqual(-5, scalar.ToTensor().Item());
        var empty = IdxFile.Read(IdxWriter.Write(Path_("empty"), IdxWriter.Bytes(0x08, [0, 28, 28], []), gzip: true));
        Reference.AssertShape(empty.ToTensor(DType.Float32), 0, 28, 28);
    }

    [TestMethod]
    public void GzipIsRecognisedByContentNotName()
    {
        var path = IdxWriter.Write(Path_("labels.idx"), IdxWriter.Bytes(0x08, [2], [4, 2]), gzip: true);
        CollectionAssert.AreEqual(new long[] { 4, 2 }, IdxFile.Read(path).ToTensor(DType.Int64).ToArray<long>());
    }

    [TestMethod]
    public void BadMagicNumbersAreRejected()
    {
        AssertBad(IdxWriter.Write(Path_("nonzero"), [0x01, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7], gzip: false), "bad magic number 0x01000801", "0x00000803");
        AssertBad(IdxWriter.Write(Path_("type"), IdxWriter.Bytes(0x0A, [1], [7]), gzip: false), "bad magic number 0x00000A01");
        AssertBad(IdxWriter.Write(Path_("png"), [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10], gzip: true), "bad magic number 0x89504E47");
        AssertBad(IdxWriter.Write(Path_("tiny"), [0, 0], gzip: false), "truncated", "2 bytes");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void TruncatedDataAndHeadersAreRejected(bool gzip)
    {
        var full = IdxWriter.Bytes(0x08, [2, 3, 3], new byte[18]);
        AssertBad(IdxWriter.Write(Path_("data"), full[..^1], gzip), "truncated", "shape (2, 3, 3) of UByte", "18 bytes of data", "only 17 bytes");
        AssertBad(IdxWriter.Write(Path_("header"), full[..10], gzip), "truncated", "3 dims", "16-byte header", "10 bytes");
        var shorts = IdxWriter.Bytes(0x0B, [5], new byte[9]);
        AssertBad(IdxWriter.Write(Path_("short"), shorts, gzip), "shape (5,) of Int16 (2 bytes each)", "10 bytes of data", "only 9 bytes");
        AssertBad(IdxWriter.Write(Path_("trailing"), [.. full, 1, 2], gzip), "2 bytes after its data");
    }

    [TestMethod]
    public void AbsurdSizesAreRejectedBeforeAllocating()
    {
        // 65536 × 32768 = 2^31 items claimed by a 100-byte file; (2^30)^3 would overflow a 64-bit product.
        var claims = new (uint[] Dims, string[] Parts)[]
        {
            ([65536, 32768], ["2147483648 bytes of data", "only 88 bytes"]),
            ([1u << 30, 1u << 30, 1u << 30], ["1237940039285380274899124224 bytes of data", "only 84 bytes"]),
            ([uint.MaxValue], ["size 4294967295 for dim 0", "header is damaged"]),
            ([1u << 31, 1], ["size 2147483648 for dim 0"]),
        };
        foreach (var (dims, parts) in claims)
        {
            int header = 4 + 4 * dims.Length;
            var bytes = IdxWriter.Bytes(0x08, dims, new byte[100 - header]);
            foreach (bool gzip in new[] { false, true })
            {
                var path = IdxWriter.Write(Path_($"absurd-{dims.Length}-{dims[0]}-{gzip}"), bytes, gzip);
                long before = GC.GetAllocatedBytesForCurrentThread();
                AssertBad(path, parts);
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                Assert.IsLessThan(1 << 20, allocated, $"rejecting {string.Join("×", dims)} must not allocate its claimed size (allocated {allocated} bytes)");
            }
        }
    }

    [TestMethod]
    public void DamagedGzipAndMissingFilesAreClearErrors()
    {
        var gz = IdxWriter.Gzip(IdxWriter.Bytes(0x08, [64, 64], Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251)).ToArray()));
        var cut = IdxWriter.Write(Path_("cut.gz"), gz[..(gz.Length / 2)], gzip: false);
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.Read(cut));
        Assert.Contains(cut, ex.Message);
        Assert.IsTrue(ex.Message.Contains("truncated") || ex.Message.Contains("damaged"), ex.Message);
        var garbled = (byte[])gz.Clone();
        for (int i = 10; i < garbled.Length - 8; i++) garbled[i] ^= 0x5A;
        var bad = IdxWriter.Write(Path_("garbled.gz"), garbled, gzip: false);
        ex = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.Read(bad));
        Assert.Contains(bad, ex.Message);

        var missing = Path_("nope.gz");
        var nf = Assert.ThrowsExactly<FileNotFoundException>(() => IdxFile.Read(missing));
        Assert.Contains(missing, nf.Message);
        Assert.AreEqual(missing, nf.FileName);
    }

    [TestMethod]
    public void ToTensorRejectsBoolAndZeroDivisor()
    {
        var file = IdxFile.Read(IdxWriter.Write(Path_("b"), IdxWriter.Bytes(0x08, [2], [1, 0]), gzip: false));
        Assert.Contains("bool", Assert.ThrowsExactly<ArgumentException>(() => file.ToTensor(DType.Bool)).Message);
        Assert.Contains("divisor", Assert.ThrowsExactly<ArgumentException>(() => file.ToTensor(DType.Float32, 0)).Message);
        CollectionAssert.AreEqual(new[] { 0.5, 0 }, file.ToTensor(DType.Float64, divisor: 2).ToArray<double>());
    }
}
