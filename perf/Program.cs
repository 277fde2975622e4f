// Trace perf suite.
//   dotnet run -c Release --project perf -- --quick    quick side-by-side numbers (GEMM GFLOP/s, elementwise GB/s)
//   dotnet run -c Release --project perf -- [BenchmarkDotNet args, e.g. --filter *Gemm*]
using BenchmarkDotNet.Running;
using Trace.Perf;

if (args.Contains("--quick"))
{
    QuickRunner.Run(Console.Out);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args);
