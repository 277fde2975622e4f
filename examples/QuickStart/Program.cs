// Trace quick start: eager tensors on the CPU — creation, views, broadcasting, reductions, matmul —
// with the timings of a few large ops on this machine.
using System.Diagnostics;
using Trace;

Tensor.ManualSeed(0);

var x = Tensor.From(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
Console.WriteLine($"x =\n{x}");
Console.WriteLine($"x.T (a view, strides [{string.Join(", ", x.T.Strides)}]) =\n{x.T}");
Console.WriteLine($"x + [10, 20, 30] (broadcast) =\n{x + Tensor.From(new float[] { 10, 20, 30 })}");
Console.WriteLine($"x.Sum(dim: 1) = {x.Sum(1)}");
Console.WriteLine($"x.Softmax(-1) =\n{x.Softmax(-1)}");
Console.WriteLine($"x @ x.T =\n{x.Matmul(x.T)}");
Console.WriteLine($"x[.., 1..] =\n{x[.., 1..]}");
Console.WriteLine($"Tensor.Arange(10).View(2, 5) =\n{Tensor.Arange(10).View(2, 5)}");
Console.WriteLine($"Tensor.Randn(2, 3) =\n{Tensor.Randn(2, 3)}");
Console.WriteLine();

// Timings: median of repeated runs after warm-up.
static double Median(Action f, int reps = 15)
{
    for (int i = 0; i < 3; i++) f();
    var t = new double[reps];
    for (int i = 0; i < reps; i++)
    {
        var sw = Stopwatch.StartNew();
        f();
        t[i] = sw.Elapsed.TotalMilliseconds;
    }
    Array.Sort(t);
    return t[reps / 2];
}

foreach (int n in new[] { 256, 512, 1024 })
{
    var a = Tensor.Randn(n, n);
    var b = Tensor.Randn(n, n);
    double ms = Median(() => { a.Matmul(b); });
    Console.WriteLine($"matmul {n}x{n}x{n}: {ms,8:F3} ms  {2.0 * n * n * n / ms / 1e6,7:F1} GFLOP/s");
}
var u = Tensor.Randn(1 << 22);
var v = Tensor.Randn(1 << 22);
double addMs = Median(() => { u.Add(v); });
Console.WriteLine($"add 4M floats:     {addMs,8:F3} ms  {3.0 * 4 * (1 << 22) / addMs / 1e6,7:F1} GB/s");
Console.WriteLine($"tanh(a*0.5+b)*a+b: {Median(() => { _ = (u * 0.5 + v).Tanh() * u + v; }),8:F3} ms (4M floats, op by op)");
Console.WriteLine($"sum 4M floats:     {Median(() => { u.Sum(); }),8:F3} ms");
var logits = Tensor.Randn(64, 1000);
Console.WriteLine($"softmax 64x1000:   {Median(() => { logits.Softmax(-1); }),8:F3} ms");

// Tracing: run a function once, record its ops as TorchScript-style IR, replay it through the interpreter.
var traced = Trace.Jit.Jit.Trace((Tensor t) => (t * 0.5 + 1.0).Tanh() * t, Tensor.Randn(2, 3));
Console.WriteLine();
Console.WriteLine("Jit.Trace((t * 0.5 + 1).Tanh() * t):");
Console.Write(traced.Graph);
