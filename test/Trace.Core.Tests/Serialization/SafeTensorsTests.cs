using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Trace.Serialization;

namespace Trace.Core.Tests.Serialization;

[TestClass]
public sealed class SafeTensorsTests
{
    private static Dictionary<string, Tensor> Sample()
    {
        var g = new Generator(3);
        return new()
        {
            ["0.weight"] = Tensor.Randn([3, 4], generator: g),
            ["layers.1.bias"] = Tensor.Randn([5], generator: g).To(DType.Float64),
            ["bn.num_batches_tracked"] = Tensor.Scalar(7L),
            ["ids"] = Tensor.From(new[] { -3, 0, int.MaxValue, int.MinValue }),
            ["mask"] = Tensor.From(new[] { true, false, true }),
            ["empty"] = Tensor.Zeros(0, 3),
            ["transposed"] = Tensor.Arange(6).To(DType.Float32).Reshape(2, 3).T,
        };
    }

    [TestMethod]
    public void RoundTripKeepsNamesDtypesShapesValuesAndMetadata()
    {
        var tensors = Sample();
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"\n" };
        var loaded = SafeTensors.Deserialize(SafeTensors.Serialize(tensors, meta));
        CollectionAssert.AreEquivalent(tensors.Keys.ToList(), loaded.Tensors.Keys.ToList());
        foreach (var (k, t) in tensors)
        {
            var l = loaded.Tensors[k];
            Assert.AreEqual(t.DType, l.DType, k);
            CollectionAssert.AreEqual(t.Shape.ToArray(), l.Shape.ToArray(), k);
            CollectionAssert.AreEqual(t.ToArray<double>(), l.ToArray<double>(), k);
        }
        CollectionAssert.AreEquivalent(meta.ToList(), loaded.Metadata.ToList());
        Assert.AreEqual("I64", loaded.SourceDTypes["bn.num_batches_tracked"]);
    }

    [TestMethod]
    public void FileLayoutFollowsTheFormat()
    {
        var bytes = SafeTensors.Serialize(new Dictionary<string, Tensor> { ["b"] = Tensor.From(new[] { 1f, 2f }), ["a"] = Tensor.From(new long[] { 5 }) },
            new Dictionary<string, string> { ["k"] = "v" });
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0, (8 + n) % 8, "the data starts 8-byte aligned");
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var root = doc.RootElement;
        Assert.AreEqual("v", root.GetProperty("__metadata__").GetProperty("k").GetString());
        // Name order: "a" first at offset 0 (8 bytes), then "b" (8 bytes).
        Assert.AreEqual("I64", root.GetProperty("a").GetProperty("dtype").GetString());
        CollectionAssert.AreEqual(new long[] { 0, 8 }, root.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new long[] { 8, 16 }, root.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        CollectionAssert.AreEqual(new long[] { 2 }, root.GetProperty("b").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray());
        var data = bytes.AsSpan(8 + (int)n);
        Assert.AreEqual(5L, BinaryPrimitives.ReadInt64LittleEndian(data));
        Assert.AreEqual(2f, BinaryPrimitives.ReadSingleLittleEndian(data[12..]));
    }

    /// <summary>A file as another writer makes it: tensors in any order, no padding, the narrow types Trace converts.</summary>
    private static byte[] Handmade(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)h.Length);
        h.CopyTo(b, 8);
        data.CopyTo(b, 8 + h.Length);
        return b;
    }

    [TestMethod]
    public void ReadsHalfBfloatAndNarrowIntegersConverted()
    {
        float[] values = [1.5f, -0.333251953125f, 65504f, float.NegativeInfinity];
        var data = new List<byte>();
        foreach (var v in values) data.AddRange(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)v)));        // F16 [0, 8)
        foreach (var v in values) data.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)));   // BF16 [8, 16)
        data.AddRange([0xFF, 0x80, 0x7F]);      // I8 [16, 19)
        data.AddRange([0xFF, 0x00, 0x07]);      // U8 [19, 22)
        data.AddRange([0x00, 0x02, 0x01]);      // BOOL [22, 25)
        data.AddRange(BitConverter.GetBytes(uint.MaxValue));   // U32 [25, 29)
        string header = ("{'u32':{'dtype':'U32','shape':[1],'data_offsets':[25,29]},'h':{'dtype':'F16','shape':[2,2],'data_offsets':[0,8]}," +
            "'bf':{'dtype':'BF16','shape':[4],'data_offsets':[8,16]},'i8':{'dtype':'I8','shape':[3],'data_offsets':[16,19]}," +
            "'u8':{'dtype':'U8','shape':[3],'data_offsets':[19,22]},'b':{'dtype':'BOOL','shape':[3],'data_offsets':[22,25]}}").Replace('\'', '"');
        var f = SafeTensors.Deserialize(Handmade(header, [.. data]));
        var h = f.Tensors["h"];
        Assert.AreEqual(DType.Float32, h.DType);
        CollectionAssert.AreEqual(new[] { 2, 2 }, h.Shape.ToArray());
        CollectionAssert.AreEqual(values.Select(v => (float)(Half)v).ToArray(), h.ToArray<float>());
        CollectionAssert.AreEqual(values.Select(v => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(v) & 0xFFFF0000)).ToArray(), f.Tensors["bf"].ToArray<float>());
        CollectionAssert.AreEqual(new[] { -1, -128, 127 }, f.Tensors["i8"].ToArray<int>());
        CollectionAssert.AreEqual(new[] { 255, 0, 7 }, f.Tensors["u8"].ToArray<int>());
        CollectionAssert.AreEqual(new[] { false, true, true }, f.Tensors["b"].ToArray<bool>());
        Assert.AreEqual((long)uint.MaxValue, f.Tensors["u32"].ToArray<long>()[0]);
        Assert.AreEqual("BF16", f.SourceDTypes["bf"]);
    }

    [TestMethod]
    public void FilesOnDiskRoundTrip()
    {
        var path = Path.Combine(Path.GetTempPath(), $"trace-st-{Guid.NewGuid():N}.safetensors");
        try
        {
            var tensors = Sample();
            SafeTensors.Save(path, tensors);
            var loaded = SafeTensors.Load(path);
            foreach (var (k, t) in tensors) CollectionAssert.AreEqual(t.ToArray<double>(), loaded.Tensors[k].ToArray<double>(), k);
            Assert.AreEqual(0, loaded.Metadata.Count);
        }
        finally { File.Delete(path); }
        Assert.ThrowsExactly<FileNotFoundException>(() => SafeTensors.Load(path));
    }

    [TestMethod]
    public void SaveRejectsBadNamesAndTensorsBeforeWriting()
    {
        Assert.ThrowsExactly<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { [""] = Tensor.Zeros(1) }));
        Assert.ThrowsExactly<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
        Assert.ThrowsExactly<ArgumentException>(() => SafeTensors.Serialize(new Dictionary<string, Tensor> { ["x"] = null! }));
    }

    [TestMethod]
    [DataRow("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}""", 8, "needs 8")]
    [DataRow("""{"x":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}""", 2, "F8_E4M3")]
    [DataRow("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}""", 6, "overlaps")]
    [DataRow("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "belong to no tensor")]
    [DataRow("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 12, "use only 4")]
    [DataRow("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "appears twice")]
    [DataRow("""{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "shape entry 0")]
    [DataRow("""{"x":{"dtype":"F32","shape":[65536,65536,65536],"data_offsets":[0,4]}}""", 4, "more elements")]
    [DataRow("""{"x":{"dtype":"F32","shape":[1]}}""", 4, "data_offsets")]
    [DataRow("""{"__metadata__":{"k":1}}""", 0, "not a string")]
    [DataRow("""[1,2]""", 0, "not an object")]
    [DataRow("""{"x":""", 0, "not valid JSON")]
    public void MalformedHeadersAreClearErrors(string header, int dataBytes, string expected)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Deserialize(Handmade(header, new byte[dataBytes])));
        StringAssert.Contains(e.Message, expected);
        StringAssert.StartsWith(e.Message, "safetensors data:");
    }

    [TestMethod]
    public void AbsurdHeaderLengthIsRejectedBeforeAllocating()
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(b, ulong.MaxValue - 3);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Deserialize(b)).Message, "only 8 follow");
        Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Deserialize(new byte[5]));
    }

    [TestMethod]
    public void EveryTruncationIsAClearError()
    {
        var bytes = SafeTensors.Serialize(Sample(), new Dictionary<string, string> { ["a"] = "b" });
        for (int n = 0; n < bytes.Length; n++)
            Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Deserialize(bytes.AsSpan(0, n)), $"truncated to {n} of {bytes.Length} bytes");
    }

    [TestMethod]
    public void NonSeekableStreamsLoad()
    {
        var bytes = SafeTensors.Serialize(Sample());
        using var pipe = new ForwardOnlyStream(bytes);
        var f = SafeTensors.Load(pipe);
        CollectionAssert.AreEqual(Sample()["0.weight"].ToArray<float>(), f.Tensors["0.weight"].ToArray<float>());
    }

    private sealed class ForwardOnlyStream(byte[] data) : Stream
    {
        private int _at;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = Math.Min(Math.Min(count, 7), data.Length - _at);   // short reads, as a pipe gives
            Array.Copy(data, _at, buffer, offset, n);
            _at += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Random byte edits, insertions and deletions of a valid file: each either loads or is an InvalidDataException.</summary>
    internal static void Fuzz(int cases, int seed)
    {
        var valid = SafeTensors.Serialize(Sample(), new Dictionary<string, string> { ["a"] = "b" });
        var rng = new Random(seed);
        int loaded = 0;
        for (int c = 0; c < cases; c++)
        {
            var b = new List<byte>(valid);
            int edits = 1 + rng.Next(4);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(b.Count);
                switch (rng.Next(4))
                {
                    case 0: b[at] = (byte)rng.Next(256); break;
                    case 1: b[at] ^= (byte)(1 << rng.Next(8)); break;
                    case 2: b.Insert(at, (byte)rng.Next(256)); break;
                    default: b.RemoveAt(at); break;
                }
            }
            try
            {
                SafeTensors.Deserialize(b.ToArray());
                loaded++;
            }
            catch (InvalidDataException) { }
        }
        Assert.IsTrue(loaded < cases, "some mutations must be caught");
    }

    [TestMethod]
    public void MutatedFilesLoadOrFailCleanly() => Fuzz(500, 11);

    [TestMethod, TestCategory("Slow")]
    public void MutatedFilesLoadOrFailCleanlyMany() => Fuzz(20_000, 12);
}
