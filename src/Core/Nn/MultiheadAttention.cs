namespace Trace.Nn;

/// <summary>
/// Multi-head attention, as <c>torch.nn.MultiheadAttention</c>: the query, key and value are projected, split into
/// <see cref="NumHeads"/> heads of size embed_dim/num_heads, attended per head with scaled dot products, concatenated
/// and projected by <c>out_proj</c>. Parameters carry PyTorch's names: <c>in_proj_weight</c> (3·E, E) and
/// <c>in_proj_bias</c> (3·E) when key and value have the embedding size, else <c>q_proj_weight</c> (E, E),
/// <c>k_proj_weight</c> (E, kdim) and <c>v_proj_weight</c> (E, vdim); <c>out_proj.weight</c>/<c>out_proj.bias</c>;
/// <c>bias_k</c>/<c>bias_v</c> (1, 1, E) with <c>addBiasKv</c>. Initialization as PyTorch: Xavier-uniform projection
/// weights, zero biases, Xavier-normal <c>bias_k</c>/<c>bias_v</c>, <c>out_proj.weight</c> as a Linear's.
/// <para>
/// Inputs are (L, N, E) query and (S, N, kdim)/(S, N, vdim) key/value, or (N, L, E), (N, S, ·) with <c>batchFirst</c>;
/// unbatched (L, E)/(S, kdim)/(S, vdim) inputs give unbatched outputs. Masks as PyTorch: a bool
/// <c>keyPaddingMask</c> (N, S) or <c>attnMask</c> (L, S) or (N·num_heads, L, S) marks with true the positions NOT
/// attended to (the opposite of <see cref="Functional.ScaledDotProductAttention"/>'s bool mask); a floating one is
/// added to the scores. Attention dropout is applied only in training. A query whose keys are all masked gets NaN
/// outputs and weights, as in PyTorch's math path.
/// </para>
/// </summary>
public sealed class MultiheadAttention : Module
{
    /// <summary>Creates the layer; <paramref name="generator"/> seeds its initialization and its dropout masks.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes, an <paramref name="embedDim"/> not divisible by
    /// <paramref name="numHeads"/>, or a dropout probability outside [0, 1].</exception>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0.0, bool bias = true, bool addBiasKv = false, int? kdim = null, int? vdim = null,
        bool batchFirst = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (embedDim <= 0 || numHeads <= 0)
            throw new ArgumentException($"MultiheadAttention: embed_dim and num_heads must be positive, got embed_dim={embedDim}, num_heads={numHeads}.");
        if (embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim={embedDim}, num_heads={numHeads}.");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentException($"MultiheadAttention: dropout probability has to be between 0 and 1, but got {dropout}.");
        if (kdim <= 0 || vdim <= 0)
            throw new ArgumentException($"MultiheadAttention: kdim and vdim must be positive, got kdim={kdim}, vdim={vdim}.");
        (EmbedDim, NumHeads, Dropout, BatchFirst, Generator) = (embedDim, numHeads, dropout, batchFirst, generator);
        (KDim, VDim) = (kdim ?? embedDim, vdim ?? embedDim);
        HeadDim = embedDim / numHeads;
        Tensor Xavier(int rows, int cols) => Init.XavierUniform_(Tensor.Empty([rows, cols], dtype), 1, generator);
        if (KDim == embedDim && VDim == embedDim)
        {
            InProjWeight = RegisterParameter("in_proj_weight", Xavier(3 * embedDim, embedDim));
            RegisterParameter("q_proj_weight", null);
            RegisterParameter("k_proj_weight", null);
            RegisterParameter("v_proj_weight", null);
        }
        else
        {
            QProjWeight = RegisterParameter("q_proj_weight", Xavier(embedDim, embedDim));
            KProjWeight = RegisterParameter("k_proj_weight", Xavier(embedDim, KDim));
            VProjWeight = RegisterParameter("v_proj_weight", Xavier(embedDim, VDim));
            RegisterParameter("in_proj_weight", null);
        }
        InProjBias = RegisterParameter("in_proj_bias", bias ? Tensor.Zeros([3 * embedDim], dtype) : null);
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, dtype, generator));
        if (OutProj.Bias is not null) Init.Zeros_(OutProj.Bias);
        if (addBiasKv)
        {
            // Xavier-normal of a (1, 1, E) tensor: fan_in = fan_out = E, std = √(2 / 2E).
            double std = Math.Sqrt(1.0 / embedDim);
            BiasK = RegisterParameter("bias_k", Init.Normal_(Tensor.Empty([1, 1, embedDim], dtype), 0, std, generator));
            BiasV = RegisterParameter("bias_v", Init.Normal_(Tensor.Empty([1, 1, embedDim], dtype), 0, std, generator));
        }
    }

    /// <summary>The model size E.</summary>
    public int EmbedDim { get; }
    /// <summary>Number of heads.</summary>
    public int NumHeads { get; }
    /// <summary>E / num_heads.</summary>
    public int HeadDim { get; }
    /// <summary>The key's feature size.</summary>
    public int KDim { get; }
    /// <summary>The value's feature size.</summary>
    public int VDim { get; }
    /// <summary>Dropout probability of the attention weights (in training).</summary>
    public double Dropout { get; }
    /// <summary>True when inputs are (N, L, E) rather than (L, N, E).</summary>
    public bool BatchFirst { get; }
    /// <summary>Generator of the dropout masks (null: the default generator).</summary>
    public Generator? Generator { get; }
    /// <summary>The packed q/k/v projection (3·E, E), or null when kdim or vdim differ from E.</summary>
    public Tensor? InProjWeight { get; }
    /// <summary>The query projection (E, E) when kdim or vdim differ from E, else null.</summary>
    public Tensor? QProjWeight { get; }
    /// <summary>The key projection (E, kdim) when kdim or vdim differ from E, else null.</summary>
    public Tensor? KProjWeight { get; }
    /// <summary>The value projection (E, vdim) when kdim or vdim differ from E, else null.</summary>
    public Tensor? VProjWeight { get; }
    /// <summary>The packed q/k/v bias (3·E), or null without bias.</summary>
    public Tensor? InProjBias { get; }
    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }
    /// <summary>A key appended to every sequence (1, 1, E) with <c>addBiasKv</c>, else null.</summary>
    public Tensor? BiasK { get; }
    /// <summary>A value appended to every sequence (1, 1, E) with <c>addBiasKv</c>, else null.</summary>
    public Tensor? BiasV { get; }

    /// <summary>Self-attention of <paramref name="input"/> (no masks); the output only.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>
    /// Attends <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>. Returns the output, shaped
    /// as the query, and with <paramref name="needWeights"/> the attention weights (after dropout), (N, L, S) averaged
    /// over heads or (N, num_heads, L, S) without <paramref name="averageAttnWeights"/> ((L, S) or (num_heads, L, S)
    /// unbatched). <paramref name="isCausal"/> is PyTorch's hint that <paramref name="attnMask"/> is the causal mask: it
    /// requires the mask, and without key padding mask or weights the causal triangle is used in its place.
    /// </summary>
    /// <exception cref="ArgumentException">Inputs of the wrong rank or feature size, batch or sequence sizes that do not
    /// match, masks of the wrong dtype or shape, or <paramref name="isCausal"/> without a mask.</exception>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        bool batched = CheckRanks(query, key, value, keyPaddingMask, attnMask);
        if (isCausal && attnMask is null)
            throw new ArgumentException("MultiheadAttention: need attn_mask if specifying the is_causal hint (is_causal only says that attn_mask is the causal mask); pass the mask, e.g. TransformerEncoder.GenerateSquareSubsequentMask(L).");
        // Internally batch first: (N, L, E).
        Tensor q = query, k = key, v = value;
        if (!batched) (q, k, v, keyPaddingMask) = (q.Unsqueeze(0), k.Unsqueeze(0), v.Unsqueeze(0), keyPaddingMask?.Unsqueeze(0));
        else if (!BatchFirst) (q, k, v) = (q.Transpose(0, 1), k.Transpose(0, 1), v.Transpose(0, 1));
        int n = q.Size(0), l = q.Size(1), s = k.Size(1);
        CheckSizes(q, k, v, batched);
        CheckMasks(keyPaddingMask, attnMask, query.DType, n, l, s, batched);
        bool useCausal = isCausal && keyPaddingMask is null && !needWeights;

        q = Tensor.Linear(q, QProjWeight ?? InProjWeight!.Narrow(0, 0, EmbedDim), InProjBias?.Narrow(0, 0, EmbedDim));
        k = Tensor.Linear(k, KProjWeight ?? InProjWeight!.Narrow(0, EmbedDim, EmbedDim), InProjBias?.Narrow(0, EmbedDim, EmbedDim));
        v = Tensor.Linear(v, VProjWeight ?? InProjWeight!.Narrow(0, 2 * EmbedDim, EmbedDim), InProjBias?.Narrow(0, 2 * EmbedDim, EmbedDim));
        if (BiasK is not null && BiasV is not null)
        {
            k = Tensor.Cat([k, BiasK.Expand(n, 1, EmbedDim)], 1);
            v = Tensor.Cat([v, BiasV.Expand(n, 1, EmbedDim)], 1);
            attnMask = attnMask is null ? null : PadLastDim(attnMask);
            keyPaddingMask = keyPaddingMask is null ? null : PadLastDim(keyPaddingMask);
            s++;
        }
        Tensor Heads(Tensor z, int len) => z.Reshape(n, len, NumHeads, HeadDim).Transpose(1, 2);   // (N, H, len, D)
        var scores = Heads(q, l).Mul(Math.Sqrt(1.0 / HeadDim)).Matmul(Heads(k, s).MT);          // (N, H, L, S)
        if (useCausal) scores = scores.MaskedFill(Functional.CausalMaskedPositions(l, s, scores.Device), double.NegativeInfinity);
        else
        {
            if (attnMask is not null) scores = Masked(scores, attnMask.Dim == 2 ? attnMask : attnMask.Reshape(n, NumHeads, l, s));
            if (keyPaddingMask is not null) scores = Masked(scores, keyPaddingMask.View(n, 1, 1, s));
        }
        var weights = scores.Softmax(-1);
        if (IsTraining && Dropout > 0) weights = Functional.Dropout(weights, Dropout, training: true, Generator);
        var output = OutProj.Forward(weights.Matmul(Heads(v, s)).Transpose(1, 2).Reshape(n, l, EmbedDim));
        output = !batched ? output.Squeeze(0) : BatchFirst ? output : output.Transpose(0, 1);
        if (!needWeights) return (output, null);
        if (averageAttnWeights) weights = weights.Mean(1);
        return (output, batched ? weights : weights.Squeeze(0));
    }

    /// <summary>True positions of a bool mask get −∞; a floating mask is added.</summary>
    private static Tensor Masked(Tensor scores, Tensor mask) =>
        mask.DType == DType.Bool ? scores.MaskedFill(mask, double.NegativeInfinity) : scores.Add(mask);

    /// <summary>One more key position, not masked (false or 0), for the appended bias_k/bias_v.</summary>
    private static Tensor PadLastDim(Tensor mask) =>
        Tensor.Cat([mask, Tensor.Zeros([.. mask.Shape.Take(mask.Dim - 1), 1], mask.DType, mask.Device)], -1);

    private static bool CheckRanks(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, Tensor? attnMask)
    {
        const string op = "MultiheadAttention";
        if (query.Dim is not (2 or 3))
            throw new ArgumentException($"{op}: query should be an unbatched 2-D or batched 3-D tensor but received a {query.Dim}-D query of shape {Shapes.Format(query.Shape)}.");
        bool batched = query.Dim == 3;
        string kind = batched ? "batched (3-D)" : "unbatched (2-D)";
        if (key.Dim != query.Dim || value.Dim != query.Dim)
            throw new ArgumentException($"{op}: for {kind} query, expected key and value to be {query.Dim}-D but found {key.Dim}-D and {value.Dim}-D tensors (shapes {Shapes.Format(key.Shape)} and {Shapes.Format(value.Shape)}).");
        if (keyPaddingMask is not null && keyPaddingMask.Dim != query.Dim - 1)
            throw new ArgumentException($"{op}: for {kind} query, expected key_padding_mask to be {query.Dim - 1}-D but found a {keyPaddingMask.Dim}-D tensor of shape {Shapes.Format(keyPaddingMask.Shape)}.");
        if (attnMask is not null && attnMask.Dim is not (2 or 3))
            throw new ArgumentException($"{op}: for {kind} query, expected attn_mask to be 2-D or 3-D but found a {attnMask.Dim}-D tensor of shape {Shapes.Format(attnMask.Shape)}.");
        return batched;
    }

    private void CheckSizes(Tensor q, Tensor k, Tensor v, bool batched)
    {
        const string op = "MultiheadAttention";
        if (q.Size(-1) != EmbedDim)
            throw new ArgumentException($"{op}: was expecting embedding dimension of {EmbedDim}, but got a query of shape {Shapes.Format(q.Shape)} (batch-first view).");
        if (k.Size(-1) != KDim || v.Size(-1) != VDim)
            throw new ArgumentException($"{op}: expected key and value feature sizes kdim={KDim} and vdim={VDim}, got key {Shapes.Format(k.Shape)} and value {Shapes.Format(v.Shape)} (batch-first view).");
        if (k.Size(0) != v.Size(0) || k.Size(1) != v.Size(1))
            throw new ArgumentException($"{op}: key shape {Shapes.Format(k.Shape)} does not match value shape {Shapes.Format(v.Shape)} in batch and sequence length (batch-first view).");
        if (batched && k.Size(0) != q.Size(0))
            throw new ArgumentException($"{op}: the key's batch size {k.Size(0)} differs from the query's {q.Size(0)} (batch-first views: query {Shapes.Format(q.Shape)}, key {Shapes.Format(k.Shape)}).");
    }

    private void CheckMasks(Tensor? keyPaddingMask, Tensor? attnMask, DType dtype, int n, int l, int s, bool batched)
    {
        const string op = "MultiheadAttention";
        foreach (var (name, m) in new[] { ("key_padding_mask", keyPaddingMask), ("attn_mask", attnMask) })
            if (m is not null && m.DType != DType.Bool && m.DType != dtype)
                throw new ArgumentException($"{op}: only bool masks and floating masks of the query's dtype {dtype.TorchName()} are supported; {name} is {m.DType.TorchName()}.");
        if (keyPaddingMask is not null && (keyPaddingMask.Size(0) != n || keyPaddingMask.Size(1) != s))
            throw new ArgumentException($"{op}: expecting key_padding_mask shape of {Shapes.Format(batched ? [n, s] : [s])}, but got {Shapes.Format(batched ? keyPaddingMask.Shape : [keyPaddingMask.Size(1)])}.");
        if (attnMask is null) return;
        int[] expected = attnMask.Dim == 2 ? [l, s] : [n * NumHeads, l, s];
        if (!attnMask.Shape.SequenceEqual(expected))
            throw new ArgumentException($"{op}: the shape of the {attnMask.Dim}D attn_mask is {Shapes.Format(attnMask.Shape)}, but should be {Shapes.Format(expected)}.");
    }
}
