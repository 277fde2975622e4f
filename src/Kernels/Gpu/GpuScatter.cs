using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// Scatter (assignment), <c>torch.scatter</c>'s kernel, in <see cref="GpuIndexing"/>'s layout: one thread per destination
/// element scans its index column and keeps the last source value aimed at it (row-major order, as the CPU's loop, so
/// repeated indices give the same result on both devices); destinations no index names keep their value. Cost as
/// scatter-add: O(Outer·Dim·IndexDim·Inner). Indices are checked on the host before launch.
/// </summary>
public static class GpuScatter
{
    internal static void ScatterKernel<T>(Index1D e, ArrayView<T> r, ArrayView<long> index, ArrayView<T> src, GpuIndexArgs p) where T : unmanaged
    {
        int plane = p.Dim * p.Inner, o = e / plane, rest = e - o * plane, k = rest / p.Inner, i = rest - k * p.Inner;
        int at = p.Offset + o * p.OuterStride + k * p.DimStride + i * p.InnerStride;
        int column = o * p.IndexDim * p.Inner + i;
        T s = r[at];
        for (int j = 0; j < p.IndexDim; j++)
        {
            int q = column + j * p.Inner;
            if (index[q] == k) s = src[q];
        }
        r[at] = s;
    }

    /// <summary>Loads scatter (any element type): r[o, index[o, j, i], i] = src[o, j, i], the last j winning; launch <see cref="GpuIndexArgs.TargetElements"/> threads.</summary>
    public static Action<AcceleratorStream, Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs> LoadScatter<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<long>, ArrayView<T>, GpuIndexArgs>(ScatterKernel<T>);
    }

    /// <summary>Queues scatter of checked indices into <paramref name="r"/> (see <see cref="LoadScatter{T}"/>).</summary>
    public static void Scatter<T>(GpuDevice d, ArrayView<T> r, ArrayView<long> index, ArrayView<T> src, in GpuIndexArgs p, string op) where T : unmanaged
    {
        p.Check(op, r.Length);
        if (index.Length < p.IndexedElements || src.Length < p.IndexedElements)
            throw new ArgumentException($"{op}: the index ({index.Length}) or source ({src.Length}) holds fewer than the index's {p.IndexedElements} elements.");
        if (p.TargetElements == 0 || p.IndexDim == 0) return;
        lock (d.Gate) d.Kernel(("indexing", "scatter", typeof(T)), LoadScatter<T>)(d.Stream, p.TargetElements, r, index, src, p);
    }
}
