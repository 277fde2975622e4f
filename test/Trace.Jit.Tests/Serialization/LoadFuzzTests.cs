using System.IO.Compression;
using System.Text;
using Trace.Nn;

namespace Trace.Jit.Tests.Serialization;

/// <summary>
/// Jit.Load on bad files: missing, truncated, of another format or a newer version, with absurd sizes or hostile names, and
/// fuzzed — random byte edits of the whole file, and edits of its entries (manifest JSON, IR text by <see cref="IrMutator"/>,
/// safetensors bytes) written back into a valid zip. Each load either fails with an InvalidDataException naming the file,
/// or gives a module whose call runs or fails with a clear Trace error; nothing else escapes, nothing hangs.
/// </summary>
[TestClass]
public sealed class LoadFuzzTests
{
    private static readonly Lazy<(byte[] File, Tensor Input)> Saved = new(() =>
    {
        var g = new Generator(21);
        var model = new Sequential(new Linear(6, 5, generator: g), new ReLU(), new LayerNorm(5), new Linear(5, 3, generator: g));
        var x = Tensor.Randn([4, 6], generator: g);
        var path = Path.Combine(Path.GetTempPath(), $"trace-fuzz-{Guid.NewGuid():N}.tmodel");
        try
        {
            var traced = Jit.Trace(model, x);
            using (Autograd.NoGrad()) traced.Forward(x);   // a second graph: traced without gradients
            traced.Save(path);
            return (File.ReadAllBytes(path), x);
        }
        finally { File.Delete(path); }
    });

    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"trace-fuzz-{Guid.NewGuid():N}.tmodel");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The saved file with its entries edited (null: removed) and written back into a valid zip.</summary>
    internal static byte[] Rezip(byte[] file, Func<string, byte[], byte[]?> edit)
    {
        using var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var e in source.Entries)
            {
                using var ms = new MemoryStream();
                using (var s = e.Open()) s.CopyTo(ms);
                if (edit(e.FullName, ms.ToArray()) is not { } bytes) continue;
                using var w = target.CreateEntry(e.FullName, CompressionLevel.NoCompression).Open();
                w.Write(bytes);
            }
        return output.ToArray();
    }

    private enum Outcome { Rejected, Ran, RunError }

    private static Outcome Check(byte[] bytes, string label)
    {
        var path = Write(bytes);
        try
        {
            TracedModule loaded;
            try
            {
                loaded = Jit.Load(path);
            }
            catch (InvalidDataException e)
            {
                StringAssert.StartsWith(e.Message, $"Jit.Load: '{path}' is not a valid Trace model file (", label);
                return Outcome.Rejected;
            }
            if (!loaded.SavedForwards!.All(f => IrFuzzTests.SmallEnough(f.Graph))) return Outcome.RunError;
            try
            {
                using (Autograd.NoGrad()) loaded.Forward(Saved.Value.Input);
                loaded.Forward(Saved.Value.Input).Sum().Backward();
                return Outcome.Ran;
            }
            catch (Exception e) when (IrFuzzTests.IsClear(e) || e is TracingCheckException)
            {
                return Outcome.RunError;
            }
        }
        catch (Exception e) when (e is not AssertFailedException)
        {
            Assert.Fail($"{label}: {e.GetType().Name} escaped: {e}");
            throw;
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void TheUnmutatedFileLoadsAndRuns() => Assert.AreEqual(Outcome.Ran, Check(Saved.Value.File, "unmutated"));

    [TestMethod]
    public void MissingTruncatedAndForeignFilesAreClearErrors()
    {
        Assert.ThrowsExactly<FileNotFoundException>(() => Jit.Load(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.tmodel")));
        var file = Saved.Value.File;
        for (int n = 0; n < file.Length; n += Math.Max(1, file.Length / 97))
            Assert.AreEqual(Outcome.Rejected, Check(file[..n], $"truncated to {n}"), $"truncated to {n} of {file.Length} bytes");
        Assert.AreEqual(Outcome.Rejected, Check(Encoding.UTF8.GetBytes("graph(%x : Float(2)):\n  return (%x)\n"), "IR text, not a zip"));
        Assert.AreEqual(Outcome.Rejected, Check(Rezip(file, (n, b) => n == "weights.safetensors" ? null : b), "no weights"));
    }

    private static byte[] EditManifest(Func<string, string> edit) =>
        Rezip(Saved.Value.File, (n, b) => n == "trace.json" ? Encoding.UTF8.GetBytes(edit(Encoding.UTF8.GetString(b))) : b);

    private static string LoadError(byte[] bytes)
    {
        var path = Write(bytes);
        try { return Assert.ThrowsExactly<InvalidDataException>(() => Jit.Load(path)).Message; }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void VersionsFormatsNamesAndSizesAreChecked()
    {
        StringAssert.Contains(LoadError(EditManifest(m => m.Replace("\"version\": 1", "\"version\": 2"))), "format version 2 by a newer Trace; this Trace reads version 1");
        StringAssert.Contains(LoadError(EditManifest(m => m.Replace("trace-jit-module", "onnx"))), "its format is 'onnx'");
        StringAssert.Contains(LoadError(EditManifest(m => m.Replace("\"name\": \"0.weight\"", "\"name\": \"../../etc/passwd %x\""))), "is not an IR name");
        StringAssert.Contains(LoadError(EditManifest(m => m.Replace("\"lifted\": 0", "\"lifted\": 3"))), "lifted tensors");
        // A weight of another shape than the graph declares.
        var other = Trace.Serialization.SafeTensors.Serialize(Trace.Serialization.SafeTensors.Deserialize(
            ReadEntry(Saved.Value.File, "weights.safetensors")).Tensors.ToDictionary(kv => kv.Key, kv => kv.Key == "0.weight" ? Tensor.Zeros(5, 7) : kv.Value));
        StringAssert.Contains(LoadError(Rezip(Saved.Value.File, (n, b) => n == "weights.safetensors" ? other : b)), "but its weight is torch.float32 (5, 7)");
        // A central-directory size far beyond the file: refused before anything is allocated.
        var bytes = (byte[])Saved.Value.File.Clone();
        int cd = FindLast(bytes, [0x50, 0x4b, 0x01, 0x02]);
        BitConverter.GetBytes(0x7FFF_FFF0u).CopyTo(bytes, cd + 24);
        Assert.AreEqual(Outcome.Rejected, Check(bytes, "absurd entry size"));
    }

    private static byte[] ReadEntry(byte[] file, string name)
    {
        using var zip = new ZipArchive(new MemoryStream(file), ZipArchiveMode.Read);
        using var s = zip.GetEntry(name)!.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    private static int FindLast(byte[] b, byte[] pattern)
    {
        for (int i = b.Length - pattern.Length; i >= 0; i--)
            if (b.AsSpan(i, pattern.Length).SequenceEqual(pattern)) return i;
        throw new InvalidOperationException("pattern not found");
    }

    private const string JsonBytes = "0123456789{}[]\",:-e\0\u00ff";

    private static void Fuzz(int cases, int seed)
    {
        var file = Saved.Value.File;
        var irLines = Encoding.UTF8.GetString(ReadEntry(file, "graphs/0.ir")).Split('\n');
        var counts = new Dictionary<Outcome, int>();
        for (int i = 0; i < cases; i++)
        {
            var rng = new Random(seed + i);
            string what;
            byte[] mutated;
            switch (i % 4)
            {
                case 0:   // bytes of the whole file
                    mutated = (byte[])file.Clone();
                    for (int k = 1 + rng.Next(3); k > 0; k--) mutated[rng.Next(mutated.Length)] = (byte)rng.Next(256);
                    what = "file bytes";
                    break;
                case 1:   // the IR text, in a valid zip
                {
                    string? edits = null;
                    mutated = Rezip(file, (n, b) => n.EndsWith(".ir", StringComparison.Ordinal) && rng.Next(2) == 0
                        ? Encoding.UTF8.GetBytes(IrMutator.Mutate(Encoding.UTF8.GetString(b), rng, irLines, out edits)) : b);
                    what = $"IR ({edits ?? "none"})";
                    break;
                }
                default:  // the manifest or a tensors file, in a valid zip
                {
                    string entry = i % 4 == 2 ? "trace.json" : rng.Next(2) == 0 ? "weights.safetensors" : "graphs/0.safetensors";
                    mutated = Rezip(file, (n, b) =>
                    {
                        if (n != entry) return b;
                        var c = (byte[])b.Clone();
                        for (int k = 1 + rng.Next(3); k > 0; k--) c[rng.Next(c.Length)] = (byte)JsonBytes[rng.Next(JsonBytes.Length)];
                        return c;
                    });
                    what = entry;
                    break;
                }
            }
            var outcome = Check(mutated, $"case {seed + i} ({what})");
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
        }
        var summary = string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}"));
        Console.WriteLine($"{cases} mutated files: {summary}");
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.Rejected) > cases / 4, summary);
        Assert.IsTrue(counts.GetValueOrDefault(Outcome.Ran) > 0, summary);
    }

    [TestMethod]
    public void MutatedFilesLoadOrFailClearly() => Fuzz(300, 1);

    [TestMethod, TestCategory("Slow")]
    public void ManyMutatedFilesLoadOrFailClearly() => Fuzz(4000, 100_003);
}
