using System.Diagnostics;
using Trace.Nn;
using Trace.Optim;
using static Trace.Perf.WorkloadModels;
using JitApi = Trace.Jit.Jit;

namespace Trace.Perf.Gpu;

/// <summary>
/// A traced workload ready to time: the call, its trace+compile time, and the results of one eager call and of the
/// first traced call on the same inputs and parameters (compared before timing), and which entry point traced it.
/// </summary>
public sealed record TracedWorkload(Action Call, double TraceMs, Tensor[] Eager, Tensor[] Traced, string How);

/// <summary>
/// W1–W5 (docs/BENCHMARKS.md) set up on a given device, eagerly and traced, from the same models, data and step bodies
/// as the CPU perf runner (<see cref="WorkloadModels"/>; its traced variants are copied from <c>perf/Workloads.cs</c>):
/// <c>Jit.Trace</c> of the loss function for W1, of the chain for W4 and of the block for W5 (whose backward then runs
/// the compiled backward), and one <c>Jit.TraceStep</c> (forward, loss, backward, fused Adam update) for W2 and W3.
/// </summary>
public static class DeviceWorkloads
{
    /// <summary>
    /// A workload: its id, what it is, whether it trains, the tolerances of the traced-vs-eager check, and its eager and
    /// traced setups on a device. A training workload's eager setup makes one step outside any scope (it creates the
    /// optimizer's state and compiles the kernels), and every traced setup makes one traced call (the checked one): each
    /// counts as a warm-up.
    /// </summary>
    public sealed record Item(string Id, string What, bool Training, double Rtol, double Atol,
        Func<WorkloadSizes, Device, Action> Eager, Func<WorkloadSizes, Device, TracedWorkload> Traced);

    /// <summary>W1–W5.</summary>
    public static IReadOnlyList<Item> Items { get; } =
    [
        new("W1", "MLP F->H->F + MSE, forward", false, 1e-3, 1e-4, (s, d) =>
        {
            var (model, x, y) = W1(s, new Generator(1));
            model.To(d);
            var (xd, yd) = (x.To(d), y.To(d));
            return () => W1Loss(model, xd, yd);
        }, TracedW1),
        new("W2", "two-layer net, MSE, Adam, train step", true, 1e-3, 1e-5,
            (s, d) => EagerTrain(W2Model, s, d, new Generator(2)), (s, d) => TracedTrain(W2Model, s, d, new Generator(2))),
        new("W3", "ParallelBlock net, MSE, Adam, train step", true, 1e-3, 1e-5,
            (s, d) => EagerTrain(W3Model, s, d, new Generator(3)), (s, d) => TracedTrain(W3Model, s, d, new Generator(3))),
        new("W4", "tanh(a*0.5+b)*a+b, forward", false, 1e-3, 1e-4, (s, d) =>
        {
            var (a, b) = W4Data(s, new Generator(4));
            var (ad, bd) = (a.To(d), b.To(d));
            return () => W4(ad, bd);
        }, TracedW4),
        new("W5", "GPT block, fwd+bwd of sum", true, 1e-3, 1e-3, (s, d) =>
        {
            var (block, x) = W5(s, new Generator(5));
            block.To(d);
            var xd = x.To(d);
            W5Step(block, block.Forward, xd);
            return () => W5Step(block, block.Forward, xd);
        }, TracedW5),
    ];

    /// <summary>The sizes of a workload row: "N=64 F=1000 ..." for the detail column.</summary>
    public static string Describe(string id, WorkloadSizes s) => id switch
    {
        "W1" or "W2" or "W3" => $"N={s.Batch} F={s.Features} H={s.Hidden} C={s.Classes}",
        "W4" => $"n={s.Elements}",
        _ => $"B={s.GptBatch} T={s.GptT} C={s.GptC} heads={s.GptHeads}",
    };

    private static Action EagerTrain(Func<WorkloadSizes, Generator, Module> build, WorkloadSizes s, Device d, Generator g)
    {
        var model = build(s, g).To(d);
        var (x, y) = TrainData(s, g);
        var (xd, yd) = (x.To(d), y.To(d));
        var opt = new Adam(model.Parameters(), lr: LearningRate);
        TrainStep(model, opt, xd, yd);   // the setup step: state made, kernels compiled
        opt.ZeroGrad();                  // its gradients are garbage now, returned before the steady state is counted
        return () => TrainStep(model, opt, xd, yd);
    }

    private static double Timed(Action a)
    {
        var sw = Stopwatch.StartNew();
        a();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static TracedWorkload TracedW1(WorkloadSizes s, Device d)
    {
        var (model, x, y) = W1(s, new Generator(1));
        model.To(d);
        var (xd, yd) = (x.To(d), y.To(d));
        Tensor Loss(Tensor[] v) => W1Loss(model, v[0], v[1]);
        var eager = Loss([xd, yd]);   // also keeps .NET's first-call JIT of the eager code out of the trace time
        Jit.TracedModule traced = null!;
        double ms = Timed(() => traced = JitApi.Trace(Loss, [xd, yd]));
        var first = traced.Call(xd, yd);
        return new(() => traced.Call(xd, yd), ms, [eager], first, "Jit.Trace");
    }

    private static TracedWorkload TracedW4(WorkloadSizes s, Device d)
    {
        var (a, b) = W4Data(s, new Generator(4));
        var (ad, bd) = (a.To(d), b.To(d));
        static Tensor F(Tensor[] v) => W4(v[0], v[1]);
        var eager = F([ad, bd]);
        Jit.TracedModule traced = null!;
        double ms = Timed(() => traced = JitApi.Trace(F, [ad, bd]));
        var first = traced.Call(ad, bd);
        return new(() => traced.Call(ad, bd), ms, [eager], first, "Jit.Trace");
    }

    /// <summary>
    /// W2/W3 traced: one <c>Jit.TraceStep</c>. The check compares the first traced step's loss (computed before its
    /// update) with the eager loss of the same initial parameters.
    /// </summary>
    private static TracedWorkload TracedTrain(Func<WorkloadSizes, Generator, Module> build, WorkloadSizes s, Device d, Generator g)
    {
        var model = build(s, g).To(d);
        var (x, y) = TrainData(s, g);
        var (xd, yd) = (x.To(d), y.To(d));
        var opt = new Adam(model.Parameters(), lr: LearningRate);
        Tensor eager;
        using (Autograd.NoGrad()) eager = Functional.MseLoss(model.Forward(xd), yd);
        Jit.TracedStep traced = null!;
        double ms = Timed(() => traced = JitApi.TraceStep(model, (p, t) => Functional.MseLoss(p, t), opt, xd, yd));
        var first = traced.Step(xd, yd);
        return new(() => traced.Step(xd, yd), ms, [eager], [first], "Jit.TraceStep");
    }

    /// <summary>W5 traced: the block through <c>Jit.Trace</c> with gradients on; the check compares the output and every parameter's gradient.</summary>
    private static TracedWorkload TracedW5(WorkloadSizes s, Device d)
    {
        var (block, x) = W5(s, new Generator(5));
        block.To(d);
        var xd = x.To(d);
        Tensor[] Once(Func<Tensor, Tensor> forward)
        {
            var y = forward(xd);
            y.Sum().Backward();
            Tensor[] results = [y.Detach(), .. block.Parameters().Select(p => p.Grad!)];
            block.ZeroGrad();   // sets the grads to null: the tensors kept above stay as they are
            return results;
        }
        var eager = Once(block.Forward);
        Jit.TracedModule traced = null!;
        double ms = Timed(() => traced = JitApi.Trace(block, xd));
        var first = Once(traced.Forward);
        return new(() => W5Step(block, traced.Forward, xd), ms, eager, first, "Jit.Trace (compiled backward)");
    }
}
