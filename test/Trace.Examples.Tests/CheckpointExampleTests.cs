using System.Diagnostics;
using Lecture.Checkpoint;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Examples.Tests;

/// <summary>
/// The checkpoint example in real processes: 10 steps saved by one process and 10 more in a fresh process give the same
/// bits as 20 steps in one; a writer killed at random moments always leaves a checkpoint that loads and is one complete write.
/// </summary>
[TestClass]
public class CheckpointExampleTests
{
    private static string ExampleDll => Path.Combine(AppContext.BaseDirectory, "11-Checkpoint.dll");

    /// <summary>Starts the example with <paramref name="args"/> under the dotnet host running these tests.</summary>
    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ExampleDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the example");
    }

    /// <summary>Runs the example to its end and returns the checksum it printed.</summary>
    private static string Run(params string[] args)
    {
        using var p = Start(args);
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.IsTrue(p.WaitForExit(120_000), $"11-Checkpoint {string.Join(' ', args)} did not finish");
        Assert.AreEqual(0, p.ExitCode, $"11-Checkpoint {string.Join(' ', args)}: {stdout}\n{stderr.Result}");
        var line = stdout.Split('\n').Last(l => l.StartsWith("checksum ", StringComparison.Ordinal));
        return line["checksum ".Length..].Trim();
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"trace-ckpt-example-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void ResumingInAFreshProcessEqualsOneStraightRun()
    {
        var dir = TempDir();
        try
        {
            var ck = Path.Combine(dir, "ck");
            string first = Run("--steps", "10", "--save", ck);
            string resumed = Run("--resume", ck, "--steps", "10");
            string straight = Run("--steps", "20");
            Assert.AreEqual(straight, resumed, "10 + 10 steps across two processes vs 20 in one");
            Assert.AreNotEqual(first, resumed, "the resumed process did train");
            Assert.AreEqual(straight, Example.Train(20).Checksum, "the process and an in-process run agree");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void KillingTheWriterNeverLeavesADamagedCheckpoint()
    {
        const int hidden = 2000;   // about 24 MB a checkpoint (the net and its Adam state)
        var dir = TempDir();
        try
        {
            var ck = Path.Combine(dir, "ck");
            var random = new Random(11);
            int writes = 0;
            for (int kill = 0; kill < 5; kill++)
            {
                using var p = Start("--write-forever", ck, "--hidden", hidden.ToString(System.Globalization.CultureInfo.InvariantCulture));
                _ = p.StandardError.ReadToEndAsync();
                // Wait for a first write of this process (so that there is something to damage), then kill it at a random moment.
                var line = p.StandardOutput.ReadLine();
                Assert.IsNotNull(line, "the writer printed nothing");
                StringAssert.StartsWith(line, "wrote ");
                var drain = p.StandardOutput.ReadToEndAsync();
                Thread.Sleep(random.Next(0, 800));
                p.Kill(entireProcessTree: true);
                Assert.IsTrue(p.WaitForExit(30_000), "the killed writer did not exit");
                int printed = int.Parse(drain.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Prepend(line).Last()["wrote ".Length..],
                    System.Globalization.CultureInfo.InvariantCulture);
                int epoch = Example.Verify(ck, hidden);
                // "wrote k" is printed after write k was renamed into place; the next write may have completed unprinted.
                Assert.IsTrue(epoch == printed || epoch == printed + 1, $"kill {kill}: the checkpoint holds write {epoch}, the writer had printed up to {printed}");
                writes += printed;
            }
            Assert.IsTrue(writes >= 5, $"{writes} writes in all");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void VerifyRefusesAnIncompleteState()
    {
        var dir = TempDir();
        try
        {
            var ck = Path.Combine(dir, "ck");
            Example.WriteForever(ck, hidden: 8, TextWriter.Null, times: 2);
            Assert.AreEqual(2, Example.Verify(ck, 8));
            // A checkpoint whose values do not all equal its epoch is not a complete write.
            var model = Example.Model(0, 8);
            var opt = new Trace.Optim.Adam(model.Parameters());
            Trace.Serialization.Checkpoint.Load(ck, model, opt);
            Trace.Serialization.Checkpoint.Save(ck, model, opt, epoch: 3);
            Assert.ThrowsExactly<InvalidDataException>(() => Example.Verify(ck, 8));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
