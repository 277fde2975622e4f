using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// Queues the reductions of <see cref="GpuGroupReduce"/> on a device: over a dim (the group-per-output kernel, or the
/// column kernel when the inner extent is wide enough for coalesced reads), full reductions in two deterministic passes
/// through a pooled partials buffer, and max/min with indices. Every launch's layout is checked first, so a wrong
/// stride is an <see cref="ArgumentException"/> naming the op, never an out-of-bounds access on the device.
/// </summary>
public static class GpuReduce
{
    /// <summary>
    /// Queues y[o, i] = the <paramref name="kind"/> reduction of x over the middle dim of the (Outer, Reduce, Inner) view
    /// of <paramref name="p"/> (float32, float64, int64, int32).
    /// </summary>
    /// <exception cref="ArgumentException">A bad layout, or an empty reduced dim for max/min (no identity).</exception>
    public static void Dim<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, in GpuReduceArgs p, GpuReduceKind kind, string op) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        p.Check(op, x.Length, y.Length, nonEmpty: kind is GpuReduceKind.Max or GpuReduceKind.Min);
        if (p.Outputs == 0) return;
        var k = kind;
        if (GpuGroupReduce.UseColumns(p))
            lock (d.Gate) d.Kernel(("reduce", $"{kind} columns", typeof(T)), a => GpuGroupReduce.LoadColumns<T>(a, k))(d.Stream, GpuGroupReduce.ColumnConfig(p), x, y, p);
        else
            lock (d.Gate) d.Kernel(("reduce", $"{kind} dim", typeof(T)), a => GpuGroupReduce.Load<T>(a, k))(d.Stream, GpuGroupReduce.Config(p), x, y, p);
    }

    /// <summary>
    /// Queues y[<paramref name="yOffset"/>] = the <paramref name="kind"/> reduction of the <paramref name="n"/> elements
    /// x[xOffset + e·xStride]: one pass when a single group covers them, else partials of fixed chunks (set by n alone)
    /// and a second pass over them — the same bits for the same n on any device.
    /// </summary>
    /// <exception cref="ArgumentException">A bad layout, or max/min of no elements.</exception>
    public static void Full<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> y, int n, int xOffset, int xStride, int yOffset, GpuReduceKind kind, string op)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        if (n == 0 && kind is GpuReduceKind.Max or GpuReduceKind.Min)
            throw new ArgumentException($"{op}: reducing zero elements, and the reduction has no identity.");
        if (n > 0 && (xOffset < 0 || xStride < 0 || xOffset + (long)(n - 1) * xStride >= x.Length))
            throw new ArgumentException($"{op}: {n} elements at offset {xOffset}, stride {xStride} exceed the input's {x.Length}.");
        if (yOffset < 0 || yOffset >= y.Length)
            throw new ArgumentException($"{op}: output offset {yOffset} is outside the output's {y.Length} elements.");
        var first = GpuGroupReduce.FirstPass(n, xOffset, xStride);
        var k = kind;
        Func<Accelerator, Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>> load = a => GpuGroupReduce.LoadFull<T>(a, k);
        (string, string, Type) key = ("reduce", $"{kind} full", typeof(T));
        if (first.Groups == 1)
        {
            var only = first with { YOffset = yOffset };
            lock (d.Gate) d.Kernel(key, load)(d.Stream, GpuGroupReduce.FullConfig(only), x, y, only);
            return;
        }
        using var partials = new GpuScratch<T>(d, first.Groups);
        var second = GpuGroupReduce.SecondPass(first, yOffset);
        lock (d.Gate)
        {
            d.Kernel(key, load)(d.Stream, GpuGroupReduce.FullConfig(first), x, partials.View, first);
            d.Kernel(key, load)(d.Stream, GpuGroupReduce.FullConfig(second), partials.View, y, second);
        }
    }

    /// <summary>
    /// Queues max (<see cref="GpuReduceArgs.Max"/> = 1) or min with the first index of the extreme over the middle dim
    /// (NaN counts as the extreme, as PyTorch); values and int64 indices at <c>YOffset + o·Inner + i</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A bad layout or an empty reduced dim.</exception>
    public static void Arg<T>(GpuDevice d, ArrayView<T> x, ArrayView<T> values, ArrayView<long> indices, in GpuReduceArgs p, string op) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        p.Check(op, x.Length, Math.Min(values.Length, indices.Length), nonEmpty: true);
        if (p.Outputs == 0) return;
        lock (d.Gate) d.Kernel(("reduce", "arg", typeof(T)), GpuGroupReduce.LoadArg<T>)(d.Stream, GpuGroupReduce.Config(p), x, values, indices, p);
    }
}
