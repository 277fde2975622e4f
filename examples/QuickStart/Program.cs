// Trace main job: the lecture's two-layer net trained eagerly, through its traced module (compiled forward and
// backward) and as one traced training step; the IR each records; eager-vs-traced timings. No downloads.
using System.Diagnostics;
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

Tensor.ManualSeed(0);
const int N = 64, DIn = 1000, H = 100, DOut = 10;
var x = Tensor.Randn(N, DIn);
var y = Tensor.Randn(N, DOut);

Sequential MakeModel(ulong seed)
{
    var g = new Generator(seed);
    return new Sequential(new Linear(DIn, H, generator: g), new ReLU(), new Linear(H, DOut, generator: g));
}

// Three copies of one model (same initial weights): eager; Jit.Trace (the call's forward and backward graphs are
// compiled, the optimizer runs as usual); Jit.TraceStep (forward, loss, backward in one graph, then the fused update).
var eagerModel = MakeModel(1);
var tracedModel = MakeModel(1);
var stepModel = MakeModel(1);
var traced = Jit.Trace(tracedModel, x);
var eagerOpt = new Adam(eagerModel.Parameters(), lr: 1e-4);
var tracedOpt = new Adam(tracedModel.Parameters(), lr: 1e-4);
var swStepTrace = Stopwatch.StartNew();
var step = Jit.TraceStep(stepModel, (p, t) => Functional.MseLoss(p, t), new Adam(stepModel.Parameters(), lr: 1e-4), x, y);
double stepTraceMs = swStepTrace.Elapsed.TotalMilliseconds;
Console.WriteLine("step   eager loss   traced loss   traced-step loss");
var (swEager, swTraced, swStep) = (new Stopwatch(), new Stopwatch(), new Stopwatch());
for (int t = 0; t <= 300; t++)
{
    swEager.Start();
    eagerOpt.ZeroGrad();
    var le = Functional.MseLoss(eagerModel.Forward(x), y);
    le.Backward();
    eagerOpt.Step();
    swEager.Stop();

    swTraced.Start();
    tracedOpt.ZeroGrad();
    var lt = Functional.MseLoss(traced.Forward(x), y);
    lt.Backward();
    tracedOpt.Step();
    swTraced.Stop();

    swStep.Start();
    var ls = step.Step(x, y);
    swStep.Stop();
    if (t % 50 == 0) Console.WriteLine($"{t,4}   {le.Item(),10:F6}   {lt.Item(),11:F6}   {ls.Item(),16:F6}");
}
Console.WriteLine($"train step (mean of 301, including warm-up): eager {swEager.Elapsed.TotalMilliseconds / 301:F3} ms, " +
    $"traced module {swTraced.Elapsed.TotalMilliseconds / 301:F3} ms, traced step {swStep.Elapsed.TotalMilliseconds / 301:F3} ms");
Console.WriteLine();
Console.WriteLine("Jit.Trace: the forward graph (returns the output, then what backward needs; relu runs in the first GEMM):");
Console.Write(traced.Differentiable!.Forward);
Console.WriteLine("... and the compiled backward graph:");
Console.Write(traced.Differentiable.Backward);
Console.WriteLine();

// An elementwise chain: traced, it becomes one fused, compiled loop.
var a = Tensor.Randn(1 << 22);
var b = Tensor.Randn(1 << 22);
_ = (a * 0.5 + b).Tanh() * a + b;
var swTrace = Stopwatch.StartNew();
var chain = Jit.Trace((Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1], [a, b]);
double traceMs = swTrace.Elapsed.TotalMilliseconds;
Console.WriteLine("tanh(a*0.5+b)*a+b:");
Console.Write(chain.Graph);
Console.WriteLine($"4M floats:             {Jit.Compare(() => _ = (a * 0.5 + b).Tanh() * a + b, () => chain.Call(a, b), traceMs)}");
void EagerStep()
{
    eagerOpt.ZeroGrad();
    Functional.MseLoss(eagerModel.Forward(x), y).Backward();
    eagerOpt.Step();
}
Console.WriteLine($"two-layer train step:  {Jit.Compare(EagerStep, () => step.Step(x, y), stepTraceMs)}");
Console.WriteLine($"two-layer net forward: {Jit.Compare(eagerModel, x)}");
