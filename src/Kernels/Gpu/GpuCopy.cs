using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The GPU's copy kernel: a strided, broadcasting copy with a dtype cast (through double from floating sources, through
/// long from integer and bool ones), and host transfers of dense runs through the page-locked staging buffers.
/// </summary>
public static class GpuCopy
{
    internal static void CastDense<TS, TD, ES, ED>(Index1D i, ArrayView<TD> dst, ArrayView<TS> src, int n, int stride)
        where TS : unmanaged where TD : unmanaged where ES : IGpuElement<TS> where ED : IGpuElement<TD>
    {
        for (int j = i; j < n; j = GpuElementwise.Next(j, n, stride)) dst[j] = Convert<TS, TD, ES, ED>(src[j]);
    }

    internal static void CastStrided<TS, TD, ES, ED>(Index1D i, ArrayView<TD> dst, ArrayView<TS> src, GpuLayout l, int n, int stride)
        where TS : unmanaged where TD : unmanaged where ES : IGpuElement<TS> where ED : IGpuElement<TD>
    {
        for (int j = i; j < n; j = GpuElementwise.Next(j, n, stride))
        {
            l.Offsets(j, out int o, out int a);
            dst[o] = Convert<TS, TD, ES, ED>(src[a]);
        }
    }

    internal static void FillDense<T>(Index1D i, ArrayView<T> r, T value, int n, int stride) where T : unmanaged
    {
        for (int j = i; j < n; j = GpuElementwise.Next(j, n, stride)) r[j] = value;
    }

    /// <summary>Sets every element of the dense run <paramref name="r"/> to <paramref name="value"/>.</summary>
    public static void Fill<T>(GpuDevice d, ArrayView<T> r, T value) where T : unmanaged
    {
        if (r.Length == 0) return;
        lock (d.Gate)
        {
            int n = (int)r.Length;
            var k = d.Kernel((Action<Index1D, ArrayView<T>, T, int, int>)FillDense<T>, a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, T, int, int>(FillDense<T>));
            k(d.Stream, d.LaunchThreads(n), r, value, n, d.LaunchThreads(n));
        }
    }

    private static TD Convert<TS, TD, ES, ED>(TS x)
        where TS : unmanaged where TD : unmanaged where ES : IGpuElement<TS> where ED : IGpuElement<TD> =>
        ES.IsFloating ? ED.FromDouble(ES.ToDouble(x)) : ED.FromLong(ES.ToLong(x));

    /// <summary>
    /// dst = (TD)src over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands dst, src); the same
    /// element type on both sides is a plain copy.
    /// </summary>
    public static void Copy<TS, TD, ES, ED>(GpuDevice d, ArrayView<TD> dst, ArrayView<TS> src, GpuLayout l, bool dense, int n)
        where TS : unmanaged where TD : unmanaged where ES : IGpuElement<TS> where ED : IGpuElement<TD>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            if (dense && typeof(TS) == typeof(TD))
            {
                src.SubView(l.O1, n).Cast<TD>().CopyTo(d.Stream, dst.SubView(l.O0, n));
            }
            else if (dense)
            {
                var k = d.Kernel((Action<Index1D, ArrayView<TD>, ArrayView<TS>, int, int>)CastDense<TS, TD, ES, ED>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<TD>, ArrayView<TS>, int, int>(CastDense<TS, TD, ES, ED>));
                k(d.Stream, d.LaunchThreads(n), dst.SubView(l.O0, n), src.SubView(l.O1, n), n, d.LaunchThreads(n));
            }
            else
            {
                var k = d.Kernel((Action<Index1D, ArrayView<TD>, ArrayView<TS>, GpuLayout, int, int>)CastStrided<TS, TD, ES, ED>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<TD>, ArrayView<TS>, GpuLayout, int, int>(CastStrided<TS, TD, ES, ED>));
                k(d.Stream, d.LaunchThreads(n), dst, src, l, n, d.LaunchThreads(n));
            }
        }
    }

    /// <summary>
    /// Copies host elements into the device run <paramref name="dst"/> (same length) through the device's page-locked
    /// staging buffers (<see cref="GpuStaging"/>): returns once the copy is queued; the host span may go away at once.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void FromHost<T>(GpuDevice d, ReadOnlySpan<T> src, ArrayView<T> dst) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        ObjectDisposedException.ThrowIf(d.IsDisposed, d);
        if (src.Length != dst.Length)
            throw new ArgumentException($"GPU copy from host: {src.Length} host elements into a device run of {dst.Length}.");
        if (src.Length == 0) return;
        lock (d.Gate)
        {
            ObjectDisposedException.ThrowIf(d.IsDisposed, d);
            d.Staging.Upload(MemoryMarshal.AsBytes(src), dst.Cast<byte>());
        }
    }

    /// <summary>
    /// Copies the device run <paramref name="src"/> into host memory after the work queued before it, through the
    /// staging buffers, and waits for it (a synchronizing read).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void ToHost<T>(GpuDevice d, ArrayView<T> src, Span<T> dst) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        ObjectDisposedException.ThrowIf(d.IsDisposed, d);
        if (src.Length != dst.Length)
            throw new ArgumentException($"GPU copy to host: a device run of {src.Length} elements into {dst.Length} host elements.");
        if (dst.Length == 0) return;
        lock (d.Gate)
        {
            ObjectDisposedException.ThrowIf(d.IsDisposed, d);
            d.Staging.Download(src.Cast<byte>(), MemoryMarshal.AsBytes(dst));
        }
    }
}
