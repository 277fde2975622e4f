using Trace.Nn;
using Trace.Optim;

namespace Trace.Perf;

/// <summary>Two linear layers on the same input, multiplied, then ReLU (the lecture's ParallelBlock).</summary>
public sealed class ParallelBlock(int dIn, int dOut, Generator g) : Module
{
    private readonly Linear linear1 = new(dIn, dOut, generator: g);
    private readonly Linear linear2 = new(dIn, dOut, generator: g);

    public override Tensor Forward(Tensor x) => (linear1.Forward(x) * linear2.Forward(x)).Clamp(min: 0);
}

/// <summary>A pre-LayerNorm GPT block: causal multi-head self-attention and a 4x GELU MLP, each with a residual.</summary>
public sealed class GptBlock : Module
{
    private readonly LayerNorm ln1, ln2;
    private readonly Linear qkv, proj, fc, fcProj;
    private readonly GELU gelu;
    private readonly int _heads;
    private readonly Tensor _causal;

    /// <summary>The block for <paramref name="channels"/> channels and <paramref name="heads"/> heads; <paramref name="approximate"/> picks the GELU form (W5: exact).</summary>
    public GptBlock(int channels, int heads, int maxT, Generator g, GeluApproximation approximate = GeluApproximation.None)
    {
        _heads = heads;
        gelu = new GELU(approximate);
        ln1 = new LayerNorm(channels);
        ln2 = new LayerNorm(channels);
        qkv = new Linear(channels, 3 * channels, generator: g);
        proj = new Linear(channels, channels, generator: g);
        fc = new Linear(channels, 4 * channels, generator: g);
        fcProj = new Linear(4 * channels, channels, generator: g);
        // True above the diagonal: masked. A buffer, so Module.To moves it with the parameters.
        _causal = RegisterBuffer("causal", Tensor.Ones(maxT, maxT).Tril().Eq(0.0));
    }

    public override Tensor Forward(Tensor x)
    {
        int b = x.Size(0), t = x.Size(1), c = x.Size(2), d = c / _heads;
        var parts = qkv.Forward(ln1.Forward(x)).Split(c, 2);
        Tensor Heads(Tensor z) => z.View(b, t, _heads, d).Transpose(1, 2);          // (B, H, T, D)
        var (q, k, v) = (Heads(parts[0]), Heads(parts[1]), Heads(parts[2]));
        var att = q.Matmul(k.MT).Mul(1.0 / Math.Sqrt(d));
        att = att.MaskedFill(_causal.Narrow(0, 0, t).Narrow(1, 0, t), double.NegativeInfinity).Softmax(-1);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);
        x = x + proj.Forward(y);
        return x + fcProj.Forward(gelu.Forward(fc.Forward(ln2.Forward(x))));
    }
}

/// <summary>W7's model: an LSTM over a batch-first sequence, then a linear classifier of the last step's output.</summary>
public sealed class LstmClassifier(int input, int hidden, int classes, Generator g) : Module
{
    private readonly LSTM lstm = new(input, hidden, batchFirst: true, generator: g);
    private readonly Linear head = new(hidden, classes, generator: g);

    public override Tensor Forward(Tensor x) => head.Forward(lstm.Forward(x).Select(1, -1));
}

/// <summary>
/// The sizes of the workloads W1–W5 (docs/BENCHMARKS.md). <see cref="Standard"/> is the definition; the GPU benchmark's
/// CPU-accelerator mode uses <see cref="Tiny"/>, the same models scaled down.
/// </summary>
public sealed record WorkloadSizes(int Batch, int Features, int Hidden, int Classes, int Elements, int GptBatch, int GptT, int GptC, int GptHeads)
{
    /// <summary>The definition: N=64, 1000→100→10, 4M floats, GPT block B=8 T=128 C=256 with 4 heads.</summary>
    public static WorkloadSizes Standard { get; } = new(64, 1000, 100, 10, 1 << 22, 8, 128, 256, 4);

    /// <summary>Sizes for ILGPU's CPU accelerator (≤ ~16K elements per tensor).</summary>
    public static WorkloadSizes Tiny { get; } = new(4, 32, 8, 4, 4096, 1, 8, 16, 2);
}

/// <summary>
/// The models, data and step bodies of W1–W5, shared by the CPU perf runner (<c>Workloads</c>, eager and traced) and
/// the GPU benchmark app (eager on <c>Device.Cuda()</c>). Data is made on the CPU; the GPU app moves it.
/// </summary>
public static class WorkloadModels
{
    /// <summary>W1's model: Linear(F,H) → ReLU → Linear(H,F); its data x, y of (N, F).</summary>
    public static (Module Model, Tensor X, Tensor Y) W1(WorkloadSizes s, Generator g)
    {
        var model = new Sequential(new Linear(s.Features, s.Hidden, generator: g), new ReLU(), new Linear(s.Hidden, s.Features, generator: g));
        return (model, Tensor.Randn([s.Batch, s.Features], generator: g), Tensor.Randn([s.Batch, s.Features], generator: g));
    }

    /// <summary>W1's forward: the MSE of the model's output against the target.</summary>
    public static Tensor W1Loss(Module model, Tensor x, Tensor y) => Functional.MseLoss(model.Forward(x), y);

    /// <summary>W2's model: the lecture's two-layer net F→H→C with ReLU.</summary>
    public static Module W2Model(WorkloadSizes s, Generator g) =>
        new Sequential(new Linear(s.Features, s.Hidden, generator: g), new ReLU(), new Linear(s.Hidden, s.Classes, generator: g));

    /// <summary>W3's model: Seq(ParallelBlock(F,H), ParallelBlock(H,H), Linear(H,C)).</summary>
    public static Module W3Model(WorkloadSizes s, Generator g) =>
        new Sequential(new ParallelBlock(s.Features, s.Hidden, g), new ParallelBlock(s.Hidden, s.Hidden, g), new Linear(s.Hidden, s.Classes, generator: g));

    /// <summary>The train-step data of W2 and W3: x of (N, F), y of (N, C).</summary>
    public static (Tensor X, Tensor Y) TrainData(WorkloadSizes s, Generator g) =>
        (Tensor.Randn([s.Batch, s.Features], generator: g), Tensor.Randn([s.Batch, s.Classes], generator: g));

    /// <summary>The learning rate of W2's and W3's Adam.</summary>
    public const double LearningRate = 1e-4;

    /// <summary>One eager train step of W2/W3: zero the grads, MSE, backward, optimizer step.</summary>
    public static void TrainStep(Module model, Optimizer opt, Tensor x, Tensor y)
    {
        opt.ZeroGrad();
        Functional.MseLoss(model.Forward(x), y).Backward();
        opt.Step();
    }

    /// <summary>W4's inputs: a, b of <see cref="WorkloadSizes.Elements"/> floats.</summary>
    public static (Tensor A, Tensor B) W4Data(WorkloadSizes s, Generator g) =>
        (Tensor.Randn([s.Elements], generator: g), Tensor.Randn([s.Elements], generator: g));

    /// <summary>W4: tanh(a*0.5+b)*a+b (five elementwise passes eagerly).</summary>
    public static Tensor W4(Tensor a, Tensor b) => (a * 0.5 + b).Tanh() * a + b;

    /// <summary>W5's block and its input x of (B, T, C).</summary>
    public static (GptBlock Block, Tensor X) W5(WorkloadSizes s, Generator g)
    {
        var block = new GptBlock(s.GptC, s.GptHeads, s.GptT, g);
        return (block, Tensor.Randn([s.GptBatch, s.GptT, s.GptC], generator: g));
    }

    /// <summary>W6's CNN: Conv2d(1,32,3) → ReLU → MaxPool2d(2) → Conv2d(32,64,3) → ReLU → MaxPool2d(2) → Flatten → Linear(1600,128) → ReLU → Linear(128,10).</summary>
    public static Module W6Model(Generator g) => new Sequential(
        new Conv2d(1, 32, 3, generator: g), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, generator: g), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(1600, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));

    /// <summary>W6's batch: 64 images of 1×28×28 (Fashion-MNIST-shaped) and their int64 labels in [0, 10).</summary>
    public static (Tensor X, Tensor Y) W6Data(Generator g) =>
        (Tensor.Randn([64, 1, 28, 28], generator: g), Tensor.Randint(0, 10, [64], generator: g));

    /// <summary>The learning rate of W6's and W7's Adam.</summary>
    public const double ClassifierLearningRate = 1e-3;

    /// <summary>W7's model: LSTM(128, 256, batch-first, 1 layer) → last step → Linear(256, 10).</summary>
    public static Module W7Model(Generator g) => new LstmClassifier(128, 256, 10, g);

    /// <summary>W7's batch: 32 sequences of 32 steps of 128 features and their int64 labels in [0, 10).</summary>
    public static (Tensor X, Tensor Y) W7Data(Generator g) =>
        (Tensor.Randn([32, 32, 128], generator: g), Tensor.Randint(0, 10, [32], generator: g));

    /// <summary>One eager classifier train step (W6, W7): zero the grads, cross-entropy, backward, optimizer step.</summary>
    public static void ClassifierStep(Module model, Optimizer opt, Tensor x, Tensor y)
    {
        opt.ZeroGrad();
        Functional.CrossEntropy(model.Forward(x), y).Backward();
        opt.Step();
    }

    /// <summary>One W5 iteration: forward, backward of the sum, then the block's grads cleared.</summary>
    public static void W5Step(Module block, Func<Tensor, Tensor> forward, Tensor x)
    {
        forward(x).Sum().Backward();
        block.ZeroGrad();
    }
}
