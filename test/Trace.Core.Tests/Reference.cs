using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Trace.Core.Tests;

/// <summary>
/// Independent float64 references: reads tensors element by element through their own shape/strides
/// (not through Trace's kernels) and compares with tolerances.
/// </summary>
internal static class Reference
{
    /// <summary>Element at a multi-index, read straight from storage.</summary>
    public static double Get(Tensor t, ReadOnlySpan<int> idx)
    {
        int off = t.StorageOffset;
        for (int d = 0; d < idx.Length; d++) off += idx[d] * t.Strides[d];
        return t.Storage switch
        {
            CpuStorage<float> s => s.Data[off],
            CpuStorage<double> s => s.Data[off],
            CpuStorage<long> s => s.Data[off],
            CpuStorage<int> s => s.Data[off],
            CpuStorage<bool> s => s.Data[off] ? 1 : 0,
            _ => throw new InvalidOperationException("unknown storage"),
        };
    }

    /// <summary>All elements in row-major order as doubles, read through shape/strides.</summary>
    public static double[] Values(Tensor t)
    {
        var shape = t.Shape.ToArray();
        var r = new double[t.Numel];
        var idx = new int[shape.Length];
        for (int i = 0; i < r.Length; i++)
        {
            r[i] = Get(t, idx);
            for (int d = shape.Length - 1; d >= 0 && ++idx[d] == shape[d]; d--) idx[d] = 0;
        }
        return r;
    }

    /// <summary>Row-major multi-index of flat position i in shape.</summary>
    public static int[] Unravel(int i, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            idx[d] = shape[d] == 0 ? 0 : i % shape[d];
            i = shape[d] == 0 ? 0 : i / shape[d];
        }
        return idx;
    }

    /// <summary>NumPy broadcast shape, computed independently of Trace.</summary>
    public static int[] BroadcastShape(params int[][] shapes)
    {
        int n = shapes.Max(s => s.Length);
        var r = Enumerable.Repeat(1, n).ToArray();
        foreach (var s in shapes)
            for (int i = 0; i < s.Length; i++)
            {
                int d = n - s.Length + i;
                if (s[i] != 1) r[d] = s[i];
            }
        return r;
    }

    /// <summary>Reads t at the broadcast multi-index idx (of a possibly higher-rank shape).</summary>
    public static double GetBroadcast(Tensor t, int[] idx)
    {
        var own = new int[t.Dim];
        for (int d = 0; d < t.Dim; d++)
        {
            int bd = idx.Length - t.Dim + d;
            own[d] = t.Shape[d] == 1 ? 0 : idx[bd];
        }
        return Get(t, own);
    }

    /// <summary>Reference for a broadcasting elementwise op of any arity.</summary>
    public static double[] Elementwise(Func<double[], double> f, params Tensor[] inputs)
    {
        var shape = BroadcastShape(inputs.Select(t => t.Shape.ToArray()).ToArray());
        int n = shape.Aggregate(1, (a, b) => a * b);
        var r = new double[n];
        var args = new double[inputs.Length];
        for (int i = 0; i < n; i++)
        {
            var idx = Unravel(i, shape);
            for (int k = 0; k < inputs.Length; k++) args[k] = GetBroadcast(inputs[k], idx);
            r[i] = f(args);
        }
        return r;
    }

    /// <summary>Asserts shape equality and elementwise closeness (|a-e| &lt;= atol + rtol|e|; NaN matches NaN; infinities must match).</summary>
    public static void AssertClose(double[] expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6, string? what = null)
    {
        var got = Values(actual);
        Assert.AreEqual(expected.Length, got.Length, $"{what}: element count");
        for (int i = 0; i < got.Length; i++)
        {
            double e = expected[i], a = got[i];
            if (!Closeness.IsClose(a, e, rtol, atol))
                Assert.Fail($"{what}: element {i} (index [{string.Join(", ", Unravel(i, actual.Shape.ToArray()))}]) expected {e:R} but got {a:R} (shape {Shapes.Format(actual.Shape)})");
        }
    }

    /// <summary>Asserts the tensor's shape.</summary>
    public static void AssertShape(Tensor t, params int[] shape) =>
        CollectionAssert.AreEqual(shape, t.Shape.ToArray(), $"shape {Shapes.Format(t.Shape)} != {Shapes.Format(shape)}");

    /// <summary>Random float64 tensor with values in [lo, hi), from a seeded System.Random (independent of Trace's generator).</summary>
    public static Tensor Random(Random rng, int[] shape, DType dtype = DType.Float64, double lo = -2, double hi = 2)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        var t = Tensor.From(v, shape);
        return dtype switch
        {
            DType.Float64 => t,
            DType.Float32 => t.To(DType.Float32),
            _ => Tensor.From(v.Select(x => (long)Math.Floor(x)).ToArray(), shape).To(dtype),
        };
    }

    /// <summary>
    /// A non-contiguous tensor with the given logical shape and values from <paramref name="source"/>:
    /// built from a transposed or interleaved copy, so its strides are not row-major.
    /// </summary>
    public static Tensor NonContiguous(Tensor source)
    {
        Tensor t;
        if (source.Shape.Count(s => s > 1) >= 2)
        {
            var rev = Enumerable.Range(0, source.Dim).Reverse().ToArray();
            t = source.Permute(rev).Contiguous().Permute(rev);
        }
        else
        {
            // Interleave with a copy and take every other element: stride 2 in the last dim.
            t = Tensor.Stack([source, source], source.Dim).Select(source.Dim, 0);
        }
        Assert.IsTrue(!t.IsContiguous || source.Numel <= 1, "expected a non-contiguous tensor");
        return t;
    }
}
