// Trace perf suite.
//   dotnet run -c Release --project perf -- --quick [--out FILE.json] [--only W6,W7]   quick numbers: FMA peak, GEMM GFLOP/s (square and W1–W7 shapes), elementwise GB/s, W1–W7 eager vs traced
//                                                            (--only: just those workloads, no kernel numbers; --profile: per-node times of each traced run)
//   dotnet run -c Release --project perf -- --gemm                  just the FMA peak and the GEMM rows of --quick
//   dotnet run -c Release --project perf -- --scaling [FILE.csv]    W5 over C×T and square GEMM n=64..4096: ms, GFLOP/s (CSV: perf/scaling/trace.csv)
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

if (args.Contains("--gemm"))
{
    QuickRunner.Gemms(Console.Out);
    return 0;
}

int scaling = Array.IndexOf(args, "--scaling");
if (scaling >= 0)
{
    Scaling.Run(Console.Out, scaling + 1 < args.Length && !args[scaling + 1].StartsWith("--", StringComparison.Ordinal) ? args[scaling + 1] : "perf/scaling/trace.csv");
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
