namespace Trace.Data;

/// <summary>
/// A dataset over tensors that share their first dim (like <c>torch.utils.data.TensorDataset</c>): example i is
/// row i of each tensor (a view), and a batch is one <see cref="Tensor.IndexSelect"/> per tensor.
/// </summary>
public sealed class TensorDataset : Dataset
{
    private readonly Tensor[] _tensors;

    /// <summary>Wraps <paramref name="tensors"/>, e.g. <c>new TensorDataset(x, y)</c>.</summary>
    /// <exception cref="ArgumentException">No tensors, a 0-dim tensor, or tensors whose dim 0 sizes differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
            throw new ArgumentException("TensorDataset: expected at least one tensor.", nameof(tensors));
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(tensors));
            if (t.Dim == 0 || t.Size(0) != tensors[0].Size(0))
                throw new ArgumentException($"TensorDataset: all tensors must share dim 0 (the example dim), got shapes {string.Join(", ", tensors.Select(x => Shapes.Format(x.Shape)))}.", nameof(tensors));
        }
        _tensors = (Tensor[])tensors.Clone();
        Count = tensors[0].Size(0);
    }

    /// <summary>The wrapped tensors, in tuple order.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public override int Count { get; }

    /// <inheritdoc/>
    public override Tensor[] this[int index]
    {
        get
        {
            CheckIndex(index);
            var item = new Tensor[_tensors.Length];
            for (int k = 0; k < item.Length; k++) item[k] = _tensors[k].Select(0, index);
            return item;
        }
    }

    /// <summary>Rows <paramref name="indices"/> of each tensor, gathered with one <see cref="Tensor.IndexSelect"/> per tensor.</summary>
    public override Tensor[] GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var rows = new long[indices.Count];
        for (int i = 0; i < rows.Length; i++)
        {
            CheckIndex(indices[i]);
            rows[i] = indices[i];
        }
        var index = Tensor.From(rows);
        var batch = new Tensor[_tensors.Length];
        for (int k = 0; k < batch.Length; k++) batch[k] = _tensors[k].IndexSelect(0, index);
        return batch;
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"TensorDataset: index {index} is out of range for a dataset of {Count} examples.");
    }
}
