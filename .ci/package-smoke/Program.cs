// A user's program on the Trace packages: the lecture's two-layer net (64 x 1000 -> 100 -> ReLU -> 10, MSE, Adam)
// trained a few steps eagerly, through Jit.Trace (compiled forward and backward) and as one Jit.TraceStep, from the
// same initial weights, and its traced graph drawn as DOT. Exits non-zero unless all three losses agree at every step,
// the loss went down and the DOT text holds the graph's ops.
using System.Reflection;
using Trace;
using Trace.Jit;
using Trace.Nn;
using Trace.Optim;

const int N = 64, DIn = 1000, H = 100, DOut = 10, Steps = 20;
static Sequential TwoLayerNet() =>
    new(new Linear(DIn, H, generator: new Generator(1)), new ReLU(), new Linear(H, DOut, generator: new Generator(2)));

var data = new Generator(3);
var x = Tensor.Randn([N, DIn], generator: data);
var y = Tensor.Randn([N, DOut], generator: data);

var eager = TwoLayerNet();
var tracedModel = TwoLayerNet();
var stepModel = TwoLayerNet();
var eagerOpt = new Adam(eager.Parameters(), lr: 1e-3);
var tracedOpt = new Adam(tracedModel.Parameters(), lr: 1e-3);
var traced = Jit.Trace(tracedModel, x);
var step = Jit.TraceStep(stepModel, (p, t) => Functional.MseLoss(p, t), new Adam(stepModel.Parameters(), lr: 1e-3), x, y);

var failures = new List<string>();
double first = 0, last = 0;
for (int t = 0; t < Steps; t++)
{
    eagerOpt.ZeroGrad();
    var le = Functional.MseLoss(eager.Forward(x), y);
    le.Backward();
    eagerOpt.Step();

    tracedOpt.ZeroGrad();
    var lt = Functional.MseLoss(traced.Forward(x), y);
    lt.Backward();
    tracedOpt.Step();

    double ls = step.Step(x, y).Item();
    double e = le.Item(), tr = lt.Item();
    foreach (var (what, v) in new[] { ("Jit.Trace", tr), ("Jit.TraceStep", ls) })
        if (Math.Abs(v - e) > 1e-4 * Math.Max(1.0, Math.Abs(e)))
            failures.Add($"step {t}: {what} loss {v:R} differs from the eager loss {e:R}");
    if (t == 0) first = e;
    last = e;
}
string dot = traced.Graph.ToDot("two-layer-net");
if (!dot.StartsWith("digraph", StringComparison.Ordinal) || !traced.Graph.Nodes.All(n => dot.Contains(n.Kind, StringComparison.Ordinal)))
    failures.Add("Graph.ToDot does not draw the traced graph's nodes");
if (!(last < first)) failures.Add($"the loss did not decrease: {first:R} at step 0, {last:R} at step {Steps - 1}");

string version = typeof(Jit).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
if (failures.Count > 0)
{
    foreach (var f in failures) Console.Error.WriteLine("package smoke: " + f);
    Console.Error.WriteLine($"package smoke: FAILED (Trace.Jit {version})");
    return 1;
}
Console.WriteLine($"package smoke: Trace.Jit {version} from packages: two-layer net, {Steps} Adam steps, eager = Jit.Trace = Jit.TraceStep, loss {first:F6} -> {last:F6}");
return 0;
