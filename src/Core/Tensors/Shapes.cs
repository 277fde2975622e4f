namespace Trace;

/// <summary>Shape arithmetic shared by all ops: numel, strides, dims, broadcasting, formatting.</summary>
public static class Shapes
{
    /// <summary>Formats a shape like PyTorch's error messages: <c>(64, 1000)</c>.</summary>
    public static string Format(IReadOnlyList<int> shape) => "(" + string.Join(", ", shape) + (shape.Count == 1 ? ",)" : ")");

    /// <summary>Product of sizes; throws when negative or beyond 2^31-1 elements.</summary>
    public static int Numel(ReadOnlySpan<int> shape, string op)
    {
        long n = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"{op}: negative dimension {s} in shape {Format(shape.ToArray())}.");
            n *= s;
            if (n > int.MaxValue) throw new ArgumentException($"{op}: shape {Format(shape.ToArray())} has more than {int.MaxValue} elements, the most a Trace tensor can hold.");
        }
        return (int)n;
    }

    /// <summary>Row-major strides for a shape.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var st = new int[shape.Length];
        int s = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            st[d] = s;
            s *= Math.Max(shape[d], 1);
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
