// Lecture part "static vs dynamic graphs": trace the eager TwoLayerNet and ParallelBlock models into
// TorchScript-style IR, print the graph before and after the optimization passes and its Code view,
// and show a retrace when the batch size changes.
using Lecture.CustomModule;
using Lecture.ParallelBlocks;
using Trace;
using Trace.Jit;

var g = new Generator(0);
const int N = 64, DIn = 1000, H = 100, DOut = 10;
var x = Tensor.Randn([N, DIn], generator: g);

var twoLayer = new TwoLayerNet(DIn, H, DOut, g);
var traced = Jit.Trace(twoLayer, x);
Console.WriteLine("== TwoLayerNet: graph as traced ==");
Console.Write(traced.RawGraph);
Console.WriteLine("== after the passes ==");
Console.Write(traced.Graph);
Console.WriteLine("== Code ==");
Console.Write(traced.Code);

var parallel = Lecture.ParallelBlocks.Example.MakeModel(DIn, H, DOut, g);
var tracedParallel = Jit.Trace(parallel, x);
Console.WriteLine("== Sequential(ParallelBlock, ParallelBlock, Linear): graph ==");
Console.Write(tracedParallel.Graph);

var maxDiff = (tracedParallel.Forward(x) - parallel.Forward(x)).Abs().Max().Item();
Console.WriteLine($"max |traced - eager| = {maxDiff:G3}");

Console.WriteLine("== calling with batch size 32 ==");
tracedParallel.Forward(Tensor.Randn([32, DIn], generator: g));
Console.WriteLine($"retraced: {tracedParallel.ExplainLastRetrace()}");
Console.WriteLine($"specializations cached: {tracedParallel.SpecializationCount}");

// A call that needs gradients traces the backward as well (through the same backward rules the eager tape
// runs) and splits the joint graph: the forward returns what backward needs, the backward is compiled too.
Console.WriteLine("== TwoLayerNet with gradients: forward graph (output, then values saved for backward) ==");
var small = new TwoLayerNet(8, 4, 2, g);
var trainable = Jit.Trace(small, Tensor.Randn([3, 8], generator: g));
var y = trainable.Forward(Tensor.Randn([3, 8], generator: g).RequiresGrad_());
Console.Write(trainable.Differentiable!.Forward);
Console.WriteLine("== backward graph ==");
Console.Write(trainable.Differentiable.Backward);

// "Once graph is built, can serialize it and run it without the code that built the graph!" Save writes the graphs and
// weights to one file; Jit.Load needs no model class: it runs (and can fine-tune) what the file holds.
var file = Path.Combine(Path.GetTempPath(), "trace-parallel-block.tmodel");
tracedParallel.Save(file);
var loaded = Jit.Load(file);
bool identical = loaded.Forward(x).ToArray<float>().SequenceEqual(tracedParallel.Forward(x).ToArray<float>());
Console.WriteLine($"== saved to {file} ({new FileInfo(file).Length / 1024} KB); loaded without the model's code: outputs identical = {identical}");
File.Delete(file);
