namespace Trace.Jit;

/// <summary>How a fusion-group input is indexed relative to the group's shape.</summary>
internal enum InputKind
{
    /// <summary>The group's shape: element i.</summary>
    Full,

    /// <summary>One block of the trailing dims, repeated (a bias, a (T, T) mask over (B, H, T, T)): element i of the block.</summary>
    Row,

    /// <summary>One value per block (trailing dims of size 1, e.g. a row max): element r, the block's index.</summary>
    Column,

    /// <summary>One value.</summary>
    Scalar,

    /// <summary>
    /// Row programs only: the group's last m dims for an m greater than the row's k, repeated over the leading dims (a (T, T)
    /// mask over (B, H, T, T) rows of T): element (j mod its size), contiguous along each row.
    /// </summary>
    Tail,
}

/// <summary>
/// The broadcast layouts a fused loop handles. The group's shape is seen as rows × inner, where inner is the
/// product of its trailing <c>k</c> dims; an input either has the group's shape, or is one row (its leading
/// dims are 1 and its trailing k dims match), or one value per row (its leading dims match, trailing k are 1),
/// or one value. A group compiles when one k fits all its inputs.
/// </summary>
internal static class FusionLayout
{
    /// <summary>The kind of <paramref name="input"/> relative to <paramref name="output"/> with k = <paramref name="k"/> trailing dims per row; null if none fits.</summary>
    public static InputKind? Classify(int[] input, int[] output, int k)
    {
        if (input.SequenceEqual(output)) return InputKind.Full;
        if (input.Length > output.Length) return null;
        var padded = Enumerable.Repeat(1, output.Length - input.Length).Concat(input).ToArray();
        if (padded.All(d => d == 1)) return InputKind.Scalar;
        int lead = output.Length - k;
        if (lead < 0) return null;
        if (padded.Skip(lead).SequenceEqual(output.Skip(lead)) && padded.Take(lead).All(d => d == 1)) return InputKind.Row;
        if (padded.Take(lead).SequenceEqual(output.Take(lead)) && padded.Skip(lead).All(d => d == 1)) return InputKind.Column;
        return null;
    }

    /// <summary>The smallest k (1 … rank) under which every input shape has a kind; 1 when all are full or scalar; null if none.</summary>
    public static int? BlockDims(IEnumerable<int[]> inputs, int[] output)
    {
        var shapes = inputs.ToList();
        if (output.Length == 0) return shapes.All(s => s.All(d => d == 1)) ? 1 : null;
        for (int k = 1; k <= output.Length; k++)
            if (shapes.All(s => Classify(s, output, k) is not null)) return k;
        return null;
    }

    /// <summary>
    /// True when the plain fused loops lay out <paramref name="inputs"/> over <paramref name="domain"/>: elementwise (one k
    /// fits all, <paramref name="sumDims"/> null), a final full sum (<paramref name="sumDims"/> = rank: inputs of the domain's
    /// shape or one value), a final sum over the last k dims (inputs laid out by k). Other groups need a <see cref="RowProgram"/>.
    /// </summary>
    public static bool PlainFits(IEnumerable<int[]> inputs, int[] domain, int? sumDims)
    {
        if (sumDims is not { } k) return BlockDims(inputs, domain) is not null;
        return k == domain.Length
            ? inputs.All(s => Classify(s, domain, 1) is InputKind.Full or InputKind.Scalar)
            : inputs.All(s => Classify(s, domain, k) is not null);
    }

    /// <summary>Elements per row for <paramref name="k"/> trailing dims.</summary>
    public static int Inner(int[] output, int k) => output.Length == 0 ? 1 : output.Skip(output.Length - k).Aggregate(1, (a, b) => a * b);
}
