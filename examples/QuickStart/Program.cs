// Trace main job. First screen: eager vs traced timings of the lecture's two-layer net (forward, train step) and of an
// elementwise chain, warmed up and interleaved (Jit.Compare), as one table. Then the same net trained eagerly, through
// its traced module (compiled forward and backward) and as one traced training step, and the IR each records. No downloads.
using QuickStart;
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

Console.Write(FirstScreen.Format(FirstScreen.Measure()));
Console.WriteLine();

Tensor.ManualSeed(0);
const int N = 64, DIn = 1000, DOut = 10;
var x = Tensor.Randn(N, DIn);
var y = Tensor.Randn(N, DOut);

// Three copies of one model (same initial weights): eager; Jit.Trace (the call's forward and backward graphs are
// compiled, the optimizer runs as usual); Jit.TraceStep (forward, loss, backward in one graph, then the fused update).
var eagerModel = FirstScreen.TwoLayerNet(1);
var tracedModel = FirstScreen.TwoLayerNet(1);
var stepModel = FirstScreen.TwoLayerNet(1);
var traced = Jit.Trace(tracedModel, x);
var eagerOpt = new Adam(eagerModel.Parameters(), lr: 1e-4);
var tracedOpt = new Adam(tracedModel.Parameters(), lr: 1e-4);
var step = Jit.TraceStep(stepModel, (p, t) => Functional.MseLoss(p, t), new Adam(stepModel.Parameters(), lr: 1e-4), x, y);
Console.WriteLine("Training the two-layer net with Adam (lr 1e-4), three ways, from the same initial weights:");
Console.WriteLine("step   eager loss   traced loss   traced-step loss");
for (int t = 0; t <= 300; t++)
{
    eagerOpt.ZeroGrad();
    var le = Functional.MseLoss(eagerModel.Forward(x), y);
    le.Backward();
    eagerOpt.Step();

    tracedOpt.ZeroGrad();
    var lt = Functional.MseLoss(traced.Forward(x), y);
    lt.Backward();
    tracedOpt.Step();

    var ls = step.Step(x, y);
    if (t % 50 == 0) Console.WriteLine($"{t,4}   {le.Item(),10:F6}   {lt.Item(),11:F6}   {ls.Item(),16:F6}");
}
Console.WriteLine();
Console.WriteLine("Jit.Trace: the forward graph (returns the output, then what backward needs; relu runs in the first GEMM):");
Console.Write(traced.Differentiable!.Forward);
Console.WriteLine("... and the compiled backward graph:");
Console.Write(traced.Differentiable.Backward);
Console.WriteLine();

// An elementwise chain: traced, it becomes one fused, compiled loop.
var a = Tensor.Randn(1 << 22);
var b = Tensor.Randn(1 << 22);
var chain = Jit.Trace((Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1], [a, b]);
Console.WriteLine("tanh(a*0.5+b)*a+b after the passes (one fusion group):");
Console.Write(chain.Graph);
Console.WriteLine();
Console.WriteLine("More workloads (W1-W5, docs/BENCHMARKS.md): dotnet run -c Release --project perf -- --quick");
