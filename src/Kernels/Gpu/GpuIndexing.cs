using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The layout of an indexing launch. The index (and gather's output, index_select's output, the scatter-adds' source)
/// is dense of shape (Outer, IndexDim, Inner) — index_select's index is 1-D of IndexDim. The indexed tensor (gather's
/// and index_select's source, the scatter-adds' destination) is viewed as (Outer, Dim, Inner): element (o, k, i) at
/// <c>Offset + o·OuterStride + k·DimStride + i·InnerStride</c>. (A gather whose index is smaller than its source in
/// several non-indexed dims is launched once per outer slice.)
/// </summary>
public struct GpuIndexArgs
{
    /// <summary>The index's extents.</summary>
    public int Outer, IndexDim, Inner;
    /// <summary>The indexed tensor's size along the indexed dim.</summary>
    public int Dim;
    /// <summary>The indexed tensor's layout.</summary>
    public int Offset, OuterStride, DimStride, InnerStride;

    /// <summary>A dense indexed tensor of shape (outer, dim, inner) and an index of shape (outer, indexDim, inner).</summary>
    public static GpuIndexArgs Dense(int outer, int indexDim, int inner, int dim) => new()
    {
        Outer = outer, IndexDim = indexDim, Inner = inner, Dim = dim, OuterStride = dim * inner, DimStride = inner, InnerStride = 1,
    };

    /// <summary>Elements of the index's shape (gather and index_select threads).</summary>
    public readonly int IndexedElements => Outer * IndexDim * Inner;

    /// <summary>Elements of the indexed tensor's (Outer, Dim, Inner) view (scatter-add threads).</summary>
    public readonly int TargetElements => Outer * Dim * Inner;

    /// <summary>Checks sizes and that the indexed tensor's view lies inside its <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentException">Negative sizes, more than 2³¹ elements, or an extent that exceeds the view.</exception>
    public readonly void Check(string op, long length)
    {
        if (Outer < 0 || IndexDim < 0 || Inner < 0 || Dim < 0 || (long)Outer * Math.Max(IndexDim, Dim) * Inner > int.MaxValue)
            throw new ArgumentException($"{op}: bad sizes (outer={Outer}, index dim={IndexDim}, inner={Inner}, dim size={Dim}).");
        if (Outer == 0 || Inner == 0 || Dim == 0) return;
        long last = Offset + (long)(Outer - 1) * OuterStride + (long)(Dim - 1) * DimStride + (long)(Inner - 1) * InnerStride;
        if (Offset < 0 || OuterStride < 0 || DimStride < 0 || InnerStride < 0 || last >= length)
            throw new ArgumentException($"{op}: the indexed tensor ({Outer}×{Dim}×{Inner}, strides {OuterStride}, {DimStride}, {InnerStride}, offset {Offset}) exceeds its {length} elements.");
    }
}

/// <summary>
/// Gather, index_select and their backwards (scatter-add, index_add) as implicitly grouped kernels, one thread per
/// output element. Indices are checked on the host before launch (<see cref="CheckIndices"/>: the index is copied to
/// the host for now), so a bad index is an <see cref="ArgumentOutOfRangeException"/> naming the op, never a device fault.
/// The scatter-adds are deterministic without atomics: one thread per destination element adds its contributions in
/// index order, starting from the destination's value — the same order as a sequential loop, so the bits match it.
/// Cost: scatter-add (gather's backward) scans the whole index column for each destination element,
/// O(Outer·Dim·IndexDim·Inner) work; index_add (index_select's and embedding's backward) reads a host-built inverse
/// index (<see cref="BuildInverse"/>: for each slot k, the positions j with index[j] = k in order), O(Outer·(Dim + IndexDim)·Inner).
/// </summary>
public static class GpuIndexing
{
    internal static void GatherKernel<T>(Index1D e, ArrayView<T> src, ArrayView<long> index, ArrayView<T> r, GpuIndexArgs p) where T : unmanaged
    {
        int plane = p.IndexDim * p.Inner, o = e / plane, i = e % p.Inner;
        int k = (int)index[e];
        r[e] = src[p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride];
    }

    internal static void IndexSelectKernel<T>(Index1D e, ArrayView<T> src, ArrayView<long> index, ArrayView<T> r, GpuIndexArgs p) where T : unmanaged
    {
        int plane = p.IndexDim * p.Inner, o = e / plane, rest = e - o * plane, j = rest / p.Inner, i = rest - j * p.Inner;
        int k = (int)index[j];
        r[e] = src[p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride];
    }

    internal static void ScatterAddKernel<T, N>(Index1D e, ArrayView<T> r, ArrayView<long> index, ArrayView<T> src, GpuIndexArgs p)
        where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int plane = p.Dim * p.Inner, o = e / plane, rest = e - o * plane, k = rest / p.Inner, i = rest - k * p.Inner;
        int at = p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride;
        int column = o * p.IndexDim * p.Inner + i;
        T s = r[at];
        for (int j = 0; j < p.IndexDim; j++)
        {
            int q = column + j * p.Inner;
            if (index[q] == k) s = N.Add(s, src[q]);
        }
        r[at] = s;
    }

    internal static void IndexAddKernel<T, N>(Index1D e, ArrayView<T> r, ArrayView<int> starts, ArrayView<int> order, ArrayView<T> src, GpuIndexArgs p)
        where T : unmanaged where N : struct, IGpuNumber<T>
    {
        int plane = p.Dim * p.Inner, o = e / plane, rest = e - o * plane, k = rest / p.Inner, i = rest - k * p.Inner;
        int begin = starts[k], end = starts[k + 1];
        if (begin == end) return;
        int at = p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride;
        int column = o * p.IndexDim * p.Inner + i;
        T s = r[at];
        for (int t = begin; t < end; t++) s = N.Add(s, src[column + order[t] * p.Inner]);
        r[at] = s;
    }

    /// <summary>Loads gather (any element type): r[o, j, i] = src[o, index[o, j, i], i]; launch <see cref="GpuIndexArgs.IndexedElements"/> threads.</summary>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs> LoadGather<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>(GatherKernel<T>);
    }

    /// <summary>Loads index_select (any element type): r[o, j, i] = src[o, index[j], i]; launch <see cref="GpuIndexArgs.IndexedElements"/> threads.</summary>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs> LoadIndexSelect<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>(IndexSelectKernel<T>);
    }

    /// <summary>
    /// Loads scatter-add, gather's backward (float32, float64, int64, int32): launcher arguments r, index, src;
    /// r[o, index[o, j, i], i] += src[o, j, i] in order of j. Launch <see cref="GpuIndexArgs.TargetElements"/> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs> LoadScatterAdd<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>)(object)Scatter<float, F32>(accelerator);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>)(object)Scatter<double, F64>(accelerator);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>)(object)Scatter<long, I64>(accelerator);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>)(object)Scatter<int, I32>(accelerator);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU scatter_add"));
    }

    private static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs> Scatter<T, N>(Accelerator a)
        where T : unmanaged where N : struct, IGpuNumber<T> =>
        a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>(ScatterAddKernel<T, N>);

    /// <summary>
    /// Loads index_add, index_select's backward (float32, float64, int64, int32): launcher arguments r, starts, order
    /// (from <see cref="BuildInverse"/>), src; r[o, index[j], i] += src[o, j, i] in order of j. Launch
    /// <see cref="GpuIndexArgs.TargetElements"/> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs> LoadIndexAdd<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs>)(object)Add<float, F32>(accelerator);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs>)(object)Add<double, F64>(accelerator);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs>)(object)Add<long, I64>(accelerator);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs>)(object)Add<int, I32>(accelerator);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU index_add"));
    }

    private static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs> Add<T, N>(Accelerator a)
        where T : unmanaged where N : struct, IGpuNumber<T> =>
        a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, GpuIndexArgs>(IndexAddKernel<T, N>);

    /// <summary>Queues gather of checked indices (see <see cref="LoadGather{T}"/>): <paramref name="r"/> and <paramref name="index"/> hold the index's elements.</summary>
    public static void Gather<T>(GpuDevice d, ArrayView<T> src, ArrayView<long> index, ArrayView<T> r, in GpuIndexArgs p, string op) where T : unmanaged =>
        Pick(d, src, index, r, p, op, "gather", LoadGather<T>);

    /// <summary>Queues index_select of checked indices (see <see cref="LoadIndexSelect{T}"/>): <paramref name="index"/> holds IndexDim elements.</summary>
    public static void IndexSelect<T>(GpuDevice d, ArrayView<T> src, ArrayView<long> index, ArrayView<T> r, in GpuIndexArgs p, string op) where T : unmanaged =>
        Pick(d, src, index, r, p, op, "index_select", LoadIndexSelect<T>);

    private static void Pick<T>(GpuDevice d, ArrayView<T> src, ArrayView<long> index, ArrayView<T> r, in GpuIndexArgs p, string op, string variant,
        Func<Accelerator, Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>> load) where T : unmanaged
    {
        p.Check(op, src.Length);
        long picked = variant == "gather" ? p.IndexedElements : p.IndexDim;
        if (index.Length < picked || r.Length < p.IndexedElements)
            throw new ArgumentException($"{op}: the index ({index.Length}) or output ({r.Length}) holds fewer elements than the launch ({picked}, {p.IndexedElements}).");
        if (p.IndexedElements == 0) return;
        lock (d.Gate) d.Kernel(("indexing", variant, typeof(T)), load)(d.Stream, p.IndexedElements, src, index, r, p);
    }

    /// <summary>Queues scatter-add of checked indices into <paramref name="r"/> (see <see cref="LoadScatterAdd{T}"/>).</summary>
    public static void ScatterAdd<T>(GpuDevice d, ArrayView<T> r, ArrayView<long> index, ArrayView<T> src, in GpuIndexArgs p, string op) where T : unmanaged
    {
        p.Check(op, r.Length);
        if (index.Length < p.IndexedElements || src.Length < p.IndexedElements)
            throw new ArgumentException($"{op}: the index ({index.Length}) or source ({src.Length}) holds fewer than the index's {p.IndexedElements} elements.");
        if (p.TargetElements == 0 || p.IndexDim == 0) return;
        lock (d.Gate) d.Kernel(("indexing", "scatter_add", typeof(T)), LoadScatterAdd<T>)(d.Stream, p.TargetElements, r, index, src, p);
    }

    /// <summary>
    /// Queues index_add into <paramref name="r"/> of the 1-D host <paramref name="index"/> (checked here; its inverse is built
    /// and uploaded, see <see cref="BuildInverse"/>); <paramref name="dim"/> is the dim named in a bad index's error.
    /// </summary>
    public static void IndexAdd<T>(GpuDevice d, ArrayView<T> r, ReadOnlySpan<long> index, ArrayView<T> src, in GpuIndexArgs p, int dim, string op) where T : unmanaged
    {
        p.Check(op, r.Length);
        if (index.Length != p.IndexDim || src.Length < p.IndexedElements)
            throw new ArgumentException($"{op}: the index has {index.Length} elements for a dim of {p.IndexDim}, or the source ({src.Length}) is short of {p.IndexedElements}.");
        var (starts, order) = BuildInverse(index, p.Dim, dim, op);
        if (p.TargetElements == 0 || p.IndexDim == 0) return;
        using var s = new GpuScratch<int>(d, starts.Length);
        using var o = new GpuScratch<int>(d, order.Length);
        GpuCopy.FromHost<int>(d, starts, s.View.SubView(0, starts.Length));
        GpuCopy.FromHost<int>(d, order, o.View.SubView(0, order.Length));
        lock (d.Gate) d.Kernel(("indexing", "index_add", typeof(T)), LoadIndexAdd<T>)(d.Stream, p.TargetElements, r, s.View, o.View, src, p);
    }

    /// <summary>Checks every index against the indexed dim's size (0 ≤ v &lt; size), as the CPU kernels do.</summary>
    /// <exception cref="ArgumentOutOfRangeException">"{op}: index v is out of bounds for dimension d with size s."</exception>
    public static void CheckIndices(ReadOnlySpan<long> index, int size, int dim, string op)
    {
        foreach (long v in index)
            if ((ulong)v >= (ulong)size)
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {v} is out of bounds for dimension {dim} with size {size}.");
    }

    /// <summary>
    /// The inverse of a 1-D index into a dim of <paramref name="size"/> slots, for index_add: positions j with
    /// index[j] = k are <c>order[starts[k] .. starts[k+1])</c>, ascending (a stable counting sort). Checks every index.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index outside [0, size).</exception>
    public static (int[] Starts, int[] Order) BuildInverse(ReadOnlySpan<long> index, int size, int dim, string op)
    {
        CheckIndices(index, size, dim, op);
        var starts = new int[size + 1];
        foreach (long v in index) starts[v + 1]++;
        for (int k = 0; k < size; k++) starts[k + 1] += starts[k];
        var next = starts[..size];
        var order = new int[Math.Max(index.Length, 1)];   // at least one element, so no device buffer is empty
        for (int j = 0; j < index.Length; j++) order[next[index[j]]++] = j;
        return (starts, order);
    }
}
