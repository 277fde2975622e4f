using Trace.Nn;

namespace Trace.Jit.Tests.OnnxFormat;

/// <summary>
/// The models the ONNX tests export and import, as the perf workloads define them (W1–W3 lecture nets, W5's GPT block,
/// W6's CNN, W7's LSTM classifier), scaled down by the tests for speed.
/// </summary>
internal static class OnnxModels
{
    /// <summary>W1/W2: Linear → ReLU → Linear.</summary>
    public static Module Mlp(int dIn, int hidden, int dOut, Generator g) =>
        new Sequential(new Linear(dIn, hidden, generator: g), new ReLU(), new Linear(hidden, dOut, generator: g));

    /// <summary>W3: Seq(ParallelBlock(F,H), ParallelBlock(H,H), Linear(H,C)).</summary>
    public static Module ParallelNet(int dIn, int hidden, int dOut, Generator g) =>
        new Sequential(new ParallelBlock(dIn, hidden, g), new ParallelBlock(hidden, hidden, g), new Linear(hidden, dOut, generator: g));

    /// <summary>W6's CNN for <paramref name="side"/>×<paramref name="side"/> single-channel images.</summary>
    public static Module Cnn(int side, Generator g)
    {
        int s = ((side - 2) / 2 - 2) / 2;
        return new Sequential(
            new Conv2d(1, 8, 3, generator: g), new ReLU(), new MaxPool2d(2),
            new Conv2d(8, 16, 3, generator: g), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(16 * s * s, 32, generator: g), new ReLU(), new Linear(32, 10, generator: g));
    }
}

/// <summary>W5's pre-LayerNorm GPT block: causal multi-head self-attention and a 4x GELU MLP, each with a residual.</summary>
internal sealed class GptBlock : Module
{
    private readonly LayerNorm ln1, ln2;
    private readonly Linear qkv, proj, fc, fcProj;
    private readonly GELU gelu;
    private readonly int _heads;
    private readonly Tensor _causal;

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
        _causal = RegisterBuffer("causal", Tensor.Ones(maxT, maxT).Tril().Eq(0.0));
    }

    public override Tensor Forward(Tensor x)
    {
        int b = x.Size(0), t = x.Size(1), c = x.Size(2), d = c / _heads;
        var parts = qkv.Forward(ln1.Forward(x)).Split(c, 2);
        Tensor Heads(Tensor z) => z.View(b, t, _heads, d).Transpose(1, 2);
        var (q, k, v) = (Heads(parts[0]), Heads(parts[1]), Heads(parts[2]));
        var att = q.Matmul(k.MT).Mul(1.0 / Math.Sqrt(d));
        att = att.MaskedFill(_causal.Narrow(0, 0, t).Narrow(1, 0, t), double.NegativeInfinity).Softmax(-1);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);
        x = x + proj.Forward(y);
        return x + fcProj.Forward(gelu.Forward(fc.Forward(ln2.Forward(x))));
    }
}

/// <summary>W7's model: an LSTM over a batch-first sequence, then a linear classifier of the last step's output.</summary>
internal sealed class LstmClassifier(int input, int hidden, int classes, Generator g) : Module
{
    private readonly LSTM lstm = new(input, hidden, batchFirst: true, generator: g);
    private readonly Linear head = new(hidden, classes, generator: g);

    public override Tensor Forward(Tensor x) => head.Forward(lstm.Forward(x).Select(1, -1));
}
