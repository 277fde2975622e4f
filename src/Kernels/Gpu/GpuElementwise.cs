using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>Four consecutive elements, loaded and stored as one vector (16 bytes of float32: <c>ld.global.v4.f32</c>).</summary>
public struct Quad<T> where T : unmanaged
{
    /// <summary>The elements.</summary>
    public T A, B, C, D;
}

/// <summary>
/// The GPU's elementwise kernels: one generic kernel per family (unary, binary, compare, where) over a struct op type,
/// each with a contiguous path (every operand one dense run: <c>r[i] = op(x[i])</c>), vectorized when every run starts
/// at a multiple of four elements (<see cref="Quad{T}"/> loads and stores, the last 0–3 elements one per thread), and a
/// strided/broadcast path (offsets from a <see cref="GpuLayout"/>). Launch helpers queue on the device's stream and
/// return at once.
/// </summary>
public static class GpuElementwise
{
    // Grid-stride loops: a launch of d.LaunchThreads(n) threads covers n elements (thread i takes i, i + stride, ...), so
    // a launch costs the same whatever n is, and the index never overflows int near int.MaxValue.

    internal static void UnaryDense<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, int n, int stride)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        for (int j = i; j < n; j = Next(j, n, stride)) r[j] = TOp.Apply(x[j]);
    }

    internal static void UnaryQuads<T, TOp>(Index1D i, ArrayView<Quad<T>> r4, ArrayView<Quad<T>> x4, ArrayView<T> r, ArrayView<T> x, int quads, int n, int stride)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        for (int j = i; j < quads; j = Next(j, quads, stride))
        {
            var v = x4[j];
            r4[j] = new Quad<T> { A = TOp.Apply(v.A), B = TOp.Apply(v.B), C = TOp.Apply(v.C), D = TOp.Apply(v.D) };
        }
        int t = quads * 4 + i;
        if (t < n) r[t] = TOp.Apply(x[t]);
    }

    internal static void UnaryStrided<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, GpuLayout l, int n, int stride)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        for (int j = i; j < n; j = Next(j, n, stride))
        {
            l.Offsets(j, out int o, out int a);
            r[o] = TOp.Apply(x[a]);
        }
    }

    internal static void BinaryDense<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y, int n, int stride)
        where T : unmanaged where TOp : IGpuBinaryOp<T>
    {
        for (int j = i; j < n; j = Next(j, n, stride)) r[j] = TOp.Apply(x[j], y[j]);
    }

    internal static void BinaryQuads<T, TOp>(Index1D i, ArrayView<Quad<T>> r4, ArrayView<Quad<T>> x4, ArrayView<Quad<T>> y4, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y,
        int quads, int n, int stride)
        where T : unmanaged where TOp : IGpuBinaryOp<T>
    {
        for (int j = i; j < quads; j = Next(j, quads, stride))
        {
            var (u, v) = (x4[j], y4[j]);
            r4[j] = new Quad<T> { A = TOp.Apply(u.A, v.A), B = TOp.Apply(u.B, v.B), C = TOp.Apply(u.C, v.C), D = TOp.Apply(u.D, v.D) };
        }
        int t = quads * 4 + i;
        if (t < n) r[t] = TOp.Apply(x[t], y[t]);
    }

    internal static void BinaryStrided<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n, int stride)
        where T : unmanaged where TOp : IGpuBinaryOp<T>
    {
        for (int j = i; j < n; j = Next(j, n, stride))
        {
            l.Offsets(j, out int o, out int a, out int b);
            r[o] = TOp.Apply(x[a], y[b]);
        }
    }

    internal static void CompareStrided<T, TOp>(Index1D i, ArrayView<byte> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n, int stride)
        where T : unmanaged where TOp : IGpuCompareOp<T>
    {
        for (int j = i; j < n; j = Next(j, n, stride))
        {
            l.Offsets(j, out int o, out int a, out int b);
            r[o] = TOp.Apply(x[a], y[b]) ? (byte)1 : (byte)0;
        }
    }

    internal static void WhereStrided<T>(Index1D i, ArrayView<T> r, ArrayView<byte> c, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n, int stride)
        where T : unmanaged
    {
        for (int j = i; j < n; j = Next(j, n, stride))
        {
            l.Offsets(j, out int o, out int k, out int a, out int b);
            r[o] = c[k] != 0 ? x[a] : y[b];
        }
    }

    /// <summary>The next index of a grid-stride loop: <paramref name="n"/> (done) when another stride would pass it.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static int Next(int j, int n, int stride) => j >= n - stride ? n : j + stride;

    /// <summary>
    /// Whether dense runs at these element offsets take the vector path: at least 16 elements of 4 or 8 bytes, every run
    /// starting at a multiple of four elements (device buffers start 256-byte aligned, so the quads are aligned).
    /// </summary>
    internal static bool UseQuads<T>(int n, int o0, int o1, int o2 = 0) where T : unmanaged =>
        n >= 16 && System.Runtime.CompilerServices.Unsafe.SizeOf<T>() is 4 or 8 && ((o0 | o1 | o2) & 3) == 0;

    private static ArrayView<Quad<T>> Quads<T>(ArrayView<T> run, int quads) where T : unmanaged => run.SubView(0, quads * 4L).Cast<Quad<T>>();

    /// <summary>r = TOp(x) over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, x).</summary>
    public static void Unary<T, TOp>(GpuDevice d, ArrayView<T> r, ArrayView<T> x, GpuLayout l, bool dense, int n)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            if (dense && UseQuads<T>(n, l.O0, l.O1))
            {
                var k = d.Kernel((Action<Index1D, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<T>, ArrayView<T>, int, int, int>)UnaryQuads<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<T>, ArrayView<T>, int, int, int>(UnaryQuads<T, TOp>));
                var (rr, xr, quads) = (r.SubView(l.O0, n), x.SubView(l.O1, n), n / 4);
                int threads = d.LaunchThreads(quads);
                k(d.Stream, threads, Quads(rr, quads), Quads(xr, quads), rr, xr, quads, n, threads);
            }
            else if (dense)
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, int, int>)UnaryDense<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int>(UnaryDense<T, TOp>));
                k(d.Stream, d.LaunchThreads(n), r.SubView(l.O0, n), x.SubView(l.O1, n), n, d.LaunchThreads(n));
            }
            else
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>)UnaryStrided<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>(UnaryStrided<T, TOp>));
                k(d.Stream, d.LaunchThreads(n), r, x, l, n, d.LaunchThreads(n));
            }
        }
    }

    /// <summary>r = TOp(x, y) over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, x, y).</summary>
    public static void Binary<T, TOp>(GpuDevice d, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l, bool dense, int n)
        where T : unmanaged where TOp : IGpuBinaryOp<T>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            if (dense && UseQuads<T>(n, l.O0, l.O1, l.O2))
            {
                var k = d.Kernel((Action<Index1D, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>)BinaryQuads<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<Quad<T>>, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int>(BinaryQuads<T, TOp>));
                var (rr, xr, yr, quads) = (r.SubView(l.O0, n), x.SubView(l.O1, n), y.SubView(l.O2, n), n / 4);
                int threads = d.LaunchThreads(quads);
                k(d.Stream, threads, Quads(rr, quads), Quads(xr, quads), Quads(yr, quads), rr, xr, yr, quads, n, threads);
            }
            else if (dense)
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int>)BinaryDense<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int>(BinaryDense<T, TOp>));
                k(d.Stream, d.LaunchThreads(n), r.SubView(l.O0, n), x.SubView(l.O1, n), y.SubView(l.O2, n), n, d.LaunchThreads(n));
            }
            else
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>)BinaryStrided<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>(BinaryStrided<T, TOp>));
                k(d.Stream, d.LaunchThreads(n), r, x, y, l, n, d.LaunchThreads(n));
            }
        }
    }

    /// <summary>r (bytes 0/1) = TOp(x, y) over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, x, y).</summary>
    public static void Compare<T, TOp>(GpuDevice d, ArrayView<byte> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n)
        where T : unmanaged where TOp : IGpuCompareOp<T>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            var k = d.Kernel((Action<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>)CompareStrided<T, TOp>,
                a => a.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>(CompareStrided<T, TOp>));
            k(d.Stream, d.LaunchThreads(n), r, x, y, l, n, d.LaunchThreads(n));
        }
    }

    /// <summary>r = c ? x : y over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, c, x, y).</summary>
    public static void Where<T>(GpuDevice d, ArrayView<T> r, ArrayView<byte> c, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n)
        where T : unmanaged
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>)WhereStrided<T>,
                a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout, int, int>(WhereStrided<T>));
            k(d.Stream, d.LaunchThreads(n), r, c, x, y, l, n, d.LaunchThreads(n));
        }
    }
}
