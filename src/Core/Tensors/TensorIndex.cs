namespace Trace;

/// <summary>
/// One entry of a tensor index expression: an integer (removes the dim), a range or stepped slice,
/// <see cref="NewAxis"/> (inserts a size-1 dim) or <see cref="Ellipsis"/> (all remaining dims).
/// C# ints, <see cref="Index"/>es (<c>^1</c>) and <see cref="System.Range"/>s (<c>1..^1</c>) convert implicitly.
/// </summary>
public readonly struct TensorIndex
{
    internal enum Kind { Int, Slice, NewAxis, Ellipsis }

    internal Kind K { get; }
    internal int Value { get; }
    internal bool FromEnd { get; }
    internal int? Start { get; }
    internal int? End { get; }
    internal int Step { get; }

    private TensorIndex(Kind k, int value = 0, bool fromEnd = false, int? start = null, int? end = null, int step = 1)
    {
        K = k; Value = value; FromEnd = fromEnd; Start = start; End = end; Step = step;
    }

    /// <summary>Inserts a new size-1 dim (Python's <c>None</c>).</summary>
    public static TensorIndex NewAxis => new(Kind.NewAxis);

    /// <summary>Stands for as many full slices as needed (Python's <c>...</c>).</summary>
    public static TensorIndex Ellipsis => new(Kind.Ellipsis);

    /// <summary>A Python-style slice <c>start:end:step</c>; null bounds mean the ends.</summary>
    public static TensorIndex Slice(int? start = null, int? end = null, int step = 1) => new(Kind.Slice, start: start, end: end, step: step);

    /// <summary>An integer index (negative counts from the end).</summary>
    public static implicit operator TensorIndex(int i) => new(Kind.Int, i);

    /// <summary>A C# index such as <c>^1</c>.</summary>
    public static implicit operator TensorIndex(Index i) => new(Kind.Int, i.Value, i.IsFromEnd);

    /// <summary>A C# range such as <c>1..^1</c> or <c>..</c>.</summary>
    public static implicit operator TensorIndex(Range r) => new(Kind.Slice,
        start: r.Start.IsFromEnd ? -r.Start.Value : r.Start.Value,
        end: r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value);
}

public sealed partial class Tensor
{
    /// <summary>
    /// Basic indexing as in PyTorch, returning a view: <c>x[0]</c>, <c>x[.., 1]</c>, <c>x[1..3, ^1]</c>,
    /// <c>x[TensorIndex.Ellipsis, TensorIndex.NewAxis]</c>, <c>x[TensorIndex.Slice(0, null, 2)]</c>. Assigning,
    /// <c>x[0, 1..] = v</c>, copies <c>v</c> (broadcast to the view's shape, converted to its dtype) into that view in place,
    /// as <c>x[0, 1:] = v</c> does in PyTorch (<see cref="Copy_"/>: not on tensors autograd tracks).
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Index")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => IndexView(indices);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            IndexView(indices).Copy_(value);
        }
    }

    private Tensor IndexView(TensorIndex[] indices)
    {
        int consumed = indices.Count(i => i.K is TensorIndex.Kind.Int or TensorIndex.Kind.Slice);
        int ellipses = indices.Count(i => i.K == TensorIndex.Kind.Ellipsis);
        if (ellipses > 1) throw new ArgumentException("aten::index: an index can only have a single ellipsis.");
        if (consumed > Dim)
            throw new ArgumentOutOfRangeException(nameof(indices), $"aten::index: too many indices for tensor of rank {Dim} (got {consumed}).");
        Tensor t = this;
        int d = 0;
        foreach (var ix in indices)
        {
            switch (ix.K)
            {
                case TensorIndex.Kind.Int:
                    t = t.Select(d, !ix.FromEnd ? ix.Value : ix.Value == 0 ? t.Size(d) : -ix.Value);
                    break;
                case TensorIndex.Kind.Slice:
                    t = t.Slice(d, ix.Start, ix.End, ix.Step);
                    d++;
                    break;
                case TensorIndex.Kind.NewAxis:
                    t = t.Unsqueeze(d);
                    d++;
                    break;
                default:
                    d += Dim - consumed;
                    break;
            }
        }
        return t;
    }
}
