using System.Globalization;

namespace Trace.Perf.Gpu;

/// <summary>The benchmark's command line: <c>[--cpu-accelerator] [--quick] [--budget-seconds N] [--out DIR] [--torch FILE]</c>.</summary>
/// <param name="CpuAccelerator">Run on ILGPU's CPU accelerator (the test-only switch) at tiny sizes, timed by Stopwatch: for CI.</param>
/// <param name="Quick">Fewer sizes and iterations.</param>
/// <param name="BudgetSeconds">The hard time budget of the whole run; what does not fit is reported as skipped.</param>
/// <param name="OutDir">Where the result files (JSON and Markdown, <see cref="BenchReport.JsonFile"/>) are written (null: not written).</param>
/// <param name="TorchJson">PyTorch's results on the same machine (<c>perf/gpu/torch_bench.py</c>'s JSON), for the side-by-side table and the W5 goal (null: none).</param>
public sealed record BenchOptions(bool CpuAccelerator = false, bool Quick = false, double BudgetSeconds = 300, string? OutDir = null, string? TorchJson = null)
{
    /// <summary>The usage line.</summary>
    public const string Usage = "usage: Trace.GpuBench [--cpu-accelerator] [--quick] [--budget-seconds N] [--out DIR] [--torch FILE]";

    /// <summary>Parses the command line; an <see cref="ArgumentException"/> naming the bad argument and the usage otherwise.</summary>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--cpu-accelerator": o = o with { CpuAccelerator = true }; break;
                case "--quick": o = o with { Quick = true }; break;
                case "--budget-seconds":
                    if (i + 1 >= args.Count || !double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) || !(s > 0))
                        throw new ArgumentException($"--budget-seconds needs a positive number of seconds. {Usage}");
                    o = o with { BudgetSeconds = s };
                    i++;
                    break;
                case "--out":
                    if (i + 1 >= args.Count) throw new ArgumentException($"--out needs a folder. {Usage}");
                    o = o with { OutDir = args[++i] };
                    break;
                case "--torch":
                    if (i + 1 >= args.Count) throw new ArgumentException($"--torch needs the JSON file torch_bench.py wrote. {Usage}");
                    o = o with { TorchJson = args[++i] };
                    break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'. {Usage}");
            }
        }
        return o;
    }
}
