// libtorch reference timings: TorchSharp-cpu 0.107 (libtorch 2.10) eager on the benchmark workloads W1-W7 and SGEMM,
// same shapes as Trace's perf suite (definitions: docs/BENCHMARKS.md). Each row: 20 (or 3-5) warm-up calls, then the
// best of 3 timed loops, in ms per call. Not part of Trace.sln; build and run it with perf/libtorch/run.sh [threads].
// perf/libtorch/run.sh THREADS scaling [FILE.csv] instead runs the scaling grid of Trace's `perf -- --scaling` (W5 over
// C x T, square mm over n) and writes its CSV (default perf/scaling/libtorch.csv).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

torch.set_num_threads(args.Length > 0 ? int.Parse(args[0]) : 2);
torch.manual_seed(0);
double Bench(Action f, int iters, int warm = 20) {
    for (int i = 0; i < warm; i++) { using var d = NewDisposeScope(); f(); }
    double best = double.MaxValue;
    for (int r = 0; r < 3; r++) {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iters; i++) { using var d = NewDisposeScope(); f(); }
        best = Math.Min(best, sw.Elapsed.TotalMilliseconds / iters);
    }
    return best;
}
void Row(string name, double ms) => Console.WriteLine($"{name,-36} {ms,10:F3} ms/iter");

if (args.Length > 1 && args[1] == "scaling") {
    Scaling(args.Length > 2 ? args[2] : "perf/scaling/libtorch.csv");
    return;
}

foreach (var n in new[] { 256, 1024, 2048 }) {
    var a = randn(n, n); var b = randn(n, n);
    var ms = Bench(() => a.mm(b), n <= 256 ? 200 : 10, 3);
    Console.WriteLine($"{"mm " + n,-36} {2.0 * n * n * n / (ms / 1000) / 1e9,10:F1} GFLOP/s");
}
int N = 64, D = 1000, H = 100, Dout = 10;
{   // W1
    var x = randn(N, D); var y = randn(N, D);
    var m = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, D));
    using var ng = no_grad();
    Row("W1 mlp forward (no_grad)", Bench(() => nn.functional.mse_loss(m.forward(x), y), 1000));
}
{   // W2
    var x = randn(N, D); var y = randn(N, Dout);
    var m = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, Dout));
    var opt = optim.Adam(m.parameters(), 1e-4);
    Row("W2 two-layer train step", Bench(() => { var l = nn.functional.mse_loss(m.forward(x), y); opt.zero_grad(); l.backward(); opt.step(); }, 500));
}
{   // W3
    var x = randn(N, D); var y = randn(N, Dout);
    var m = nn.Sequential(new ParallelBlock(D, H), new ParallelBlock(H, H), nn.Linear(H, Dout));
    var opt = optim.Adam(m.parameters(), 1e-4);
    Row("W3 parallel-block train step", Bench(() => { var l = nn.functional.mse_loss(m.forward(x), y); opt.zero_grad(); l.backward(); opt.step(); }, 500));
}
{   // W4
    var a = randn(1 << 22); var b = randn(1 << 22);
    using var ng = no_grad();
    Row("W4 eltwise chain 4M", Bench(() => { var t = (a * 0.5f + b).tanh() * a + b; }, 50, 5));
}
{   // W5
    var x = randn(8, 128, 256);
    var blk = new Block(256, 4);
    Row("W5 gpt block fwd+bwd", Bench(() => { var o = blk.forward(x); o.sum().backward(); }, 20, 3));
}

{   // W6: CNN train step, Fashion-MNIST-shaped batch
    var x = randn(64, 1, 28, 28); var y = randint(0, 10, new long[] { 64 });
    var m = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10));
    var opt = optim.Adam(m.parameters(), 1e-3);
    Row("W6 cnn train step", Bench(() => { var l = nn.functional.cross_entropy(m.forward(x), y); opt.zero_grad(); l.backward(); opt.step(); }, 50, 5));
}
{   // W7: LSTM train step
    var x = randn(32, 32, 128); var y = randint(0, 10, new long[] { 32 });
    var lstm = nn.LSTM(128, 256, batchFirst: true); var head = nn.Linear(256, 10);
    var ps = lstm.parameters().Concat(head.parameters());
    var opt = optim.Adam(ps, 1e-3);
    Row("W7 lstm train step", Bench(() => {
        var (o, h, c) = lstm.call(x);
        var l = nn.functional.cross_entropy(head.forward(o.select(1, -1)), y); opt.zero_grad(); l.backward(); opt.step(); }, 50, 5));
}

// The scaling grid, as Trace's perf/Scaling.cs: W5 (B=8, 4 heads) for C in {128..1024} x T in {64..512}, FLOPs counted
// the same way (linears 2*B*T*12C^2 and attention 4*B*T^2*C forward, backward twice that), then square mm n=64..4096.
// Each point: 2 warm-up calls, then the best of 3 loops of as many calls as fill ~1/3 s each (at least one).
void Scaling(string csv) {
    double Adaptive(Action f) {
        { using var d0 = NewDisposeScope(); f(); }
        var sw = Stopwatch.StartNew();
        { using var d = NewDisposeScope(); f(); }
        int iters = (int)Math.Clamp(0.33 / sw.Elapsed.TotalSeconds, 1, 1000);
        return Bench(f, iters, 0);
    }
    var inv = System.Globalization.CultureInfo.InvariantCulture;
    var rows = new List<string> { "kind,B,T,C,n,gflop,libtorch_ms,libtorch_gflops" };
    Console.WriteLine($"W5 B=8 heads=4 fwd+bwd  {"C",5} {"T",4} {"GFLOP",7} {"libtorch ms",11} {"GFLOP/s",8}");
    const int B = 8;
    foreach (int C in new[] { 128, 256, 512, 1024 })
        foreach (int T in new[] { 64, 128, 256, 512 }) {
            var x = randn(B, T, C);
            using var blk = new Block(C, 4);
            double ms = Adaptive(() => { var o = blk.forward(x); o.sum().backward(); blk.zero_grad(); });
            double flops = 3 * (2.0 * B * T * 12.0 * C * C + 4.0 * B * (double)T * T * C), g = flops / ms / 1e6;
            Console.WriteLine($"W5                      {C,5} {T,4} {flops / 1e9,7:F2} {ms,11:F2} {g,8:F1}");
            rows.Add(string.Create(inv, $"w5,{B},{T},{C},,{flops / 1e9:F4},{ms:F3},{g:F1}"));
            x.Dispose();
        }
    Console.WriteLine($"mm square               {"n",5} {"ms",11} {"GFLOP/s",8}");
    foreach (int n in new[] { 64, 128, 256, 512, 1024, 2048, 4096 }) {
        using var a = randn(n, n); using var b = randn(n, n);
        double ms = Adaptive(() => a.mm(b)), flops = 2.0 * n * n * (double)n, g = flops / ms / 1e6;
        Console.WriteLine($"mm                      {n,5} {ms,11:F3} {g,8:F1}");
        rows.Add(string.Create(inv, $"gemm,,,,{n},{flops / 1e9:F4},{ms:F4},{g:F1}"));
    }
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(csv))!);
    File.WriteAllLines(csv, rows);
    Console.WriteLine($"wrote {csv}");
}

class ParallelBlock : nn.Module<Tensor, Tensor> {
    private readonly nn.Module<Tensor, Tensor> l1, l2;
    public ParallelBlock(int i, int o) : base("pb") { l1 = nn.Linear(i, o); l2 = nn.Linear(i, o); RegisterComponents(); }
    public override Tensor forward(Tensor x) => (l1.forward(x) * l2.forward(x)).clamp(min: 0);
}
class Block : nn.Module<Tensor, Tensor> {
    private readonly nn.Module<Tensor, Tensor> ln1, qkv, proj, ln2, fc, outp; private readonly int nh;
    public Block(int C, int nh) : base("blk") {
        this.nh = nh; ln1 = nn.LayerNorm(C); qkv = nn.Linear(C, 3 * C); proj = nn.Linear(C, C);
        ln2 = nn.LayerNorm(C); fc = nn.Linear(C, 4 * C); outp = nn.Linear(4 * C, C); RegisterComponents();
    }
    public override Tensor forward(Tensor x) {
        long B = x.shape[0], T = x.shape[1], C = x.shape[2];
        var parts = qkv.forward(ln1.forward(x)).split(C, 2);
        Tensor Heads(Tensor t) => t.view(B, T, nh, C / nh).transpose(1, 2);
        var q = Heads(parts[0]); var k = Heads(parts[1]); var v = Heads(parts[2]);
        var att = q.matmul(k.transpose(-2, -1)) * (1.0 / Math.Sqrt(C / nh));
        var mask = ones(T, T).tril().view(1, 1, T, T);
        att = att.masked_fill(mask.eq(0), float.NegativeInfinity).softmax(-1);
        var yv = att.matmul(v).transpose(1, 2).contiguous().view(B, T, C);
        x = x + proj.forward(yv);
        return x + outp.forward(nn.functional.gelu(fc.forward(ln2.forward(x))));
    }
}
