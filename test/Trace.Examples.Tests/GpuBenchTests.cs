using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Trace.Perf.Gpu;

namespace Trace.Examples.Tests;

/// <summary>
/// The device benchmark app (perf/gpu) in its CI mode: in-process, on ILGPU's CPU accelerator, at tiny sizes. The same
/// code runs on a GPU machine from the published binary. Its PyTorch script beside it (torch_bench.py) must at least
/// compile: torch is not on CI machines, python3 is.
/// </summary>
[TestClass]
public partial class GpuBenchTests
{
    private static readonly string[] Workloads = ["W1", "W2", "W3", "W4", "W5"];

    [GeneratedRegex(" {2,}")]
    private static partial Regex Columns();

    /// <summary>A torch_bench.py result as the app reads it: a W5 eager row, a failed compile row and a CPU row.</summary>
    private const string TorchJson = """
        {"header": {"torch": "2.11.0+cu130", "device": "NVIDIA H200", "cpu_threads": 16, "sizes": "tiny"},
         "rows": [
          {"id": "W5", "backend": "cuda", "mode": "eager", "status": "ok", "median_ms": 1.5, "detail": "median of 10"},
          {"id": "W5", "backend": "cuda", "mode": "compile", "status": "error", "detail": "BackendCompilerFailed: boom"},
          {"id": "W1", "backend": "cpu", "mode": "eager", "status": "ok", "median_ms": 0.25, "detail": "median of 10"}]}
        """;

    [TestMethod]
    [DoNotParallelize]
    public void TheCpuAcceleratorQuickRunPrintsTheDeviceChecksEveryCaseTimesEveryWorkloadAndWritesItsResults()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trace-gpubench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string torch = Path.Combine(dir, "torch_bench.json");
        File.WriteAllText(torch, TorchJson);
        var output = new StringWriter();
        int code = GpuBench.Run(new BenchOptions(CpuAccelerator: true, Quick: true, BudgetSeconds: 120, OutDir: dir, TorchJson: torch), output);
        string text = output.ToString();
        try
        {
            Assert.AreEqual(GpuBench.Ok, code, text);
            var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            var device = lines.Single(l => l.StartsWith("device: ", StringComparison.Ordinal));
            StringAssert.Contains(device, "CPU accelerator", text);
            StringAssert.Contains(lines.Single(l => l.StartsWith("timing: ", StringComparison.Ordinal)), "Stopwatch", "the CPU-accelerator fallback says so");
            Assert.IsTrue(lines.Any(l => l.StartsWith("driver: ", StringComparison.Ordinal)) && lines.Any(l => l.StartsWith("ISA: ", StringComparison.Ordinal)), text);
            StringAssert.Contains(lines.Single(l => l.StartsWith("torch: ", StringComparison.Ordinal)), "torch 2.11.0+cu130 on NVIDIA H200", text);

            // The printed rows (before the side-by-side table, which comes last): section, name, status, value, unit, detail,
            // separated by two spaces or more (a row without a value has no unit either: its detail is then the fifth column, hence r[^1]).
            int head = Array.FindIndex(lines, l => l.StartsWith("== side by side", StringComparison.Ordinal));
            Assert.IsTrue(head >= 0, text);
            var rows = lines.Take(head).Where(l => Regex.IsMatch(l, "^(correctness|bandwidth|sgemm|workload|allocator|traced|cpu-eager|cpu-traced|torch|goal) ") &&
                    !l.Contains("  name  ", StringComparison.Ordinal))
                .Select(l => Columns().Split(l)).ToList();
            var cases = rows.Where(r => r[0] == "correctness").ToList();
            Assert.AreEqual(CorrectnessCases.All(tiny: true).Count, cases.Count, text);
            foreach (var r in cases) Assert.AreEqual("PASS", r[2], string.Join(" | ", r));
            foreach (var id in Workloads)
            {
                foreach (var section in (string[])["workload", "cpu-eager", "cpu-traced"])
                {
                    var r = rows.Single(r => r[0] == section && r[1].StartsWith(id + " ", StringComparison.Ordinal));
                    Assert.AreEqual("ok", r[2], string.Join(" | ", r));
                    Assert.AreEqual("ms", r[4]);
                    Assert.IsTrue(Value(r) > 0, string.Join(" | ", r));
                    if (section == "cpu-traced") StringAssert.Contains(r[^1], "matches eager", string.Join(" | ", r));
                }
                // Traced on CUDA: timed and checked against eager once the build traces CUDA tensors; before, the row says it cannot.
                var t = rows.Single(r => r[0] == "traced" && r[1].StartsWith(id + " ", StringComparison.Ordinal));
                if (t[2] == "ok")
                {
                    Assert.IsTrue(t[4] == "ms" && Value(t) > 0, string.Join(" | ", t));
                    StringAssert.Contains(t[^1], "matches eager", string.Join(" | ", t));
                    StringAssert.Contains(t[^1], id is "W2" or "W3" ? "Jit.TraceStep" : "Jit.Trace", string.Join(" | ", t));
                }
                else
                {
                    Assert.AreEqual("unsupported", t[2], string.Join(" | ", t));
                    StringAssert.StartsWith(t[^1], TracedSection.NotSupported, string.Join(" | ", t));
                }
            }
            // The allocator served the training workloads' steady-state steps (W2, W3, W5 and all together).
            Assert.AreEqual(4, rows.Count(r => r[0] == "allocator"), text);
            foreach (var r in rows.Where(r => r[0] == "allocator"))
            {
                double rate = Value(r);
                Assert.IsTrue(rate is >= 0 and <= 100 && r[4] == "%", string.Join(" | ", r));
            }
            // Rates are measured (the W4-to-copy ratio is a goal for GPUs, not met on the CPU accelerator).
            foreach (var r in rows.Where(r => r[0] is "sgemm" or "bandwidth"))
            {
                if (r[4] != "x") Assert.AreEqual("ok", r[2], string.Join(" | ", r));
                Assert.IsTrue(Value(r) > 0, string.Join(" | ", r));
            }
            Assert.AreEqual(ThroughputSection.GemmSizes(tiny: true, quick: true).Length, rows.Count(r => r[0] == "sgemm"), text);

            // PyTorch's rows are copied in; its failed compile is its row's result, not a failure of the run (exit code 0 above).
            Assert.AreEqual(3, rows.Count(r => r[0] == "torch"), text);
            StringAssert.Contains(string.Join(" | ", rows.Single(r => r[0] == "torch" && r[1] == "W5 cuda compile")), "error | - | BackendCompilerFailed: boom");
            // Goals: PASS or MISS where both numbers exist, else n/a with the reason (traced rows are unsupported before the CUDA backend).
            var goals = rows.Where(r => r[0] == "goal").ToList();
            Assert.AreEqual(4, goals.Count, text);
            foreach (var g in goals) Assert.IsTrue(g[2] is "PASS" or "MISS" or "n/a", string.Join(" | ", g));
            var w5 = goals.Single(g => g[1] == "W5 traced <= PyTorch CUDA eager");
            if (w5[2] != "n/a") StringAssert.Contains(w5[^1], "PyTorch eager 1.500 ms", string.Join(" | ", w5));

            // The side-by-side table: every workload, PyTorch's numbers where the file has them.
            Assert.AreEqual(string.Join(" ", GoalSection.Columns), string.Join(" ", Columns().Split(lines[head + 1])), text);
            var side = lines.Skip(head + 2).TakeWhile(l => l.Length > 0).Select(l => Columns().Split(l)).ToList();
            CollectionAssert.AreEqual(Workloads.Append("W5-sdpa").ToArray(), side.Select(r => r[0]).ToArray(), text);
            Assert.AreEqual("1.500", side.Single(r => r[0] == "W5")[4], "PyTorch CUDA eager");
            Assert.AreEqual("error", side.Single(r => r[0] == "W5")[5], "PyTorch CUDA compile");
            Assert.AreEqual("0.25000", side.Single(r => r[0] == "W1")[8], "PyTorch CPU eager");

            // The result files hold the same rows and the table.
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, BenchReport.JsonFile)));
            var jsonRows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.AreEqual(rows.Count, jsonRows.Count, text);
            StringAssert.StartsWith(json.RootElement.GetProperty("device").GetString(), "CPUAccelerator");
            foreach (var r in jsonRows.Where(r => r.GetProperty("section").GetString() is "workload" or "traced" && r.GetProperty("status").GetString() == "ok"))
                Assert.IsTrue(r.GetProperty("value").GetDouble() > 0, r.ToString());
            var table = json.RootElement.GetProperty("tables").EnumerateArray().Single();
            Assert.AreEqual(side.Count, table.GetProperty("rows").GetArrayLength());
            string md = File.ReadAllText(Path.Combine(dir, BenchReport.MarkdownFile));
            StringAssert.Contains(md, "| workload | W1 ");
            StringAssert.Contains(md, "| traced | W1 ");
            StringAssert.Contains(md, "| W5 | ");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static double Value(string[] row) => double.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture);

    [TestMethod]
    public void TheTorchScriptCompiles()
    {
        // py_compile as `python3 -m py_compile` does, with the bytecode written to a temporary file (not into perf/gpu).
        string script = Path.Combine(RepositoryDocsTests.Root(), "perf", "gpu", "torch_bench.py");
        Assert.IsTrue(File.Exists(script), script);
        string pyc = Path.Combine(Path.GetTempPath(), "torch_bench-" + Guid.NewGuid().ToString("N") + ".pyc");
        var start = new System.Diagnostics.ProcessStartInfo("python3")
        {
            ArgumentList = { "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", script, pyc },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        System.Diagnostics.Process p;
        try
        {
            p = System.Diagnostics.Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"python3 is needed to check perf/gpu/torch_bench.py and was not found on PATH ({e.Message}); install python3 (Debian: apt-get install python3)");
            return;
        }
        using (p)
        {
            var stdoutTask = p.StandardOutput.ReadToEndAsync();   // both pipes drained at once: neither can fill and block the other
            string stderr = p.StandardError.ReadToEnd(), stdout = stdoutTask.Result;
            Assert.IsTrue(p.WaitForExit(60_000), "python3 -m py_compile did not finish in 60 s");
            try
            {
                Assert.AreEqual(0, p.ExitCode, $"python3 -m py_compile perf/gpu/torch_bench.py failed:\n{stdout}{stderr}");
            }
            finally
            {
                if (File.Exists(pyc)) File.Delete(pyc);
            }
        }
    }

    [TestMethod]
    public void TorchResultsReadTheScriptsRowsAndNameAFileThatIsNotOne()
    {
        string dir = Path.Combine(Path.GetTempPath(), "trace-torchjson-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "good.json");
            File.WriteAllText(good, TorchJson);
            var t = TorchResults.Load(good);
            Assert.AreEqual(1.5, t.Ms("W5", "cuda", "eager"));
            Assert.IsNull(t.Ms("W5", "cuda", "compile"), "an error row has no median");
            Assert.AreEqual("error", t.Get("W5", "cuda", "compile")!.Status);
            Assert.IsNull(t.Get("W4", "cuda", "eager"));
            Assert.AreEqual("16", t.Header["cpu_threads"], "numbers in the header are kept as text");
            StringAssert.StartsWith(t.Describe(), "torch 2.11.0+cu130 on NVIDIA H200, 16 CPU threads");

            string notJson = Path.Combine(dir, "bad.json"), noRows = Path.Combine(dir, "norows.json"), noId = Path.Combine(dir, "noid.json");
            File.WriteAllText(notJson, "{ rows: ");
            File.WriteAllText(noRows, "{\"header\": {}}");
            File.WriteAllText(noId, "{\"rows\": [{\"backend\": \"cuda\", \"mode\": \"eager\", \"status\": \"ok\"}]}");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchResults.Load(notJson)).Message, "not JSON");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchResults.Load(noRows)).Message, "no \"rows\" array");
            StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => TorchResults.Load(noId)).Message, "row 0 has no string \"id\"");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void OptionsParseEveryFlagAndNameABadArgument()
    {
        var o = BenchOptions.Parse(["--cpu-accelerator", "--quick", "--budget-seconds", "42.5", "--out", "res", "--torch", "t.json"]);
        Assert.AreEqual(new BenchOptions(true, true, 42.5, "res", "t.json"), o);
        Assert.AreEqual(new BenchOptions(), BenchOptions.Parse([]));
        Assert.AreEqual(300, new BenchOptions().BudgetSeconds, "the default hard budget is 5 minutes");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => BenchOptions.Parse(["--fast"])).Message, "'--fast'");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => BenchOptions.Parse(["--budget-seconds", "-1"])).Message, "--budget-seconds");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => BenchOptions.Parse(["--out"])).Message, "--out");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => BenchOptions.Parse(["--torch"])).Message, "--torch");
    }

    [TestMethod]
    public void TheComparisonFailsADifferenceOutsideTheTolerancesAndMatchesNaNs()
    {
        var cpu = new[] { Tensor.From(new float[] { 1, 2, float.NaN, float.PositiveInfinity }, [4]) };
        var same = CorrectnessCases.Compare(cpu, [cpu[0].Clone()], 1e-3, 1e-5, "same");
        Assert.AreEqual((0.0, 0.0), same);
        var off = CorrectnessCases.Compare(cpu, [Tensor.From(new float[] { 1, 2.01f, float.NaN, float.PositiveInfinity }, [4])], 1e-3, 1e-5, "off");
        Assert.AreEqual(0.01, off.MaxAbs, 1e-6);
        Assert.IsTrue(off.WorstRatio > 1, $"0.01 against 2 is outside rtol 1e-3: {off}");
        var nan = CorrectnessCases.Compare(cpu, [Tensor.From(new float[] { float.NaN, 2, float.NaN, float.PositiveInfinity }, [4])], 1e-3, 1e-5, "nan");
        Assert.IsTrue(nan.WorstRatio > 1, "NaN against a number fails");
        Assert.ThrowsExactly<InvalidOperationException>(() => CorrectnessCases.Compare(cpu, [Tensor.Zeros(2, 2)], 1e-3, 1e-5, "shape"));
    }
}
