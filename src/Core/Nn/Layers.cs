namespace Trace.Nn;

/// <summary>y = x·Wᵀ + b, with PyTorch's default initialization U(-1/√in, 1/√in) for W and b.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer; <paramref name="generator"/> seeds its initialization (default generator otherwise).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentException($"Linear: in_features and out_features must be positive, got {inFeatures} and {outFeatures}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures], dtype))!;
        Init.KaimingUniform_(Weight, Math.Sqrt(5), generator);
        if (bias)
        {
            double bound = 1 / Math.Sqrt(inFeatures);
            Bias = RegisterParameter("bias", Init.Uniform_(Tensor.Empty([outFeatures], dtype), -bound, bound, generator));
        }
    }

    /// <summary>Input size.</summary>
    public int InFeatures { get; }
    /// <summary>Output size.</summary>
    public int OutFeatures { get; }
    /// <summary>Weight of shape (out_features, in_features).</summary>
    public Tensor Weight { get; }
    /// <summary>Bias of shape (out_features), or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>GELU (exact, or the tanh approximation).</summary>
public sealed class GELU(GeluApproximation approximate = GeluApproximation.None) : Module
{
    /// <summary>The formula used.</summary>
    public GeluApproximation Approximate { get; } = approximate;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu(Approximate);
    /// <inheritdoc/>
    protected override string ExtraRepr() => Approximate == GeluApproximation.Tanh ? "approximate='tanh'" : "approximate='none'";
}

/// <summary>SiLU (swish), x·σ(x).</summary>
public sealed class SiLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Silu();
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>1/(1+e^-x).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Softmax along a dim.</summary>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dim normalized over.</summary>
    public int Dim { get; } = dim;
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);
    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Flattens dims [startDim, endDim] (default: all but the batch dim).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={startDim}, end_dim={endDim}";
}

/// <summary>Zeroes elements with probability p in training (scaling the rest by 1/(1-p)); identity in eval.</summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer; <paramref name="generator"/> draws the masks (default generator otherwise).</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p < 0 || p > 1) throw new ArgumentException($"Dropout: probability has to be between 0 and 1, but got {p}.");
        P = p;
        Generator = generator;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }
    /// <summary>Generator for the masks (null: the default generator).</summary>
    public Generator? Generator { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, IsTraining, Generator);
    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>Layer normalization over the trailing dims, with learnable weight (ones) and bias (zeros).</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer over <paramref name="normalizedShape"/>; <paramref name="bias"/> false keeps the weight but no shift (PyTorch's <c>bias=False</c>).</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
    {
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype));
            if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape, dtype));
        }
    }

    /// <summary>Creates the layer over one trailing dim of size <paramref name="size"/>.</summary>
    public LayerNorm(int size, double eps = 1e-5) : this([size], eps) { }

    /// <summary>The normalized trailing shape.</summary>
    public int[] NormalizedShape { get; }
    /// <summary>Added to the variance.</summary>
    public double Eps { get; }
    /// <summary>Scale, or null without affine.</summary>
    public Tensor? Weight { get; }
    /// <summary>Shift, or null without affine or bias.</summary>
    public Tensor? Bias { get; }
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LayerNorm(NormalizedShape, Weight, Bias, Eps);
    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Shapes.Format(NormalizedShape)}, eps={Eps}, elementwise_affine={(Weight is null ? "False" : "True")}";
}

/// <summary>A lookup table of embeddings: integer indices of any shape → (..., embeddingDim). Initialized N(0, 1).</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates a table of <paramref name="numEmbeddings"/> vectors of size <paramref name="embeddingDim"/>.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentException($"Embedding: sizes must be positive, got num_embeddings={numEmbeddings}, embedding_dim={embeddingDim}.");
        Weight = RegisterParameter("weight", Init.Normal_(Tensor.Empty([numEmbeddings, embeddingDim], dtype), 0, 1, generator))!;
    }

    /// <summary>The table, of shape (num_embeddings, embedding_dim).</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!input.DType.IsIntegral())
            throw new ArgumentException($"Embedding: expected integer indices (int64 or int32), got {input.DType.TorchName()} of shape {Shapes.Format(input.Shape)}.");
        var flat = Weight.IndexSelect(0, input.Reshape(-1));
        return flat.View([.. input.Shape, Weight.Shape[1]]);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{Weight.Shape[0]}, {Weight.Shape[1]}";
}
