namespace Trace.Nn;

/// <summary>
/// A transformer encoder layer, as <c>torch.nn.TransformerEncoderLayer</c>: self-attention then a feed-forward block
/// linear2(dropout(activation(linear1(x)))), each with dropout and a residual connection, and layer norms after each
/// (post-norm, the default) or before each (<c>normFirst</c>, pre-norm). Submodules carry PyTorch's names:
/// <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>,
/// <c>dropout2</c>. Inputs are (S, N, E), or (N, S, E) with <c>batchFirst</c>, or unbatched (S, E).
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>Creates the layer; <paramref name="generator"/> seeds its initialization and its dropout masks.</summary>
    /// <exception cref="ArgumentException">An activation other than "relu" or "gelu", or invalid sizes (see <see cref="MultiheadAttention"/>).</exception>
    public TransformerEncoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu", double layerNormEps = 1e-5,
        bool batchFirst = false, bool normFirst = false, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        _activation = TransformerActivation.Resolve("TransformerEncoderLayer", activation);
        Activation = activation;
        NormFirst = normFirst;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, dtype: dtype, generator: generator));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, dtype, generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, dtype, generator));
        Norm1 = RegisterModule("norm1", new LayerNorm([dModel], layerNormEps, true, bias, dtype));
        Norm2 = RegisterModule("norm2", new LayerNorm([dModel], layerNormEps, true, bias, dtype));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, generator));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, generator));
    }

    /// <summary>The activation's name ("relu" or "gelu").</summary>
    public string Activation { get; }
    /// <summary>True for pre-norm (norm before attention and feed-forward), false for post-norm.</summary>
    public bool NormFirst { get; }
    /// <summary>The self-attention.</summary>
    public MultiheadAttention SelfAttn { get; }
    /// <summary>The feed-forward block's first projection (d_model → dim_feedforward).</summary>
    public Linear Linear1 { get; }
    /// <summary>Dropout inside the feed-forward block.</summary>
    public Dropout Dropout { get; }
    /// <summary>The feed-forward block's second projection (dim_feedforward → d_model).</summary>
    public Linear Linear2 { get; }
    /// <summary>The norm of the attention block.</summary>
    public LayerNorm Norm1 { get; }
    /// <summary>The norm of the feed-forward block.</summary>
    public LayerNorm Norm2 { get; }
    /// <summary>Dropout of the attention block's output.</summary>
    public Dropout Dropout1 { get; }
    /// <summary>Dropout of the feed-forward block's output.</summary>
    public Dropout Dropout2 { get; }

    /// <summary>The layer applied to <paramref name="input"/> with no masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>
    /// The layer applied to <paramref name="src"/>; <paramref name="srcMask"/> and <paramref name="srcKeyPaddingMask"/>
    /// are the self-attention's attn_mask and key_padding_mask (true = not attended). <paramref name="isCausal"/> is
    /// PyTorch's hint that <paramref name="srcMask"/> is the causal mask (it requires the mask).
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), srcMask, srcKeyPaddingMask, isCausal);
            return x + FeedForwardBlock(Norm2.Forward(x));
        }
        x = Norm1.Forward(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
        return Norm2.Forward(x + FeedForwardBlock(x));
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout2.Forward(Linear2.Forward(Dropout.Forward(_activation(Linear1.Forward(x)))));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"activation={Activation}, norm_first={(NormFirst ? "True" : "False")}";
}

/// <summary>
/// A transformer decoder layer, as <c>torch.nn.TransformerDecoderLayer</c>: self-attention over the target,
/// cross-attention to the encoder's memory, then the feed-forward block, each with dropout, a residual connection and
/// a layer norm (after, or before with <c>normFirst</c>). Submodules carry PyTorch's names: <c>self_attn</c>,
/// <c>multihead_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>–<c>norm3</c>,
/// <c>dropout1</c>–<c>dropout3</c>. Inputs are (T, N, E) target and (S, N, E) memory, or batch first with
/// <c>batchFirst</c>.
/// </summary>
public sealed class TransformerDecoderLayer : Module
{
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>Creates the layer; <paramref name="generator"/> seeds its initialization and its dropout masks.</summary>
    /// <exception cref="ArgumentException">An activation other than "relu" or "gelu", or invalid sizes (see <see cref="MultiheadAttention"/>).</exception>
    public TransformerDecoderLayer(int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu", double layerNormEps = 1e-5,
        bool batchFirst = false, bool normFirst = false, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        _activation = TransformerActivation.Resolve("TransformerDecoderLayer", activation);
        Activation = activation;
        NormFirst = normFirst;
        SelfAttn = RegisterModule("self_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, dtype: dtype, generator: generator));
        MultiheadAttn = RegisterModule("multihead_attn", new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst: batchFirst, dtype: dtype, generator: generator));
        Linear1 = RegisterModule("linear1", new Linear(dModel, dimFeedforward, bias, dtype, generator));
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        Linear2 = RegisterModule("linear2", new Linear(dimFeedforward, dModel, bias, dtype, generator));
        Norm1 = RegisterModule("norm1", new LayerNorm([dModel], layerNormEps, true, bias, dtype));
        Norm2 = RegisterModule("norm2", new LayerNorm([dModel], layerNormEps, true, bias, dtype));
        Norm3 = RegisterModule("norm3", new LayerNorm([dModel], layerNormEps, true, bias, dtype));
        Dropout1 = RegisterModule("dropout1", new Dropout(dropout, generator));
        Dropout2 = RegisterModule("dropout2", new Dropout(dropout, generator));
        Dropout3 = RegisterModule("dropout3", new Dropout(dropout, generator));
    }

    /// <summary>The activation's name ("relu" or "gelu").</summary>
    public string Activation { get; }
    /// <summary>True for pre-norm, false for post-norm.</summary>
    public bool NormFirst { get; }
    /// <summary>Self-attention over the target.</summary>
    public MultiheadAttention SelfAttn { get; }
    /// <summary>Cross-attention from the target to the memory.</summary>
    public MultiheadAttention MultiheadAttn { get; }
    /// <summary>The feed-forward block's first projection.</summary>
    public Linear Linear1 { get; }
    /// <summary>Dropout inside the feed-forward block.</summary>
    public Dropout Dropout { get; }
    /// <summary>The feed-forward block's second projection.</summary>
    public Linear Linear2 { get; }
    /// <summary>The norm of the self-attention block.</summary>
    public LayerNorm Norm1 { get; }
    /// <summary>The norm of the cross-attention block.</summary>
    public LayerNorm Norm2 { get; }
    /// <summary>The norm of the feed-forward block.</summary>
    public LayerNorm Norm3 { get; }
    /// <summary>Dropout of the self-attention block's output.</summary>
    public Dropout Dropout1 { get; }
    /// <summary>Dropout of the cross-attention block's output.</summary>
    public Dropout Dropout2 { get; }
    /// <summary>Dropout of the feed-forward block's output.</summary>
    public Dropout Dropout3 { get; }

    /// <summary>
    /// The layer applied to <paramref name="tgt"/> attending to <paramref name="memory"/>: the masks are the
    /// self-attention's (tgt) and the cross-attention's (memory) attn_mask and key_padding_mask (true = not attended);
    /// the <c>IsCausal</c> flags are PyTorch's hints that the corresponding mask is causal (each requires its mask).
    /// </summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        ArgumentNullException.ThrowIfNull(memory);
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + CrossAttentionBlock(Norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            return x + FeedForwardBlock(Norm3.Forward(x));
        }
        x = Norm1.Forward(x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
        x = Norm2.Forward(x + CrossAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
        return Norm3.Forward(x + FeedForwardBlock(x));
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor CrossAttentionBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout2.Forward(MultiheadAttn.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout3.Forward(Linear2.Forward(Dropout.Forward(_activation(Linear1.Forward(x)))));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"activation={Activation}, norm_first={(NormFirst ? "True" : "False")}";
}

/// <summary>
/// A stack of encoder layers with an optional final norm, as <c>torch.nn.TransformerEncoder</c> (submodules
/// <c>layers.0</c>, <c>layers.1</c>, ... and <c>norm</c>). PyTorch deep-copies one given layer; here a factory makes
/// each layer (called with its index), so that the layers are independent and each is initialized afresh.
/// </summary>
public sealed class TransformerEncoder : Module
{
    /// <summary>Creates <paramref name="numLayers"/> layers with <paramref name="layerFactory"/>(0), (1), ...</summary>
    /// <exception cref="ArgumentException">A non-positive layer count, or a factory returning the same layer twice.</exception>
    public TransformerEncoder(Func<int, TransformerEncoderLayer> layerFactory, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(layerFactory);
        if (numLayers <= 0) throw new ArgumentException($"TransformerEncoder: num_layers must be positive, got {numLayers}.");
        Layers = RegisterModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++)
        {
            var layer = layerFactory(i) ?? throw new ArgumentException($"TransformerEncoder: the layer factory returned null for layer {i}.");
            if (Layers.Any(m => ReferenceEquals(m, layer)))
                throw new ArgumentException($"TransformerEncoder: the layer factory returned the same layer for layers {Layers.ToList().FindIndex(m => ReferenceEquals(m, layer))} and {i}; each call must create a new layer.");
            Layers.Add(layer);
        }
        if (norm is not null) Norm = RegisterModule("norm", norm);
    }

    /// <summary>The layers, in order.</summary>
    public ModuleList Layers { get; }
    /// <summary>The final norm, or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>The stack applied to <paramref name="input"/> with no masks.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>Each layer in turn with the same masks (see <see cref="TransformerEncoderLayer.Forward(Tensor, Tensor?, Tensor?, bool)"/>), then the norm.</summary>
    public Tensor Forward(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        foreach (var layer in Layers) x = ((TransformerEncoderLayer)layer).Forward(x, mask, srcKeyPaddingMask, isCausal);
        return Norm is null ? x : Norm.Forward(x);
    }

    /// <summary>
    /// A square causal mask for a sequence of <paramref name="size"/>, as <c>nn.Transformer.generate_square_subsequent_mask</c>:
    /// 0 on and below the diagonal, −∞ above (a float mask added to the scores).
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int size, DType dtype = DType.Float32, Device? device = null)
    {
        if (size <= 0) throw new ArgumentException($"generate_square_subsequent_mask: size must be positive, got {size}.");
        return Tensor.Zeros([size, size], dtype, device).MaskedFill(Functional.CausalMaskedPositions(size, size, device ?? Device.Cpu), double.NegativeInfinity);
    }
}

/// <summary>The activations a transformer layer accepts by name.</summary>
internal static class TransformerActivation
{
    /// <summary>"relu" or "gelu" (exact), else an error naming the layer.</summary>
    public static Func<Tensor, Tensor> Resolve(string layer, string activation) => activation switch
    {
        "relu" => x => x.Relu(),
        "gelu" => x => x.Gelu(),
        _ => throw new ArgumentException($"{layer}: activation should be relu/gelu, not {activation}."),
    };
}
