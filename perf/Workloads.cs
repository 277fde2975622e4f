using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Perf;

/// <summary>Two linear layers on the same input, multiplied, then ReLU (the lecture's ParallelBlock).</summary>
public sealed class ParallelBlock(int dIn, int dOut, Generator g) : Module
{
    private readonly Linear linear1 = new(dIn, dOut, generator: g);
    private readonly Linear linear2 = new(dIn, dOut, generator: g);

    public override Tensor Forward(Tensor x) => (linear1.Forward(x) * linear2.Forward(x)).Clamp(min: 0);
}

/// <summary>A pre-LayerNorm GPT block: causal multi-head self-attention and a 4x GELU MLP, each with a residual.</summary>
public sealed class GptBlock : Module
{
    private readonly LayerNorm ln1, ln2;
    private readonly Linear qkv, proj, fc, fcProj;
    private readonly GELU gelu = new();
    private readonly int _heads;
    private readonly Tensor _causal;

    public GptBlock(int channels, int heads, int maxT, Generator g)
    {
        _heads = heads;
        ln1 = new LayerNorm(channels);
        ln2 = new LayerNorm(channels);
        qkv = new Linear(channels, 3 * channels, generator: g);
        proj = new Linear(channels, channels, generator: g);
        fc = new Linear(channels, 4 * channels, generator: g);
        fcProj = new Linear(4 * channels, channels, generator: g);
        _causal = Tensor.Ones(maxT, maxT).Tril().Eq(0.0);   // true above the diagonal: masked
    }

    public override Tensor Forward(Tensor x)
    {
        int b = x.Size(0), t = x.Size(1), c = x.Size(2), d = c / _heads;
        var parts = qkv.Forward(ln1.Forward(x)).Split(c, 2);
        Tensor Heads(Tensor z) => z.View(b, t, _heads, d).Transpose(1, 2);          // (B, H, T, D)
        var (q, k, v) = (Heads(parts[0]), Heads(parts[1]), Heads(parts[2]));
        var att = q.Matmul(k.MT).Mul(1.0 / Math.Sqrt(d));
        att = att.MaskedFill(_causal.Narrow(0, 0, t).Narrow(1, 0, t), double.NegativeInfinity).Softmax(-1);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);
        x = x + proj.Forward(y);
        return x + fcProj.Forward(gelu.Forward(fc.Forward(ln2.Forward(x))));
    }
}

/// <summary>The benchmark workloads W1–W5 of docs/BENCHMARKS.md, each runnable eagerly and with its model traced.</summary>
public static class Workloads
{
    /// <summary>One workload: its id, description, and eager/traced step actions plus the trace time.</summary>
    public sealed record Workload(string Id, string What, Action Eager, Action Traced, double TraceMs);

    private static double Timed(Action a)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>W1: Linear(1000,100) → ReLU → Linear(100,1000), MSE vs target, N=64, forward only.</summary>
    public static Workload W1()
    {
        var g = new Generator(1);
        var model = new Sequential(new Linear(1000, 100, generator: g), new ReLU(), new Linear(100, 1000, generator: g));
        var x = Tensor.Randn([64, 1000], generator: g);
        var y = Tensor.Randn([64, 1000], generator: g);
        Tensor Loss(Tensor[] v) => Functional.MseLoss(model.Forward(v[0]), v[1]);
        TracedModule traced = null!;
        Loss([x, y]);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.Trace(Loss, [x, y]));
        return new("W1", "static-graph slide: 1000→100→1000 MLP + MSE, N=64, forward", () => Loss([x, y]), () => traced.Call(x, y), ms);
    }

    /// <summary>W2 and W3: a train step (forward, MSE, backward, Adam lr 1e-4) of the given model on N=64 random data.</summary>
    private static Workload TrainStep(string id, string what, Module model, Generator g)
    {
        var x = Tensor.Randn([64, 1000], generator: g);
        var y = Tensor.Randn([64, 10], generator: g);
        var opt = new Adam(model.Parameters(), lr: 1e-4);
        // Traced: the whole step (forward, loss, backward, update) as one compiled graph plus the fused update.
        TracedStep traced = null!;
        void Eager()
        {
            opt.ZeroGrad();
            Functional.MseLoss(model.Forward(x), y).Backward();
            opt.Step();
        }
        Eager();   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), opt, x, y));
        return new(id, what, Eager, () => traced.Step(x, y), ms);
    }

    public static Workload W2()
    {
        var g = new Generator(2);
        return TrainStep("W2", "two-layer net 1000→100→10, MSE, Adam, train step",
            new Sequential(new Linear(1000, 100, generator: g), new ReLU(), new Linear(100, 10, generator: g)), g);
    }

    /// <summary>W3: Seq(ParallelBlock(1000,100), ParallelBlock(100,100), Linear(100,10)) with Adam.</summary>
    public static Workload W3()
    {
        var g = new Generator(3);
        return TrainStep("W3", "ParallelBlock net, MSE, Adam, train step",
            new Sequential(new ParallelBlock(1000, 100, g), new ParallelBlock(100, 100, g), new Linear(100, 10, generator: g)), g);
    }

    /// <summary>W4: tanh(a*0.5+b)*a+b over 4,194,304 floats, forward.</summary>
    public static Workload W4()
    {
        var g = new Generator(4);
        var a = Tensor.Randn([1 << 22], generator: g);
        var b = Tensor.Randn([1 << 22], generator: g);
        static Tensor F(Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1];
        TracedModule traced = null!;
        F([a, b]);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.Trace(F, [a, b]));
        return new("W4", "elementwise tanh(a*0.5+b)*a+b, 4M floats, forward", () => F([a, b]), () => traced.Call(a, b), ms);
    }

    /// <summary>W5: GPT block (pre-LN, 4 heads, causal, GELU MLP 4x), B=8, T=128, C=256, forward + backward of the sum.</summary>
    public static Workload W5()
    {
        var g = new Generator(5);
        var block = new GptBlock(256, 4, 128, g);
        var x = Tensor.Randn([8, 128, 256], generator: g);
        TracedModule traced = null!;
        void Step(Func<Tensor, Tensor> forward)
        {
            forward(x).Sum().Backward();
            block.ZeroGrad();
        }
        Step(block.Forward);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.Trace(block, x));
        return new("W5", "GPT block B=8 T=128 C=256, fwd+bwd of sum", () => Step(block.Forward), () => Step(traced.Forward), ms);
    }

    /// <summary>All workloads in order (each call builds fresh models and data).</summary>
    public static IEnumerable<Func<Workload>> All => [W1, W2, W3, W4, W5];
}
