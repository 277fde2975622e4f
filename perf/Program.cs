// Trace perf suite.
//   dotnet run -c Release --project perf -- --quick [--out FILE.json] [--only W6,W7]   quick numbers: GEMM GFLOP/s, elementwise GB/s, W1–W7 eager vs traced
//                                                            (--only: just those workloads, no kernel numbers; --profile: per-node times of each traced run)
//   dotnet run -c Release --project perf -- --goals DIR      the goals of docs/BENCHMARKS.md from DIR's libtorch-N.txt / trace-N.txt rounds (perf/compare.sh)
//   dotnet run -c Release --project perf -- [BenchmarkDotNet args, e.g. --filter *Gemm*]
using BenchmarkDotNet.Running;
using Trace.Perf;

int goals = Array.IndexOf(args, "--goals");
if (goals >= 0)
{
    if (goals + 1 >= args.Length) { Console.Error.WriteLine("--goals needs a folder of libtorch-N.txt / trace-N.txt rounds (perf/compare.sh writes one)."); return 2; }
    Goals.Report(Console.Out, args[goals + 1]);
    return 0;
}

if (args.Contains("--quick"))
{
    int o = Array.IndexOf(args, "--out"), only = Array.IndexOf(args, "--only");
    QuickRunner.Run(Console.Out, o >= 0 && o + 1 < args.Length ? args[o + 1] : null,
        only >= 0 && only + 1 < args.Length ? args[only + 1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null,
        args.Contains("--profile"));
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args);
return 0;
