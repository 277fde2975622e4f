namespace Trace.Serialization;

/// <summary>
/// Writes a file so that a reader never sees it half written: the data goes to <c>path.tmp-&lt;random&gt;</c> in the same
/// folder, is flushed to the disk (<see cref="FileStream.Flush(bool)"/> with <c>true</c>), and the temporary file then
/// replaces <c>path</c> in one rename (<see cref="File.Move(string, string, bool)"/>). A writer killed at any moment leaves
/// either the previous file or the new one at <c>path</c>, plus at worst a stray temporary file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with <paramref name="write"/>, which gets the temporary file's stream.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="write">Writes the whole content to the stream it is given.</param>
    /// <param name="api">The public API writing, for error messages.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Write(string path, Action<Stream> write, string api)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        if (path.Length == 0) throw new ArgumentException($"{api}: the path is empty.", nameof(path));
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (folder is not null && !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"{api}: the folder '{folder}' of '{path}' does not exist.");
        var tmp = $"{full}.tmp-{Guid.NewGuid():N}";
        try
        {
            using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
