using System.Reflection;
using System.Runtime.InteropServices;
using Trace.Kernels;
using Trace.Kernels.Gpu;

namespace Trace.Perf.Gpu;

/// <summary>
/// The device benchmark: prints the device, driver and ISA, checks CUDA against the CPU on the correctness cases, then times
/// the copy bandwidth, SGEMM n=256..4096, W1–W5 on the device eager and traced (CUDA events after warm-up, medians), the
/// allocator's hit rate in steady-state training, and W1–W5 on the CPU eager and traced; then reports the goals as
/// PASS/MISS lines and a side-by-side table with PyTorch's results on the same machine when given
/// (<see cref="BenchOptions.TorchJson"/>); everything within a hard time budget.
/// </summary>
public static class GpuBench
{
    /// <summary>Exit code: every case passed and every measurement ran or was unsupported/skipped.</summary>
    public const int Ok = 0;

    /// <summary>Exit code: a correctness case failed or a measurement raised an error.</summary>
    public const int Failed = 1;

    /// <summary>Exit code: no usable CUDA device (the reason is printed).</summary>
    public const int NoDevice = 2;

    /// <summary>
    /// Runs the benchmark, printing to <paramref name="output"/>; returns the exit code. With
    /// <see cref="BenchOptions.CpuAccelerator"/> the CUDA device is ILGPU's CPU accelerator (the test-only switch) for the
    /// duration of the call, and sizes are tiny.
    /// </summary>
    public static int Run(BenchOptions options, TextWriter output)
    {
        string? before = Environment.GetEnvironmentVariable(GpuRuntime.CpuAcceleratorVariable);
        if (options.CpuAccelerator)
        {
            GpuRuntime.Shutdown();
            Environment.SetEnvironmentVariable(GpuRuntime.CpuAcceleratorVariable, "1");
        }
        try
        {
            return RunOnDevice(options, output);
        }
        finally
        {
            if (options.CpuAccelerator)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GpuRuntime.Shutdown();
                Environment.SetEnvironmentVariable(GpuRuntime.CpuAcceleratorVariable, before);
            }
        }
    }

    private static int RunOnDevice(BenchOptions options, TextWriter output)
    {
        var budget = new Budget(options.BudgetSeconds);
        var report = new BenchReport(output);
        report.Info("Trace GPU benchmark", $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, .NET {Environment.Version}, ILGPU {typeof(ILGPU.Context).Assembly.GetName().Version}, {RuntimeInformation.OSDescription}");
        if (!Cuda.IsAvailable)
        {
            report.Info("device", $"unavailable: {Cuda.UnavailableReason}");
            if (options.OutDir is { } where) report.Write(where);
            return NoDevice;
        }
        var gpu = GpuRuntime.Device;
        report.Info("device", gpu.OnCpuAccelerator ? $"{gpu.Name} (ILGPU CPU accelerator standing in for cuda:0)"
            : $"{gpu.Name}, compute capability {gpu.ComputeCapability.Major}.{gpu.ComputeCapability.Minor}, {gpu.TotalMemory / (1 << 20)} MiB");
        report.Info("driver", gpu.DriverVersion);
        report.Info("ISA", gpu.InstructionSet);
        bool tiny = gpu.OnCpuAccelerator;
        var ctx = new BenchContext(options, report, new DeviceTimer(gpu), budget, gpu, tiny);
        report.Info("mode", tiny ? "ILGPU CPU accelerator (test-only switch): tiny sizes, few iterations; times are not GPU numbers" : "CUDA");
        report.Info("timing", ctx.Timer.Method);
        report.Info("budget", $"{options.BudgetSeconds:F0} s{(options.Quick ? ", --quick" : "")}");
        report.Info("cpu", $"{Environment.ProcessorCount} cores; Trace's CPU kernels use {ParallelRange.MaxWorkers} threads; " +
            $"Vector512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "yes" : "no")}");

        report.Section("correctness: CUDA vs CPU, max |cuda - cpu| (value) and max |cuda - cpu| / (atol + rtol |cpu|) (<= 1 passes)");
        Correctness(ctx);
        report.Section("bandwidth and SGEMM");
        double? copy = ThroughputSection.CopyBandwidth(ctx);
        ThroughputSection.Sgemm(ctx);
        report.Section("eager workloads W1-W5 on the device (each call in a DisposeScope)");
        WorkloadSection.Run(ctx);
        report.Section("traced workloads W1-W5 on the device (Jit.Trace; Jit.TraceStep for W2, W3; each call in a DisposeScope; checked against eager)");
        TracedSection.Run(ctx);
        if (copy is { } c) ThroughputSection.W4AgainstCopy(ctx, c);
        report.Section($"the same workloads on the CPU, eager and traced (Jit.Compare; {ParallelRange.MaxWorkers} threads)");
        CpuSection.Run(ctx);

        var (torch, torchWhy) = LoadTorch(ctx);
        report.Section("goals (reported, never asserted; MISS does not fail the run)");
        GoalSection.Goals(ctx, copy, torch, torchWhy);
        GoalSection.SideBySide(ctx, torch);

        // PyTorch's own errors (a torch.compile failure, say) are its rows' results, not this run's failures.
        int fail = report.Rows.Count(r => r.Status is "FAIL" or "error" && r.Section != "torch");
        int unsupported = report.Rows.Count(r => r.Status == "unsupported" && r.Section != "torch");
        int skipped = report.Rows.Count(r => r.Status == "skipped" && r.Section != "torch");
        int goalsMet = report.Rows.Count(r => r.Section == "goal" && r.Status == "PASS"), goals = report.Rows.Count(r => r.Section == "goal");
        report.Line("");
        report.Info("summary", $"{report.Rows.Count(r => r.Section == "correctness" && r.Status == "PASS")} correctness PASS, {fail} FAIL/error, " +
            $"{unsupported} unsupported, {skipped} skipped; goals {goalsMet} of {goals} PASS; " +
            $"kernels compiled {gpu.CompiledKernels} in {gpu.CompileTime.TotalSeconds:F1} s, {budget.ElapsedSeconds:F1} s in all");
        if (options.OutDir is { } dir)
        {
            var (json, md) = report.Write(dir);
            report.Line($"wrote {json} and {md}");
        }
        return fail > 0 ? Failed : Ok;
    }

    /// <summary>
    /// Reads <see cref="BenchOptions.TorchJson"/> and copies its rows into the report (section "torch"); returns the
    /// results, or null and why not (no file given, or a file that cannot be read: then a header line says so).
    /// </summary>
    private static (TorchResults? Torch, string Why) LoadTorch(BenchContext ctx)
    {
        if (ctx.Options.TorchJson is not { } path) return (null, "no PyTorch results (--torch FILE not given)");
        TorchResults torch;
        try
        {
            torch = TorchResults.Load(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            string why = $"PyTorch results unreadable: {e.Message.ReplaceLineEndings(" ")}";
            ctx.Report.Info("torch", why);
            return (null, why);
        }
        string sizes = torch.Header.GetValueOrDefault("sizes", "?"), ours = ctx.Tiny ? "tiny" : "standard";
        ctx.Report.Info("torch", $"{path}: {torch.Describe()}" + (sizes == ours ? "" : $"; WARNING: its sizes are {sizes}, this run's are {ours}"));
        ctx.Report.Section("PyTorch on the same machine (torch_bench.py; its errors do not fail this run)");
        foreach (var r in torch.Rows)
            ctx.Report.Add(new BenchRow("torch", $"{r.Id} {r.Backend} {r.Mode}", r.Status, r.MedianMs, r.MedianMs is null ? "" : "ms", r.Detail));
        return (torch, "");
    }

    private static void Correctness(BenchContext ctx)
    {
        var cases = CorrectnessCases.All(ctx.Tiny);
        foreach (var c in cases)
        {
            // Correctness gets at most 40% of the budget; the timings need the rest.
            if (ctx.SkipForBudget("correctness", c.Name, reserveSeconds: ctx.Options.BudgetSeconds * 0.6)) continue;
            try
            {
                var cpu = c.Run(Device.Cpu);
                var cuda = c.Run(Device.Cuda());
                if (cuda.FirstOrDefault(t => t.Device != Device.Cuda()) is { } off)
                    throw new InvalidOperationException($"{c.Name}: a result is on {off.Device}, not cuda:0");
                var (maxAbs, worst) = CorrectnessCases.Compare(cpu, cuda, c.Rtol, c.Atol, c.Name);
                ctx.Report.Add(new BenchRow("correctness", c.Name, worst <= 1 ? "PASS" : "FAIL", maxAbs, "abs",
                    $"worst ratio {BenchReport.Number(worst)} (rtol {c.Rtol:G2}, atol {c.Atol:G2}), {cpu.Length} tensors"));
            }
            catch (Exception e) when (WorkloadSection.CanReport(e))
            {
                string status = BenchContext.IsUnsupported(e) ? "unsupported" : "FAIL";
                ctx.Report.Add(new BenchRow("correctness", c.Name, status, null, "", WorkloadSection.Flat(e)));
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
