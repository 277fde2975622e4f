namespace Trace;

/// <summary>Shape arithmetic shared by all ops: numel, strides, dims, broadcasting, formatting.</summary>
public static class Shapes
{
    /// <summary>Formats a shape like PyTorch's error messages: <c>(64, 1000)</c>.</summary>
    public static string Format(IReadOnlyList<int> shape) => "(" + string.Join(", ", shape) + (shape.Count == 1 ? ",)" : ")");

    /// <summary>Product of sizes; throws, naming <paramref name="op"/>, when a size is negative or the product is beyond <see cref="MaxElements"/>.</summary>
    public static int Numel(ReadOnlySpan<int> shape, string op)
    {
        foreach (int s in shape)
            if (s < 0) throw new ArgumentException($"{op}: negative dimension {s} in shape {Format(shape.ToArray())}.");
        if (shape.Contains(0)) return 0;
        long n = 1;
        foreach (int s in shape)
            if ((n *= s) > MaxElements)
                throw new ArgumentException($"{op}: shape {Format(shape.ToArray())} has {Product(shape)} elements, more than the {MaxElements} a Trace tensor can hold.");
        return (int)n;
    }

    /// <summary>
    /// The most elements a tensor (or a view) can have: every element offset and count is an <c>int</c>, and
    /// buffers are .NET arrays (<see cref="Array.MaxLength"/>).
    /// </summary>
    public static int MaxElements => Array.MaxLength;

    /// <summary>
    /// The element count of a tensor about to be allocated by <paramref name="op"/>: throws, naming the op, the
    /// shape, the dtype and the bytes, when a dim is negative or the count is more than a buffer can hold.
    /// </summary>
    internal static int AllocationNumel(ReadOnlySpan<int> shape, DType dtype, string op)
    {
        foreach (int s in shape)
            if (s < 0) throw new ArgumentException($"{op}: negative dimension {s} in shape {Format(shape.ToArray())}.");
        if (shape.Contains(0)) return 0;
        long n = 1;
        foreach (int s in shape)
        {
            if ((n *= s) <= MaxElements) continue;
            var count = Product(shape);
            throw new ArgumentException($"{op}: cannot allocate a {dtype.TorchName()} tensor of shape {Format(shape.ToArray())}: " +
                $"{count} elements ({count * dtype.ElementSize()} bytes) are more than the {MaxElements} a Trace tensor can hold.");
        }
        return (int)n;
    }

    /// <summary>The exact product of the sizes (it may exceed any machine integer for absurd shapes).</summary>
    internal static System.Numerics.BigInteger Product(ReadOnlySpan<int> shape)
    {
        System.Numerics.BigInteger n = 1;
        foreach (int s in shape) n *= s;
        return n;
    }

    /// <summary>
    /// Throws, naming the op and the shape, when a view would have more elements than a tensor can index
    /// (<see cref="MaxElements"/>), instead of letting counts and offsets wrap around.
    /// </summary>
    internal static void CheckViewNumel(ReadOnlySpan<int> shape, string op)
    {
        if (shape.Contains(0)) return;
        long n = 1;
        foreach (int s in shape)
            if ((n *= s) > MaxElements)
                throw new ArgumentException($"{op}: the resulting shape {Format(shape.ToArray())} has {Product(shape)} elements, more than the " +
                    $"{MaxElements} a Trace tensor (or view) can index.");
    }

    /// <summary>
    /// Row-major strides for a shape. They fit in <c>int</c> whenever the tensor has elements; an empty tensor's
    /// strides, which never address memory, saturate at <see cref="int.MaxValue"/> instead of wrapping.
    /// </summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var st = new int[shape.Length];
        long s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            st[d] = (int)Math.Min(s, int.MaxValue);
            s = Math.Min(s * Math.Max(shape[d], 1), (long)int.MaxValue + 1);
        }
        return st;
    }

    /// <summary>True if strides are row-major for the shape (size-1 dims may have any stride).</summary>
    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int expected = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            if (shape[d] == 1) continue;
            if (shape[d] == 0) return true;
            if (strides[d] != expected) return false;
            expected *= shape[d];
        }
        return true;
    }

    /// <summary>Wraps a possibly negative dim into [0, rank); throws naming the op otherwise.</summary>
    public static int NormDim(int dim, int rank, string op)
    {
        int r = Math.Max(rank, 1);
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dimension {dim} out of range for a tensor of rank {rank} (expected to be in range of [{-r}, {r - 1}]).");
        return dim < 0 ? dim + r : dim;
    }

    /// <summary>NumPy broadcasting of two shapes; throws naming the op and both shapes.</summary>
    public static int[] Broadcast(IReadOnlyList<int> a, IReadOnlyList<int> b, string op)
    {
        int n = Math.Max(a.Count, b.Count);
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Count ? 1 : a[i - (n - a.Count)];
            int db = i < n - b.Count ? 1 : b[i - (n - b.Count)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast together (size {da} != {db} at dimension {i}).");
            r[i] = da == 1 ? db : da;
        }
        return r;
    }

    /// <summary>Strides that read tensor <paramref name="t"/> as if expanded to <paramref name="shape"/> (0 on broadcast dims).</summary>
    internal static int[] BroadcastStrides(Tensor t, int[] shape)
    {
        var st = new int[shape.Length];
        int lead = shape.Length - t.Dim;
        for (int d = 0; d < t.Dim; d++)
            st[lead + d] = t._shape[d] == 1 && shape[lead + d] != 1 ? 0 : t._strides[d];
        return st;
    }
}
