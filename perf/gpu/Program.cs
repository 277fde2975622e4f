// Trace GPU benchmark (perf/gpu): correctness of CUDA against the CPU, copy bandwidth, SGEMM, W1–W5 eager and traced on
// the device and on the CPU, goals and a side-by-side table with PyTorch (torch_bench.py's JSON, --torch).
//   dotnet run -c Release --project perf/gpu -- [--cpu-accelerator] [--quick] [--budget-seconds N] [--out DIR] [--torch FILE]
//   perf/gpu/publish.sh, then on a GPU machine: perf/gpu/device-run.sh (the app and torch_bench.py; docs/BENCHMARKS.md)
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
