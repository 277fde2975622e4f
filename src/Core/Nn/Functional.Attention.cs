namespace Trace.Nn;

public static partial class Functional
{
    /// <summary>
    /// Scaled dot-product attention, as <c>torch.nn.functional.scaled_dot_product_attention</c> (its math path):
    /// softmax(query·keyᵀ·scale + bias)·value, for query (..., L, E), key (..., S, E) and value (..., S, Ev), giving
    /// (..., L, Ev). The leading (batch, head) dims broadcast as in <see cref="Tensor.Matmul(Tensor)"/>.
    /// <para>
    /// <paramref name="attnMask"/> broadcasts to the weights' shape (..., L, S): a bool mask marks with true the
    /// positions that take part in attention (false ones get −∞ before the softmax); a floating mask, of the query's
    /// dtype, is added to the scores. <paramref name="isCausal"/> masks the positions j &gt; i (the top-left aligned
    /// lower triangle, also for L ≠ S) and cannot be combined with a mask. <paramref name="scale"/> defaults to 1/√E.
    /// </para>
    /// <para>
    /// Dropout with probability <paramref name="dropoutP"/> is applied to the attention weights whenever it is positive,
    /// regardless of any training mode, as in PyTorch: modules pass 0 in evaluation (as <see cref="MultiheadAttention"/>
    /// does). A query row whose positions are all masked gets a softmax over only −∞ and its output is NaN, as in
    /// PyTorch's math path; give each row at least one position to attend to.
    /// </para>
    /// Composed of existing ops (matmul, mul, masked_fill/add, softmax, dropout), so autograd and tracing apply.
    /// </summary>
    /// <exception cref="ArgumentException">Inputs of fewer than 2 dims, mismatched embedding or sequence sizes, batch
    /// dims that do not broadcast, differing or non-floating dtypes, a mask of the wrong dtype or of a shape that does
    /// not broadcast to (..., L, S), a mask together with <paramref name="isCausal"/>, or a dropout probability outside
    /// [0, 1].</exception>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null, double dropoutP = 0.0,
        bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        const string op = "scaled_dot_product_attention";
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var scoresShape = CheckAttention(op, query, key, value);
        if (isCausal && attnMask is not null)
            throw new ArgumentException($"{op}: is_causal cannot be combined with an explicit attn_mask (got a mask of shape {Shapes.Format(attnMask.Shape)}); pass one or the other.");
        if (!(dropoutP >= 0 && dropoutP <= 1))
            throw new ArgumentException($"{op}: dropout_p has to be between 0 and 1, but got {dropoutP}.");
        var scores = query.Matmul(key.MT).Mul(scale ?? 1 / Math.Sqrt(query.Size(-1)));
        if (isCausal) scores = scores.MaskedFill(CausalMaskedPositions(query.Size(-2), key.Size(-2), query.Device), double.NegativeInfinity);
        else if (attnMask is not null)
        {
            CheckMask(op, "attn_mask", attnMask, query.DType, scoresShape);
            scores = attnMask.DType == DType.Bool ? scores.MaskedFill(attnMask.LogicalNot(), double.NegativeInfinity) : scores.Add(attnMask);
        }
        var weights = scores.Softmax(-1);
        if (dropoutP > 0) weights = Dropout(weights, dropoutP, training: true, generator);
        return weights.Matmul(value);
    }

    /// <summary>(L, S) bool, true where j &gt; i: the positions a causal mask hides.</summary>
    internal static Tensor CausalMaskedPositions(int l, int s, Device device) =>
        Tensor.Arange(0, s, 1, device).Unsqueeze(0).Gt(Tensor.Arange(0, l, 1, device).Unsqueeze(1));

    /// <summary>Checks query/key/value and returns the attention weights' shape (batch..., L, S).</summary>
    private static int[] CheckAttention(string op, Tensor query, Tensor key, Tensor value)
    {
        string Shapes3() => $"query {Shapes.Format(query.Shape)}, key {Shapes.Format(key.Shape)}, value {Shapes.Format(value.Shape)}";
        if (query.Dim < 2 || key.Dim < 2 || value.Dim < 2)
            throw new ArgumentException($"{op}: query, key and value must have at least 2 dims (..., L, E), (..., S, E), (..., S, Ev); got {Shapes3()}.");
        if (!query.IsFloatingPoint || key.DType != query.DType || value.DType != query.DType)
            throw new ArgumentException($"{op}: query, key and value must have the same floating dtype, got {query.DType.TorchName()}, {key.DType.TorchName()} and {value.DType.TorchName()}.");
        if (key.Size(-1) != query.Size(-1))
            throw new ArgumentException($"{op}: the key's embedding size {key.Size(-1)} differs from the query's {query.Size(-1)} ({Shapes3()}).");
        if (value.Size(-2) != key.Size(-2))
            throw new ArgumentException($"{op}: key and value must have the same sequence length S, got {key.Size(-2)} and {value.Size(-2)} ({Shapes3()}).");
        int[] batch;
        try
        {
            batch = Shapes.Broadcast([.. query.Shape.Take(query.Dim - 2)], [.. key.Shape.Take(key.Dim - 2)], op);
            batch = Shapes.Broadcast(batch, [.. value.Shape.Take(value.Dim - 2)], op);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{op}: the batch dims of query, key and value do not broadcast ({Shapes3()}).", e);
        }
        return [.. batch, query.Size(-2), key.Size(-2)];
    }

    /// <summary>A mask must be bool or of the query's dtype and broadcast to <paramref name="target"/> (no larger).</summary>
    private static void CheckMask(string op, string name, Tensor mask, DType queryDType, int[] target)
    {
        if (mask.DType != DType.Bool && mask.DType != queryDType)
            throw new ArgumentException($"{op}: expected {name} of dtype torch.bool or {queryDType.TorchName()} (the query's), got {mask.DType.TorchName()}.");
        bool fits = mask.Dim <= target.Length;
        for (int i = 1; fits && i <= mask.Dim; i++)
            fits = mask.Shape[^i] == 1 || mask.Shape[^i] == target[^i];
        if (!fits)
            throw new ArgumentException($"{op}: {name} of shape {Shapes.Format(mask.Shape)} cannot be broadcast to the attention weights' shape {Shapes.Format(target)}.");
    }
}
