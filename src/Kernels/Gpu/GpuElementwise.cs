using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The GPU's elementwise kernels: one generic kernel per family (unary, binary, compare, where) over a struct op type,
/// each with a contiguous path (every operand one dense run: <c>r[i] = op(x[i])</c>) and a strided/broadcast path
/// (offsets from a <see cref="GpuLayout"/>). Launch helpers queue on the device's stream and return at once.
/// </summary>
public static class GpuElementwise
{
    internal static void UnaryDense<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x)
        where T : unmanaged where TOp : IGpuUnaryOp<T> => r[i] = TOp.Apply(x[i]);

    internal static void UnaryStrided<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, GpuLayout l)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        l.Offsets(i, out int o, out int a);
        r[o] = TOp.Apply(x[a]);
    }

    internal static void BinaryDense<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y)
        where T : unmanaged where TOp : IGpuBinaryOp<T> => r[i] = TOp.Apply(x[i], y[i]);

    internal static void BinaryStrided<T, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l)
        where T : unmanaged where TOp : IGpuBinaryOp<T>
    {
        l.Offsets(i, out int o, out int a, out int b);
        r[o] = TOp.Apply(x[a], y[b]);
    }

    internal static void CompareStrided<T, TOp>(Index1D i, ArrayView<byte> r, ArrayView<T> x, ArrayView<T> y, GpuLayout l)
        where T : unmanaged where TOp : IGpuCompareOp<T>
    {
        l.Offsets(i, out int o, out int a, out int b);
        r[o] = TOp.Apply(x[a], y[b]) ? (byte)1 : (byte)0;
    }

    internal static void WhereStrided<T>(Index1D i, ArrayView<T> r, ArrayView<byte> c, ArrayView<T> x, ArrayView<T> y, GpuLayout l)
        where T : unmanaged
    {
        l.Offsets(i, out int o, out int k, out int a, out int b);
        r[o] = c[k] != 0 ? x[a] : y[b];
    }

    /// <summary>r = TOp(x) over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, x).</summary>
    public static void Unary<T, TOp>(GpuDevice d, ArrayView<T> r, ArrayView<T> x, GpuLayout l, bool dense, int n)
        where T : unmanaged where TOp : IGpuUnaryOp<T>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            if (dense)
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>>)UnaryDense<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>>(UnaryDense<T, TOp>));
                k(d.Stream, n, r.SubView(l.O0, n), x.SubView(l.O1, n));
            }
            else
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout>)UnaryStrided<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout>(UnaryStrided<T, TOp>));
                k(d.Stream, n, r, x, l);
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
            if (dense)
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>>)BinaryDense<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>>(BinaryDense<T, TOp>));
                k(d.Stream, n, r.SubView(l.O0, n), x.SubView(l.O1, n), y.SubView(l.O2, n));
            }
            else
            {
                var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuLayout>)BinaryStrided<T, TOp>,
                    a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuLayout>(BinaryStrided<T, TOp>));
                k(d.Stream, n, r, x, y, l);
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
            var k = d.Kernel((Action<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout>)CompareStrided<T, TOp>,
                a => a.LoadAutoGroupedKernel<Index1D, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout>(CompareStrided<T, TOp>));
            k(d.Stream, n, r, x, y, l);
        }
    }

    /// <summary>r = c ? x : y over <paramref name="n"/> elements laid out by <paramref name="l"/> (operands r, c, x, y).</summary>
    public static void Where<T>(GpuDevice d, ArrayView<T> r, ArrayView<byte> c, ArrayView<T> x, ArrayView<T> y, GpuLayout l, int n)
        where T : unmanaged
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout>)WhereStrided<T>,
                a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<byte>, ArrayView<T>, ArrayView<T>, GpuLayout>(WhereStrided<T>));
            k(d.Stream, n, r, c, x, y, l);
        }
    }
}
