// Trace perf suite.
//   dotnet run -c Release --project perf -- --quick [--out FILE.json]   quick numbers: GEMM GFLOP/s, elementwise GB/s, W1–W5 eager vs traced
//   dotnet run -c Release --project perf -- [BenchmarkDotNet args, e.g. --filter *Gemm*]
using BenchmarkDotNet.Running;
using Trace.Perf;

if (args.Contains("--quick"))
{
    int o = Array.IndexOf(args, "--out");
    QuickRunner.Run(Console.Out, o >= 0 && o + 1 < args.Length ? args[o + 1] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args);
