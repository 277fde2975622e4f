using System.Diagnostics;
using System.Globalization;
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

namespace QuickStart;

/// <summary>
/// The main job's first screen: the lecture's two-layer net and an elementwise chain, eager and traced, timed fairly
/// by <see cref="Jit.Compare(Action, Action, double, int, double)"/> (warm-up first, then interleaved samples, medians),
/// printed as one table with the speedup.
/// </summary>
public static class FirstScreen
{
    /// <summary>One workload's name and its eager-vs-traced timings.</summary>
    public sealed record Row(string Workload, Comparison Result);

    private const int N = 64, DIn = 1000, H = 100, DOut = 10;

    /// <summary>The lecture's two-layer net, 1000 → 100 → 10 with a ReLU, initialised from <paramref name="seed"/>.</summary>
    public static Sequential TwoLayerNet(ulong seed)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(DIn, H, generator: g), new ReLU(), new Linear(H, DOut, generator: g));
    }

    /// <summary>
    /// Times the three workloads; each comparison spends about <paramref name="budgetMs"/> ms (half warming up).
    /// Trace times exclude .NET's first-call compilation of the eager code, which runs once before tracing.
    /// </summary>
    public static IReadOnlyList<Row> Measure(double budgetMs = 1000)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([N, DIn], generator: g);
        var y = Tensor.Randn([N, DOut], generator: g);
        var rows = new List<Row>();

        // 1. Forward only, no gradients (inference): Jit.Trace fuses the first linear with its relu.
        var net = TwoLayerNet(1);
        using (Autograd.NoGrad())
        {
            net.Forward(x);
            var sw = Stopwatch.StartNew();
            var traced = Jit.Trace(net, x);
            double ms = sw.Elapsed.TotalMilliseconds;
            rows.Add(new("two-layer net forward (no grad)",
                Jit.Compare(() => net.Forward(x), () => traced.Forward(x), ms, budgetMs: budgetMs)));
        }

        // 2. A whole Adam train step (zero_grad, forward, MSE, backward, update); traced as one Jit.TraceStep.
        var eagerNet = TwoLayerNet(1);
        var stepNet = TwoLayerNet(1);
        var opt = new Adam(eagerNet.Parameters(), lr: 1e-4);
        void EagerStep()
        {
            opt.ZeroGrad();
            Functional.MseLoss(eagerNet.Forward(x), y).Backward();
            opt.Step();
        }
        EagerStep();
        var swStep = Stopwatch.StartNew();
        var step = Jit.TraceStep(stepNet, (p, t) => Functional.MseLoss(p, t), new Adam(stepNet.Parameters(), lr: 1e-4), x, y);
        double stepMs = swStep.Elapsed.TotalMilliseconds;
        rows.Add(new("two-layer net Adam train step", Jit.Compare(EagerStep, () => step.Step(x, y), stepMs, budgetMs: budgetMs)));

        // 3. An elementwise chain over 4M floats: eager makes five passes over memory, traced one fused loop.
        var a = Tensor.Randn([1 << 22], generator: g);
        var b = Tensor.Randn([1 << 22], generator: g);
        static Tensor Chain(Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1];
        Chain([a, b]);
        var swChain = Stopwatch.StartNew();
        var chain = Jit.Trace(Chain, [a, b]);
        double chainMs = swChain.Elapsed.TotalMilliseconds;
        rows.Add(new("tanh(a*0.5+b)*a+b, 4M floats", Jit.Compare(() => Chain([a, b]), () => chain.Call(a, b), chainMs, budgetMs: budgetMs)));
        return rows;
    }

    /// <summary>The first screen: what is measured, then one aligned row per workload with the speedup.</summary>
    public static string Format(IReadOnlyList<Row> rows)
    {
        var c = CultureInfo.InvariantCulture;
        int nameWidth = Math.Max("workload".Length, rows.Max(r => r.Workload.Length));
        var o = new System.Text.StringBuilder();
        o.AppendLine(c, $"Trace main job: eager vs traced on this machine ({Environment.ProcessorCount} cores, .NET {Environment.Version})");
        o.AppendLine("ms per call (per train step for the step row): the median of `timed` calls, after `warm-up` untimed calls;");
        o.AppendLine("eager and traced calls alternate, so machine noise hits both alike (Jit.Compare). ± is half the interquartile");
        o.AppendLine("range. trace+compile is the one-time cost of Jit.Trace / Jit.TraceStep (record, optimize, compile, check).");
        o.AppendLine();
        // Columns as wide as their widest cell: a slow machine's four-digit times stay aligned.
        string[] headers = ["eager ms", "traced ms", "speedup", "timed", "warm-up", "trace+compile"];
        var cells = rows.Select(row => new[]
        {
            string.Format(c, "{0:F3} ±{1:F3}", row.Result.EagerMs, row.Result.EagerSpreadMs / 2),
            string.Format(c, "{0:F3} ±{1:F3}", row.Result.TracedMs, row.Result.TracedSpreadMs / 2),
            string.Format(c, "{0:F2}x", row.Result.Speedup),
            row.Result.Samples.ToString(c),
            row.Result.Warmups.ToString(c),
            string.Format(c, "{0:F0} ms", row.Result.TraceMs),
        }).ToList();
        int[] widths = [.. headers.Select((h, k) => Math.Max(h.Length, cells.Select(r => r[k].Length).DefaultIfEmpty(0).Max()))];
        o.AppendLine("workload".PadRight(nameWidth) + string.Concat(headers.Select((h, k) => "  " + h.PadLeft(widths[k]))));
        for (int i = 0; i < rows.Count; i++)
            o.AppendLine(rows[i].Workload.PadRight(nameWidth) + string.Concat(cells[i].Select((x, k) => "  " + x.PadLeft(widths[k]))));
        return o.ToString();
    }
}
