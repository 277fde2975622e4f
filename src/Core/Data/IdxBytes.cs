using System.Buffers.Binary;
using System.IO.Compression;

namespace Trace.Data;

/// <summary>
/// The bytes of an IDX file: read whole when plain, decompressed when it starts with the gzip magic (1F 8B; an IDX
/// file starts with two zero bytes, so the two cannot be confused). Decompression grows its buffer with the data
/// actually produced, never to a size a damaged header claims.
/// </summary>
internal static class IdxBytes
{
    /// <summary>Largest decompressed file accepted: the largest .NET byte array.</summary>
    private static readonly long MaxBytes = Array.MaxLength;

    /// <summary>The file's (decompressed) bytes: a buffer and how many of its bytes are data.</summary>
    public static (byte[] Bytes, int Length) Load(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long fileLength = file.Length;
        Span<byte> magic = stackalloc byte[2];
        int got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        bool gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        file.Position = 0;
        if (!gzip)
        {
            if (fileLength > MaxBytes)
                throw new InvalidDataException($"IdxFile: {path} has {fileLength} bytes; files over {MaxBytes} bytes are not supported.");
            var bytes = new byte[fileLength];
            file.ReadExactly(bytes);
            return (bytes, bytes.Length);
        }
        return Decompress(path, file, fileLength);
    }

    private static (byte[] Bytes, int Length) Decompress(string path, FileStream file, long fileLength)
    {
        // The gzip trailer's ISIZE (uncompressed length mod 2^32) sizes the buffer once for a well-formed file; it is only
        // a hint, capped by the largest ratio deflate can reach (~1032:1), so a damaged trailer cannot force a huge allocation.
        int capacity = 1 << 16;
        if (fileLength >= 18)
        {
            Span<byte> trailer = stackalloc byte[4];
            file.Position = fileLength - 4;
            file.ReadExactly(trailer);
            file.Position = 0;
            long hint = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
            capacity = (int)Math.Clamp(Math.Min(hint, fileLength * 1032), 0, MaxBytes);
        }
        var output = new MemoryStream(capacity);
        try
        {
            using var gz = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            gz.CopyTo(output);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"IdxFile: {path} starts like a gzip file but cannot be decompressed ({e.Message}); the file is damaged or truncated.", e);
        }
        catch (Exception e) when (e is IOException or OutOfMemoryException or ArgumentOutOfRangeException)
        {
            throw new InvalidDataException($"IdxFile: {path} could not be decompressed after {output.Length} bytes ({e.Message}); decompressed files over {MaxBytes} bytes are not supported.", e);
        }
        return (output.GetBuffer(), (int)output.Length);
    }
}
