using System.Numerics;

namespace Trace;

/// <summary>
/// The CPU's sort and scan kernels over host arrays: sequential row cumsums, stable row sorts (the framework's stable
/// merge sort over (value, position) keys, O(len log len) per row) and multinomial sampling from a generator.
/// </summary>
internal sealed class CpuSortScanKernels : ISortScanKernels
{
    public void Cumsum(Tensor rows, Tensor r, int n, int len)
    {
        switch (r.DType)
        {
            case DType.Float32: CumsumT(Elements<float>(rows), Out<float>(r), n, len); break;
            case DType.Float64: CumsumT(Elements<double>(rows), Out<double>(r), n, len); break;
            case DType.Int64: CumsumT(Elements<long>(rows), Out<long>(r), n, len); break;
            default: CumsumT(Elements<int>(rows), Out<int>(r), n, len); break;
        }
    }

    private static void CumsumT<T>(ReadOnlySpan<T> x, Span<T> y, int n, int len) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < n; i++)
        {
            T s = T.Zero;
            for (int j = i * len, end = j + len; j < end; j++) y[j] = s += x[j];
        }
    }

    public void Sort(Tensor rows, Tensor values, Tensor indices, int n, int len, bool descending)
    {
        var ix = Out<long>(indices);
        switch (rows.DType)
        {
            case DType.Float32: SortT(Elements<float>(rows), Out<float>(values), ix, n, len, descending); break;
            case DType.Float64: SortT(Elements<double>(rows), Out<double>(values), ix, n, len, descending); break;
            case DType.Int64: SortT(Elements<long>(rows), Out<long>(values), ix, n, len, descending); break;
            default: SortT(Elements<int>(rows), Out<int>(values), ix, n, len, descending); break;
        }
    }

    private static void SortT<T>(ReadOnlySpan<T> x, Span<T> y, Span<long> ix, int n, int len, bool descending) where T : unmanaged, INumber<T>
    {
        var order = new int[len];
        for (int i = 0; i < n; i++)
        {
            var row = x.Slice(i * len, len).ToArray();
            for (int j = 0; j < len; j++) order[j] = j;
            // A stable sort: ties compare by position. NaN (x != x) is above every number.
            Comparison<int> cmp = (a, b) =>
            {
                T va = row[a], vb = row[b];
                bool an = T.IsNaN(va), bn = T.IsNaN(vb);
                int c = an || bn ? an.CompareTo(bn) : va.CompareTo(vb);
                if (descending) c = -c;
                return c != 0 ? c : a.CompareTo(b);
            };
            Array.Sort(order, cmp);
            for (int j = 0; j < len; j++)
            {
                y[i * len + j] = row[order[j]];
                ix[i * len + j] = order[j];
            }
        }
    }

    public void Multinomial(Tensor rows, Tensor r, int n, int len, int samples, bool replacement, Generator generator, string op)
    {
        var w = Elements<double>(rows);
        var dst = Out<long>(r);
        var cdf = new double[len];
        var keys = new double[len];
        var order = new int[len];
        for (int i = 0; i < n; i++)
        {
            var row = w.Slice(i * len, len);
            double total = 0;
            foreach (double v in row)
            {
                if (!double.IsFinite(v) || v < 0)
                    throw new ArgumentException($"{op}: probability tensor contains either `inf`, `nan` or element < 0 (row {i} of {n}, {len} categories).");
                total += v;
            }
            if (total <= 0)
                throw new ArgumentException($"{op}: invalid multinomial distribution (sum of probabilities <= 0) in row {i} of {n}.");
            var o = dst.Slice(i * samples, samples);
            if (replacement)
            {
                double s = 0;
                for (int j = 0; j < len; j++) cdf[j] = s += row[j];
                for (int k = 0; k < samples; k++)
                {
                    // The first category whose cumulative weight exceeds u: zero-weight categories are never drawn.
                    double u = generator.NextDouble() * total;
                    int lo = 0, hi = len - 1;
                    while (lo < hi)
                    {
                        int mid = (lo + hi) >> 1;
                        if (cdf[mid] > u) hi = mid; else lo = mid + 1;
                    }
                    while (lo > 0 && row[lo] == 0) lo--;   // rounding at the top end: step back to a category with weight
                    o[k] = lo;
                }
                continue;
            }
            // Without replacement, PyTorch's exponential trick: the categories with the largest w / E (E ~ Exp(1)) in order;
            // zero weights come last, in index order.
            for (int j = 0; j < len; j++)
            {
                order[j] = j;
                keys[j] = row[j] / -Math.Log(1 - generator.NextDouble());
            }
            Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[b].CompareTo(keys[a]) : a.CompareTo(b));
            for (int k = 0; k < samples; k++) o[k] = order[k];
        }
    }

    private static ReadOnlySpan<T> Elements<T>(Tensor t) where T : unmanaged => t.Data<T>().AsSpan(t.StorageOffset, t.Numel);

    private static Span<T> Out<T>(Tensor t) where T : unmanaged => t.Data<T>().AsSpan(t.StorageOffset, t.Numel);
}
