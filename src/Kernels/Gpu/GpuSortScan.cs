using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The layout of a sort or scan launch: <see cref="Rows"/> dense rows of <see cref="Len"/> elements, the input from
/// <see cref="XOffset"/>, the output (and a sort's int64 indices) from <see cref="YOffset"/> (in elements).
/// </summary>
public struct GpuSortArgs
{
    /// <summary>Rows (one thread each).</summary>
    public int Rows;
    /// <summary>Elements per row.</summary>
    public int Len;
    /// <summary>Where the input's and the output's first rows start.</summary>
    public int XOffset, YOffset;
    /// <summary>Sort: 1 for descending order.</summary>
    public int Descending;

    /// <summary>Checks sizes and that every row lies inside its view.</summary>
    /// <exception cref="ArgumentException">Negative sizes, or rows that exceed a view.</exception>
    public readonly void Check(string op, long xLength, long yLength)
    {
        if (Rows < 0 || Len < 0 || (long)Rows * Len > int.MaxValue)
            throw new ArgumentException($"{op}: bad sizes (rows={Rows}, len={Len}).");
        long n = (long)Rows * Len;
        if (XOffset < 0 || YOffset < 0 || XOffset + n > xLength || YOffset + n > yLength)
            throw new ArgumentException($"{op}: {Rows} rows of {Len} from offsets {XOffset}, {YOffset} exceed the views ({xLength}, {yLength} elements).");
    }
}

/// <summary>
/// Cumulative sums and stable sorts along dense rows, one thread per row — correct first, simple to read: a cumsum is
/// len sequential adds per thread (the CPU's order, so the bits match it); a sort is an insertion sort in place on the
/// output, O(len²) compares per row in the worst case (fine for the rows of top-k, argsort of scores and sampling —
/// hundreds to a few thousand elements; a long single row runs on one thread). NaN sorts as larger than every number
/// (last ascending, first descending), as PyTorch; ties keep their input order.
/// </summary>
public static class GpuSortScan
{
    internal static void CumsumKernel<T, N>(Index1D row, ArrayView<T> x, ArrayView<T> y, GpuSortArgs p) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int xb = p.XOffset + row * p.Len, yb = p.YOffset + row * p.Len;
        T s = N.Zero();
        for (int j = 0; j < p.Len; j++)
        {
            s = N.Add(s, x[xb + j]);
            y[yb + j] = s;
        }
    }

    /// <summary>True when a sorts strictly before b (NaN above every number).</summary>
    private static bool Before<T, N>(T a, T b, bool descending) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        bool an = N.IsNaN(a), bn = N.IsNaN(b);
        if (descending) return an ? !bn : !bn && N.Gt(a, b);
        return bn ? !an : !an && N.Lt(a, b);
    }

    internal static void SortKernel<T, N>(Index1D row, ArrayView<T> x, ArrayView<T> y, ArrayView<long> indices, GpuSortArgs p)
        where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int xb = p.XOffset + row * p.Len, yb = p.YOffset + row * p.Len;
        bool descending = p.Descending != 0;
        for (int j = 0; j < p.Len; j++)
        {
            T key = x[xb + j];
            int k = j;
            while (k > 0 && Before<T, N>(key, y[yb + k - 1], descending))
            {
                y[yb + k] = y[yb + k - 1];
                indices[yb + k] = indices[yb + k - 1];
                k--;
            }
            y[yb + k] = key;
            indices[yb + k] = j;
        }
    }

    /// <summary>Loads the row cumsum (float32, float64, int64, int32): y[r, j] = Σ_{i ≤ j} x[r, i]; launch <see cref="GpuSortArgs.Rows"/> threads.</summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs> LoadCumsum<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs>)(object)Cumsum<float, F32>(accelerator);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs>)(object)Cumsum<double, F64>(accelerator);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs>)(object)Cumsum<long, I64>(accelerator);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs>)(object)Cumsum<int, I32>(accelerator);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU cumsum"));
    }

    private static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs> Cumsum<T, N>(Accelerator a) where T : unmanaged where N : struct, IGpuNumber<T> =>
        a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GpuSortArgs>(CumsumKernel<T, N>);

    /// <summary>
    /// Loads the stable row sort (float32, float64, int64, int32): launcher arguments x, y (sorted values), indices (int64,
    /// the positions in the row, laid out as y); launch <see cref="GpuSortArgs.Rows"/> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs> LoadSort<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs>)(object)Sort<float, F32>(accelerator);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs>)(object)Sort<double, F64>(accelerator);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs>)(object)Sort<long, I64>(accelerator);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs>)(object)Sort<int, I32>(accelerator);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU sort"));
    }

    private static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs> Sort<T, N>(Accelerator a) where T : unmanaged where N : struct, IGpuNumber<T> =>
        a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuSortArgs>(SortKernel<T, N>);

    /// <summary>Queues the cumsum of each row of <paramref name="x"/> into <paramref name="y"/>, after checking the layout.</summary>
    public static void Cumsum<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, in GpuSortArgs p) where T : unmanaged
    {
        p.Check("GPU cumsum", x.Length, y.Length);
        if (p.Rows == 0 || p.Len == 0) return;
        lock (d.Gate) d.Kernel(("scan", "cumsum", typeof(T)), LoadCumsum<T>)(d.Stream, p.Rows, x, y, p);
    }

    /// <summary>Queues the stable sort of each row of <paramref name="x"/> into <paramref name="y"/> and <paramref name="indices"/>, after checking the layout.</summary>
    public static void Sort<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, ArrayView<long> indices, in GpuSortArgs p) where T : unmanaged
    {
        p.Check("GPU sort", x.Length, y.Length);
        p.Check("GPU sort", x.Length, indices.Length);
        if (p.Rows == 0 || p.Len == 0) return;
        lock (d.Gate) d.Kernel(("scan", "sort", typeof(T)), LoadSort<T>)(d.Stream, p.Rows, x, y, indices, p);
    }
}
