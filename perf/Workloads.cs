using Trace.Jit;
using Trace.Nn;
using Trace.Optim;
using static Trace.Perf.WorkloadModels;

namespace Trace.Perf;

/// <summary>
/// The benchmark workloads W1–W7 of docs/BENCHMARKS.md, each runnable eagerly and with its model traced. The models, data
/// and step bodies are <see cref="WorkloadModels"/>' (shared with the GPU benchmark app in perf/gpu).
/// </summary>
public static class Workloads
{
    /// <summary>One workload: its id, description, and eager/traced step actions plus the trace time.</summary>
    public sealed record Workload(string Id, string What, Action Eager, Action Traced, double TraceMs);

    private static WorkloadSizes S => WorkloadSizes.Standard;

    private static double Timed(Action a)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// W1: Linear(1000,100) → ReLU → Linear(100,1000), MSE vs target, N=64, forward only: eager and traced both run
    /// under <see cref="Autograd.NoGrad"/> (no tape, no saved intermediates), as the libtorch reference does.
    /// </summary>
    public static Workload W1()
    {
        var (model, x, y) = WorkloadModels.W1(S, new Generator(1));
        Tensor Loss(Tensor[] v) => W1Loss(model, v[0], v[1]);
        TracedModule traced = null!;
        double ms;
        using (Autograd.NoGrad())
        {
            Loss([x, y]);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
            ms = Timed(() => traced = Jit.Jit.Trace(Loss, [x, y]));
        }
        void Eager() { using (Autograd.NoGrad()) Loss([x, y]); }
        void Traced() { using (Autograd.NoGrad()) traced.Call(x, y); }
        return new("W1", "static-graph slide: 1000→100→1000 MLP + MSE, N=64, forward under no_grad", Eager, Traced, ms);
    }

    /// <summary>W2 and W3: a train step (forward, MSE, backward, Adam lr 1e-4) of the given model on N=64 random data.</summary>
    private static Workload TrainStep(string id, string what, Module model, Generator g)
    {
        var (x, y) = TrainData(S, g);
        var opt = new Adam(model.Parameters(), lr: LearningRate);
        // Traced: the whole step (forward, loss, backward, update) as one compiled graph plus the fused update.
        TracedStep traced = null!;
        void Eager() => WorkloadModels.TrainStep(model, opt, x, y);
        Eager();   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.TraceStep(model, (p, t) => Functional.MseLoss(p, t), opt, x, y));
        return new(id, what, Eager, () => traced.Step(x, y), ms);
    }

    public static Workload W2()
    {
        var g = new Generator(2);
        return TrainStep("W2", "two-layer net 1000→100→10, MSE, Adam, train step", W2Model(S, g), g);
    }

    /// <summary>W3: Seq(ParallelBlock(1000,100), ParallelBlock(100,100), Linear(100,10)) with Adam.</summary>
    public static Workload W3()
    {
        var g = new Generator(3);
        return TrainStep("W3", "ParallelBlock net, MSE, Adam, train step", W3Model(S, g), g);
    }

    /// <summary>W4: tanh(a*0.5+b)*a+b over 4,194,304 floats, forward.</summary>
    public static Workload W4()
    {
        var (a, b) = W4Data(S, new Generator(4));
        static Tensor F(Tensor[] v) => WorkloadModels.W4(v[0], v[1]);
        TracedModule traced = null!;
        F([a, b]);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.Trace(F, [a, b]));
        return new("W4", "elementwise tanh(a*0.5+b)*a+b, 4M floats, forward", () => F([a, b]), () => traced.Call(a, b), ms);
    }

    /// <summary>W5: GPT block (pre-LN, 4 heads, causal, GELU MLP 4x), B=8, T=128, C=256, forward + backward of the sum.</summary>
    public static Workload W5()
    {
        var (block, x) = WorkloadModels.W5(S, new Generator(5));
        TracedModule traced = null!;
        W5Step(block, block.Forward, x);   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.Trace(block, x));
        return new("W5", "GPT block B=8 T=128 C=256, fwd+bwd of sum", () => W5Step(block, block.Forward, x), () => W5Step(block, traced.Forward, x), ms);
    }

    /// <summary>W6: the CNN train step (two conv+relu+maxpool stages, two linears), batch 64 of 1×28×28, cross-entropy, Adam(1e-3).</summary>
    public static Workload W6()
    {
        var g = new Generator(6);
        var (x, y) = W6Data(g);
        return ClassifierWorkload("W6", "CNN 2×(conv3×3+relu+maxpool) + MLP, batch 64 of 1×28×28, cross-entropy, Adam, train step", W6Model(g), x, y);
    }

    /// <summary>W7: the LSTM train step (batch 32, seq 32, input 128, hidden 256, 1 layer, batch-first, Linear(256,10) on the last step), cross-entropy, Adam(1e-3).</summary>
    public static Workload W7()
    {
        var g = new Generator(7);
        var (x, y) = W7Data(g);
        return ClassifierWorkload("W7", "LSTM 128→256 over 32 steps, batch 32, batch-first, Linear(256,10) on the last step, cross-entropy, Adam, train step", W7Model(g), x, y);
    }

    /// <summary>A classifier's train step (cross-entropy, Adam), eager and as one <c>Jit.TraceStep</c>.</summary>
    private static Workload ClassifierWorkload(string id, string description, Module model, Tensor x, Tensor y)
    {
        var opt = new Adam(model.Parameters(), lr: ClassifierLearningRate);
        TracedStep traced = null!;
        void Eager() => ClassifierStep(model, opt, x, y);
        Eager();   // trace+compile time excludes .NET's first-call JIT of the eager kernels
        double ms = Timed(() => traced = Jit.Jit.TraceStep(model, (p, t) => Functional.CrossEntropy(p, t), opt, x, y));
        return new(id, description, Eager, () => traced.Step(x, y), ms);
    }

    /// <summary>All workloads in order (each call builds fresh models and data).</summary>
    public static IEnumerable<Func<Workload>> All => [W1, W2, W3, W4, W5, W6, W7];
}
