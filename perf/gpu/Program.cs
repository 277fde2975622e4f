// Trace GPU benchmark (perf/gpu): correctness of CUDA against the CPU, copy bandwidth, SGEMM, eager W1–W5 on the device.
//   dotnet run -c Release --project perf/gpu -- [--cpu-accelerator] [--quick] [--budget-seconds N] [--out DIR]
//   perf/gpu/publish.sh, then on a GPU machine: .gpubench/Trace.GpuBench --out DIR   (README: "Running on a GPU")
using Trace.Perf.Gpu;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 64;
}
// The hard budget: sections stop starting work when it is spent; a call that hangs past it (plus a grace) ends the process.
using var watchdog = new Timer(_ =>
{
    Console.Out.Flush();
    Console.Error.WriteLine($"Trace.GpuBench: over the time budget of {options.BudgetSeconds:F0} s (plus 60 s grace): stopping.");
    Environment.Exit(124);
}, null, TimeSpan.FromSeconds(options.BudgetSeconds + 60), Timeout.InfiniteTimeSpan);
return GpuBench.Run(options, Console.Out);
