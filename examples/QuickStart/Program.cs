// Trace main job: the lecture's two-layer net trained eagerly and traced, the IR it records, and
// eager-vs-traced timings of the benchmark workloads' building blocks. No downloads.
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

// The same model (same initial weights) trained eagerly and through its trace: the losses agree.
var eagerModel = MakeModel(1);
var tracedModel = MakeModel(1);
var traced = Jit.Trace(tracedModel, x);
var eagerOpt = new Adam(eagerModel.Parameters(), lr: 1e-4);
var tracedOpt = new Adam(tracedModel.Parameters(), lr: 1e-4);
Console.WriteLine("step   eager loss   traced loss");
var swEager = new Stopwatch();
var swTraced = new Stopwatch();
for (int t = 0; t <= 300; t++)
{
    swEager.Start();
    var le = Functional.MseLoss(eagerModel.Forward(x), y);
    le.Backward();
    eagerOpt.Step();
    eagerOpt.ZeroGrad();
    swEager.Stop();

    swTraced.Start();
    var lt = Functional.MseLoss(traced.Forward(x), y);
    lt.Backward();
    tracedOpt.Step();
    tracedOpt.ZeroGrad();
    swTraced.Stop();
    if (t % 50 == 0) Console.WriteLine($"{t,4}   {le.Item(),10:F6}   {lt.Item(),11:F6}");
}
Console.WriteLine($"train step: eager {swEager.Elapsed.TotalMilliseconds / 301:F3} ms, traced {swTraced.Elapsed.TotalMilliseconds / 301:F3} ms");
Console.WriteLine();
Console.WriteLine("The recorded graph:");
Console.Write(traced.Graph);
Console.WriteLine();

// An elementwise chain: traced, it becomes one fused, compiled loop.
var a = Tensor.Randn(1 << 22);
var b = Tensor.Randn(1 << 22);
var swTrace = Stopwatch.StartNew();
var chain = Jit.Trace((Tensor[] v) => (v[0] * 0.5 + v[1]).Tanh() * v[0] + v[1], [a, b]);
double traceMs = swTrace.Elapsed.TotalMilliseconds;
Console.WriteLine("tanh(a*0.5+b)*a+b:");
Console.Write(chain.Graph);
var cmp = Jit.Compare(() => _ = (a * 0.5 + b).Tanh() * a + b, () => chain.Call(a, b), traceMs);
Console.WriteLine($"4M floats: {cmp}");
var mlp = Jit.Compare(eagerModel, x);
Console.WriteLine($"two-layer net forward: {mlp}");
