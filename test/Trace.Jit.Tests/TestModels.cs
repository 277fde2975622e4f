using Trace.Nn;

namespace Trace.Jit.Tests;

/// <summary>The lecture's ParallelBlock: relu(linear1(x) ⊙ linear2(x)), shared by the JIT tests.</summary>
internal sealed class ParallelBlock(int dIn, int dOut, Generator g) : Module
{
    private readonly Linear linear1 = new(dIn, dOut, generator: g), linear2 = new(dIn, dOut, generator: g);

    public override Tensor Forward(Tensor x) => (linear1.Forward(x) * linear2.Forward(x)).Clamp(min: 0);
}

/// <summary>
/// GPT-style causal self-attention (nanoGPT's block): the input flattened to (B·T, C) for one fused q/k/v projection,
/// heads by Reshape/Transpose, a causal mask cut from a (maxT, maxT) buffer to the current length, softmax, the heads
/// merged back by Reshape(B, T, C), an output projection and a residual. Every size it passes to an op comes from
/// x.Size(...), as in .NET code. With <c>maskPerCall</c> the mask is made at each call instead: Tensor.Ones([T, T]).Triu(1).
/// </summary>
internal sealed class CausalSelfAttention : Module
{
    private readonly Linear qkv, proj;
    private readonly int heads;
    private readonly Tensor? mask;

    public CausalSelfAttention(int channels, int heads, int maxT, Generator g, bool maskPerCall = false)
    {
        (qkv, proj, this.heads) = (new Linear(channels, 3 * channels, generator: g), new Linear(channels, channels, generator: g), heads);
        if (!maskPerCall) mask = RegisterBuffer("mask", Tensor.Ones([maxT, maxT], DType.Bool).Triu(1));   // true above the diagonal: masked
    }

    /// <summary>Number of eager forward runs (each trace runs one).</summary>
    public int Runs { get; private set; }

    public override Tensor Forward(Tensor x)
    {
        Runs++;
        int b = x.Size(0), t = x.Size(1), c = x.Size(2), hs = c / heads;
        var parts = qkv.Forward(x.View(b * t, c)).View(b, t, 3 * c).Split(c, 2);
        Tensor Heads(Tensor z) => z.Reshape(b, t, heads, hs).Transpose(1, 2);   // (B, H, T, hs)
        var (q, k, v) = (Heads(parts[0]), Heads(parts[1]), Heads(parts[2]));
        var causal = mask?.Narrow(0, 0, t).Narrow(1, 0, t) ?? Tensor.Ones([t, t], DType.Bool).Triu(1);
        var att = q.Matmul(k.Transpose(-2, -1)).Mul(1.0 / Math.Sqrt(hs)).MaskedFill(causal, double.NegativeInfinity).Softmax(-1);
        var y = att.Matmul(v).Transpose(1, 2).Reshape(b, t, c);
        return x + proj.Forward(y);
    }
}

/// <summary>The lecture's TorchScript slide: new_h = tanh(linear(x) + h), returned twice.</summary>
internal sealed class MyCell(Generator g) : Module
{
    private readonly Linear linear = new(4, 4, generator: g);

    public override Tensor[] ForwardMany(Tensor[] inputs)
    {
        var newH = (linear.Forward(inputs[0]) + inputs[1]).Tanh();
        return [newH, newH];
    }
}
