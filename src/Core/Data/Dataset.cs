namespace Trace.Data;

/// <summary>
/// A map-style dataset (like <c>torch.utils.data.Dataset</c>): <see cref="Count"/> examples, each a tuple of
/// tensors such as <c>(x, y)</c>. A <see cref="DataLoader"/> with workers calls <see cref="this[int]"/> and
/// <see cref="GetBatch"/> from several threads at once, so implementations must be safe to read concurrently.
/// </summary>
public abstract class Dataset
{
    /// <summary>Number of examples.</summary>
    public abstract int Count { get; }

    /// <summary>Example <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>) as a tuple of tensors.</summary>
    public abstract Tensor[] this[int index] { get; }

    /// <summary>
    /// The examples at <paramref name="indices"/> collated into one batch: position k of the result stacks
    /// position k of every example along a new leading dim (<see cref="Tensor.Stack"/>). Override this when
    /// the data can be gathered faster than example by example, as <see cref="TensorDataset"/> does.
    /// </summary>
    /// <exception cref="ArgumentException">No indices, or examples whose tuple lengths or shapes differ.</exception>
    public virtual Tensor[] GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        string name = GetType().Name;
        if (indices.Count == 0)
            throw new ArgumentException($"{name}.GetBatch: expected at least one index; an empty batch cannot be stacked.", nameof(indices));
        var examples = new Tensor[indices.Count][];
        for (int i = 0; i < examples.Length; i++)
        {
            examples[i] = this[indices[i]] ?? throw new InvalidOperationException($"{name}.GetBatch: example {indices[i]} is null; an example must be an array of tensors.");
            if (examples[i].Length != examples[0].Length)
                throw new ArgumentException($"{name}.GetBatch: examples of one batch must have the same number of tensors, but example {indices[0]} has {examples[0].Length} and example {indices[i]} has {examples[i].Length}.", nameof(indices));
        }
        var batch = new Tensor[examples[0].Length];
        var column = new Tensor[examples.Length];
        for (int k = 0; k < batch.Length; k++)
        {
            for (int i = 0; i < column.Length; i++)
            {
                column[i] = examples[i][k] ?? throw new InvalidOperationException($"{name}.GetBatch: tensor {k} of example {indices[i]} is null.");
                if (!SameShape(column[i], column[0]))
                    throw new ArgumentException($"{name}.GetBatch: cannot stack tensor {k} of the examples: example {indices[0]} has shape {Shapes.Format(column[0].Shape)} but example {indices[i]} has shape {Shapes.Format(column[i].Shape)}; all examples of a batch must have equal shapes (override GetBatch to pad or collate differently).", nameof(indices));
            }
            batch[k] = Tensor.Stack(column);
        }
        return batch;
    }

    private static bool SameShape(Tensor a, Tensor b)
    {
        if (a.Dim != b.Dim) return false;
        for (int d = 0; d < a.Dim; d++)
            if (a.Shape[d] != b.Shape[d]) return false;
        return true;
    }
}
