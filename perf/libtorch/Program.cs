// libtorch reference timings: TorchSharp-cpu 0.107 (libtorch 2.10) eager on the benchmark workloads W1-W7 and SGEMM,
// same shapes as Trace's perf suite (definitions: docs/BENCHMARKS.md). Each row: 20 (or 3-5) warm-up calls, then the
// best of 3 timed loops, in ms per call. Not part of Trace.sln; build and run it with perf/libtorch/run.sh [threads].
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
