namespace Trace.Nn;

/// <summary>
/// Learned absolute positions: an <see cref="Embedding"/> of <c>maxLen</c> positions (submodule <c>embedding</c>,
/// initialized N(0, 1)) whose row p is added to the input at sequence position p. The input is (L, N, E) by default,
/// (N, L, E) with <c>batchFirst</c>, or unbatched (L, E), with L ≤ maxLen and E = dModel.
/// </summary>
public sealed class LearnedPositionalEncoding : Module
{
    /// <summary>Creates the table; <paramref name="generator"/> seeds its initialization.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes.</exception>
    public LearnedPositionalEncoding(int maxLen, int dModel, bool batchFirst = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (maxLen <= 0 || dModel <= 0)
            throw new ArgumentException($"LearnedPositionalEncoding: max_len and d_model must be positive, got max_len={maxLen}, d_model={dModel}.");
        (MaxLen, DModel, BatchFirst) = (maxLen, dModel, batchFirst);
        Embedding = RegisterModule("embedding", new Embedding(maxLen, dModel, dtype, generator));
    }

    /// <summary>The longest sequence supported.</summary>
    public int MaxLen { get; }
    /// <summary>The feature size.</summary>
    public int DModel { get; }
    /// <summary>True when inputs are (N, L, E) rather than (L, N, E).</summary>
    public bool BatchFirst { get; }
    /// <summary>The position table (max_len, d_model).</summary>
    public Embedding Embedding { get; }

    /// <summary><paramref name="input"/> plus the embeddings of positions 0..L-1.</summary>
    /// <exception cref="ArgumentException">An input of the wrong rank or feature size, or longer than max_len.</exception>
    public override Tensor Forward(Tensor input)
    {
        int l = PositionalEncodingChecks.SequenceLength("LearnedPositionalEncoding", input, MaxLen, DModel, BatchFirst);
        var pe = Embedding.Forward(Tensor.Arange(0, l, 1, input.Device));   // (L, E)
        return input.Add(input.Dim == 3 && !BatchFirst ? pe.Unsqueeze(1) : pe);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"max_len={MaxLen}, d_model={DModel}, batch_first={(BatchFirst ? "True" : "False")}";
}

/// <summary>
/// Fixed sinusoidal positions, as the PyTorch transformer tutorial's <c>PositionalEncoding</c>: pe[p, 2i] =
/// sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)), held in the buffer <c>pe</c> of shape (max_len,
/// d_model) (part of the state dict, not a parameter), added to the input and followed by dropout (training only).
/// The input is (L, N, E) by default, as in the tutorial, (N, L, E) with <c>batchFirst</c>, or unbatched (L, E).
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    /// <summary>Creates the table; <paramref name="generator"/> draws the dropout masks.</summary>
    /// <exception cref="ArgumentException">Non-positive sizes or a dropout probability outside [0, 1].</exception>
    public SinusoidalPositionalEncoding(int dModel, int maxLen = 5000, double dropout = 0.1, bool batchFirst = false, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (maxLen <= 0 || dModel <= 0)
            throw new ArgumentException($"SinusoidalPositionalEncoding: d_model and max_len must be positive, got d_model={dModel}, max_len={maxLen}.");
        (MaxLen, DModel, BatchFirst) = (maxLen, dModel, batchFirst);
        Dropout = RegisterModule("dropout", new Dropout(dropout, generator));
        var table = new double[maxLen * dModel];
        for (int p = 0; p < maxLen; p++)
            for (int i = 0; 2 * i < dModel; i++)
            {
                double angle = p * Math.Exp(2 * i * -Math.Log(10000.0) / dModel);
                table[p * dModel + 2 * i] = Math.Sin(angle);
                if (2 * i + 1 < dModel) table[p * dModel + 2 * i + 1] = Math.Cos(angle);
            }
        Pe = RegisterBuffer("pe", Tensor.From(table, [maxLen, dModel]).To(dtype));
    }

    /// <summary>The longest sequence supported.</summary>
    public int MaxLen { get; }
    /// <summary>The feature size.</summary>
    public int DModel { get; }
    /// <summary>True when inputs are (N, L, E) rather than (L, N, E).</summary>
    public bool BatchFirst { get; }
    /// <summary>Dropout after the addition.</summary>
    public Dropout Dropout { get; }
    /// <summary>The table (max_len, d_model), a buffer.</summary>
    public Tensor Pe { get; }

    /// <summary>dropout(<paramref name="input"/> + pe[0..L]).</summary>
    /// <exception cref="ArgumentException">An input of the wrong rank or feature size, or longer than max_len.</exception>
    public override Tensor Forward(Tensor input)
    {
        int l = PositionalEncodingChecks.SequenceLength("SinusoidalPositionalEncoding", input, MaxLen, DModel, BatchFirst);
        var pe = Pe.Narrow(0, 0, l);
        return Dropout.Forward(input.Add(input.Dim == 3 && !BatchFirst ? pe.Unsqueeze(1) : pe));
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"d_model={DModel}, max_len={MaxLen}, batch_first={(BatchFirst ? "True" : "False")}";
}

internal static class PositionalEncodingChecks
{
    /// <summary>L of a (L, N, E), (N, L, E) or (L, E) input, checked against max_len and d_model.</summary>
    public static int SequenceLength(string layer, Tensor input, int maxLen, int dModel, bool batchFirst)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (2 or 3))
            throw new ArgumentException($"{layer}: expected a 3-D ({(batchFirst ? "N, L, E" : "L, N, E")}) or unbatched 2-D (L, E) input, got shape {Shapes.Format(input.Shape)}.");
        if (input.Size(-1) != dModel)
            throw new ArgumentException($"{layer}: expected feature size d_model={dModel}, got input of shape {Shapes.Format(input.Shape)}.");
        int l = input.Dim == 3 && batchFirst ? input.Size(1) : input.Size(0);
        if (l > maxLen)
            throw new ArgumentException($"{layer}: sequence length {l} exceeds max_len={maxLen} (input shape {Shapes.Format(input.Shape)}).");
        return l;
    }
}
