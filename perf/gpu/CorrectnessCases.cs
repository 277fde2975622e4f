using Trace.Nn;
using Trace.Optim;

namespace Trace.Perf.Gpu;

/// <summary>
/// The correctness cases: each builds the same deterministic inputs on a device, computes, and returns its results; the
/// app runs it on the CPU and on CUDA and compares element by element (|cuda − cpu| ≤ atol + rtol·|cpu|, NaN matches NaN).
/// Medium sizes on a GPU (about a million elements), tiny ones (≤ ~16K) on the CPU accelerator. The float32 tolerances
/// allow for another summation order than the CPU's (which accumulates in float64 lanes) and transcendental functions
/// accurate to a few ulp; a wrong kernel is off by far more.
/// </summary>
public static class CorrectnessCases
{
    /// <summary>One case: its name, tolerances, and the computation on a given device.</summary>
    public sealed record Case(string Name, double Rtol, double Atol, Func<Device, Tensor[]> Run);

    /// <summary>A deterministic float32 tensor of values in about [-scale, scale] with some exact zeros, on <paramref name="d"/>.</summary>
    public static Tensor Values(Device d, int[] shape, int seed, double scale = 3)
    {
        int n = shape.Aggregate(1, (p, s) => p * s);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i % 11 == 0 ? 0 : (float)(scale * Math.Sin(seed * 12.9898 + i * 78.233));
        return Tensor.From(v, shape).To(d);
    }

    /// <summary>The cases at tiny (CPU accelerator) or medium (GPU) sizes.</summary>
    public static IReadOnlyList<Case> All(bool tiny)
    {
        int n = tiny ? 4096 : 1 << 20;
        int r = tiny ? 12 : 1024, c = tiny ? 80 : 1000;   // on the CPU accelerator each row of a row kernel is a 256-thread group
        var (m, k, nn) = tiny ? (40, 56, 24) : (512, 384, 256);
        var (bb, bm, bk, bn) = tiny ? (3, 16, 24, 20) : (8, 128, 96, 64);
        var sizes = tiny ? WorkloadSizes.Tiny : WorkloadSizes.Standard;
        int steps = tiny ? 2 : 3;   // every launch costs milliseconds on the CPU accelerator
        var gpt = tiny ? WorkloadSizes.Tiny : WorkloadSizes.Standard with { GptBatch = 2, GptT = 64, GptC = 128 };
        return
        [
            new($"elementwise tanh(a*0.5+b)*a+b n={n}", 1e-3, 1e-4, d => [WorkloadModels.W4(Values(d, [n], 1), Values(d, [n], 2))]),
            new($"elementwise exp log1p sigmoid gelu n={n}", 1e-3, 1e-5, d =>
            {
                var x = Values(d, [n], 3);
                return [x.Exp(), x.Abs().Log1p(), x.Sigmoid(), x.Gelu()];
            }),
            new($"broadcast ({r},{c})+({c}), ({r},1)*(1,{c})", 1e-6, 1e-7, d =>
                [Values(d, [r, c], 4) + Values(d, [c], 5), Values(d, [r, 1], 6) * Values(d, [1, c], 7)]),
            new($"where/masked_fill ({r},{c})", 1e-6, 1e-7, d =>
            {
                var (a, b) = (Values(d, [r, c], 8), Values(d, [r, c], 9));
                return [Tensor.Where(a.Gt(b), a, b * 2.0), a.MaskedFill(b.Gt(1.0), -1.5)];
            }),
            new($"reductions sum/mean/amax ({r},{c})", 1e-3, 1e-3, d =>
            {
                var x = Values(d, [r, c], 10);
                return [x.Sum(1), x.Mean(0), x.Amax([1]), x.Sum()];
            }),
            new($"softmax/log_softmax dim=-1 ({r},{c})", 1e-4, 1e-6, d =>
            {
                var x = Values(d, [r, c], 11);
                return [x.Softmax(-1), x.LogSoftmax(-1)];
            }),
            new($"layer_norm ({r},{c}) affine", 1e-4, 1e-4, d =>
                [Values(d, [r, c], 12).LayerNorm([c], Values(d, [c], 13, 1), Values(d, [c], 14, 1))]),
            new($"matmul ({m},{k})@({k},{nn})", 1e-4, 1e-3, d => [Values(d, [m, k], 15, 1).Matmul(Values(d, [k, nn], 16, 1))]),
            new($"batched matmul ({bb},{bm},{bk})@({bb},{bn},{bk})^T", 1e-4, 1e-3, d =>
                [Values(d, [bb, bm, bk], 17, 1).Matmul(Values(d, [bb, bn, bk], 18, 1).MT)]),
            new($"linear+relu backward ({m},{k})->{nn}", 1e-4, 1e-3, d =>
            {
                var x = Values(d, [m, k], 19, 1).RequiresGrad_();
                var w = Values(d, [nn, k], 20, 0.1).RequiresGrad_();
                var b = Values(d, [nn], 21, 0.1).RequiresGrad_();
                var y = Tensor.Linear(x, w, b).Relu();
                (y * y).Sum().Backward();
                return [y, x.Grad!, w.Grad!, b.Grad!];
            }),
            new($"W2 train step x{steps} (Adam lr 1e-3), N={sizes.Batch} {sizes.Features}->{sizes.Hidden}->{sizes.Classes}", 1e-3, 1e-4, d =>
            {
                var g = new Generator(2);
                var model = WorkloadModels.W2Model(sizes, g).To(d);
                var (x, y) = WorkloadModels.TrainData(sizes, g);
                var (xd, yd) = (x.To(d), y.To(d));
                var opt = new Adam(model.Parameters(), lr: 1e-3);
                for (int i = 0; i < steps; i++) WorkloadModels.TrainStep(model, opt, xd, yd);
                return [Functional.MseLoss(model.Forward(xd), yd), .. model.Parameters()];
            }),
            new($"W5 GPT block fwd+bwd B={gpt.GptBatch} T={gpt.GptT} C={gpt.GptC}", 1e-3, 1e-3, d =>
            {
                var (block, x) = WorkloadModels.W5(gpt, new Generator(5));
                block.To(d);
                var y = block.Forward(x.To(d));
                y.Sum().Backward();
                return [y, .. block.Parameters().Select(p => p.Grad!)];
            }),
        ];
    }

    /// <summary>The largest absolute difference, and the largest of |cuda − cpu| / (atol + rtol·|cpu|) (≤ 1 passes; NaN against a number: infinity).</summary>
    public static (double MaxAbs, double WorstRatio) Compare(Tensor[] cpu, Tensor[] cuda, double rtol, double atol, string name)
    {
        if (cpu.Length != cuda.Length) throw new InvalidOperationException($"{name}: {cpu.Length} CPU results but {cuda.Length} CUDA results");
        double maxAbs = 0, worst = 0;
        for (int t = 0; t < cpu.Length; t++)
        {
            if (!cpu[t].Shape.SequenceEqual(cuda[t].Shape))
                throw new InvalidOperationException($"{name}: result {t} has shape ({string.Join(", ", cuda[t].Shape.ToArray())}) on CUDA but ({string.Join(", ", cpu[t].Shape.ToArray())}) on the CPU");
            var e = cpu[t].ToArray<double>();
            var a = cuda[t].ToArray<double>();
            for (int i = 0; i < e.Length; i++)
            {
                if (double.IsNaN(e[i]) && double.IsNaN(a[i])) continue;
                if (double.IsInfinity(e[i]) && e[i] == a[i]) continue;
                double diff = Math.Abs(a[i] - e[i]);
                if (double.IsNaN(diff)) return (double.NaN, double.PositiveInfinity);
                maxAbs = Math.Max(maxAbs, diff);
                worst = Math.Max(worst, diff / (atol + rtol * Math.Abs(e[i])));
            }
        }
        return (maxAbs, worst);
    }
}
