using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>A reduction: an accumulator of type <typeparamref name="TAcc"/> folded over elements of <typeparamref name="T"/>.</summary>
public interface IGpuReduceOp<T, TAcc> where T : unmanaged where TAcc : unmanaged
{
    /// <summary>The accumulator before any element (0 for sums, 1 for products, −∞/MinValue for max).</summary>
    static abstract TAcc Init();
    /// <summary>Folds one element in.</summary>
    static abstract TAcc Add(TAcc acc, T x);
    /// <summary>The result of the accumulator.</summary>
    static abstract T Finish(TAcc acc);
}

/// <summary>
/// The GPU's reduction kernel over dims: one thread per output element folds its reduced elements in row-major order
/// (deterministic: no atomics; float32 sums and products accumulate in float64). A simple first form: a block-per-row
/// kernel with shared memory is the faster later one.
/// </summary>
public static class GpuReduce
{
    internal static void Kernel<T, TAcc, TOp>(Index1D i, ArrayView<T> r, ArrayView<T> x, GpuLayout kept, GpuLayout reduced, int n, int len, int stride)
        where T : unmanaged where TAcc : unmanaged where TOp : IGpuReduceOp<T, TAcc>
    {
        for (int j = i; j < n; j = GpuElementwise.Next(j, n, stride))
        {
            kept.Offsets(j, out int o, out int b);
            TAcc acc = TOp.Init();
            for (int k = 0; k < len; k++)
            {
                reduced.Offsets(k, out _, out int e);
                acc = TOp.Add(acc, x[b + e]);
            }
            r[o] = TOp.Finish(acc);
        }
    }

    /// <summary>
    /// r[o] = fold of x over the <paramref name="len"/> elements of <paramref name="reduced"/> (operand 1: x's strides
    /// in the reduced dims) at each of the <paramref name="n"/> positions of <paramref name="kept"/> (operand 0: r,
    /// operand 1: x in the kept dims).
    /// </summary>
    public static void Run<T, TAcc, TOp>(GpuDevice d, ArrayView<T> r, ArrayView<T> x, GpuLayout kept, GpuLayout reduced, int n, int len)
        where T : unmanaged where TAcc : unmanaged where TOp : IGpuReduceOp<T, TAcc>
    {
        if (n == 0) return;
        lock (d.Gate)
        {
            var k = d.Kernel((Action<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout, GpuLayout, int, int, int>)Kernel<T, TAcc, TOp>,
                a => a.LoadAutoGroupedKernel<Index1D, ArrayView<T>, ArrayView<T>, GpuLayout, GpuLayout, int, int, int>(Kernel<T, TAcc, TOp>));
            k(d.Stream, d.LaunchThreads(n), r, x, kept, reduced, n, len, d.LaunchThreads(n));
        }
    }
}

/// <summary>float32 sum, accumulated in float64.</summary>
public readonly struct SumF32 : IGpuReduceOp<float, double>
{
    /// <inheritdoc/>
    public static double Init() => 0;
    /// <inheritdoc/>
    public static double Add(double acc, float x) => acc + x;
    /// <inheritdoc/>
    public static float Finish(double acc) => (float)acc;
}

/// <summary>float64 sum.</summary>
public readonly struct SumF64 : IGpuReduceOp<double, double>
{
    /// <inheritdoc/>
    public static double Init() => 0;
    /// <inheritdoc/>
    public static double Add(double acc, double x) => acc + x;
    /// <inheritdoc/>
    public static double Finish(double acc) => acc;
}

/// <summary>int64 sum (wrapping, as the CPU's).</summary>
public readonly struct SumI64 : IGpuReduceOp<long, long>
{
    /// <inheritdoc/>
    public static long Init() => 0;
    /// <inheritdoc/>
    public static long Add(long acc, long x) => unchecked(acc + x);
    /// <inheritdoc/>
    public static long Finish(long acc) => acc;
}

/// <summary>float32 product, accumulated in float64.</summary>
public readonly struct ProdF32 : IGpuReduceOp<float, double>
{
    /// <inheritdoc/>
    public static double Init() => 1;
    /// <inheritdoc/>
    public static double Add(double acc, float x) => acc * x;
    /// <inheritdoc/>
    public static float Finish(double acc) => (float)acc;
}

/// <summary>float64 product.</summary>
public readonly struct ProdF64 : IGpuReduceOp<double, double>
{
    /// <inheritdoc/>
    public static double Init() => 1;
    /// <inheritdoc/>
    public static double Add(double acc, double x) => acc * x;
    /// <inheritdoc/>
    public static double Finish(double acc) => acc;
}

/// <summary>int64 product (wrapping).</summary>
public readonly struct ProdI64 : IGpuReduceOp<long, long>
{
    /// <inheritdoc/>
    public static long Init() => 1;
    /// <inheritdoc/>
    public static long Add(long acc, long x) => unchecked(acc * x);
    /// <inheritdoc/>
    public static long Finish(long acc) => acc;
}

/// <summary>float32 max, propagating NaN (torch.amax).</summary>
public readonly struct MaxF32 : IGpuReduceOp<float, float>
{
    /// <inheritdoc/>
    public static float Init() => float.NegativeInfinity;
    /// <inheritdoc/>
    public static float Add(float acc, float x) => float.IsNaN(x) || x > acc ? x : acc;
    /// <inheritdoc/>
    public static float Finish(float acc) => acc;
}

/// <summary>float64 max, propagating NaN.</summary>
public readonly struct MaxF64 : IGpuReduceOp<double, double>
{
    /// <inheritdoc/>
    public static double Init() => double.NegativeInfinity;
    /// <inheritdoc/>
    public static double Add(double acc, double x) => double.IsNaN(x) || x > acc ? x : acc;
    /// <inheritdoc/>
    public static double Finish(double acc) => acc;
}

/// <summary>float32 min, propagating NaN (torch.amin).</summary>
public readonly struct MinF32 : IGpuReduceOp<float, float>
{
    /// <inheritdoc/>
    public static float Init() => float.PositiveInfinity;
    /// <inheritdoc/>
    public static float Add(float acc, float x) => float.IsNaN(x) || x < acc ? x : acc;
    /// <inheritdoc/>
    public static float Finish(float acc) => acc;
}

/// <summary>float64 min, propagating NaN.</summary>
public readonly struct MinF64 : IGpuReduceOp<double, double>
{
    /// <inheritdoc/>
    public static double Init() => double.PositiveInfinity;
    /// <inheritdoc/>
    public static double Add(double acc, double x) => double.IsNaN(x) || x < acc ? x : acc;
    /// <inheritdoc/>
    public static double Finish(double acc) => acc;
}

/// <summary>int64 max.</summary>
public readonly struct MaxI64 : IGpuReduceOp<long, long>
{
    /// <inheritdoc/>
    public static long Init() => long.MinValue;
    /// <inheritdoc/>
    public static long Add(long acc, long x) => x > acc ? x : acc;
    /// <inheritdoc/>
    public static long Finish(long acc) => acc;
}

/// <summary>int64 min.</summary>
public readonly struct MinI64 : IGpuReduceOp<long, long>
{
    /// <inheritdoc/>
    public static long Init() => long.MaxValue;
    /// <inheritdoc/>
    public static long Add(long acc, long x) => x < acc ? x : acc;
    /// <inheritdoc/>
    public static long Finish(long acc) => acc;
}

/// <summary>int32 max.</summary>
public readonly struct MaxI32 : IGpuReduceOp<int, int>
{
    /// <inheritdoc/>
    public static int Init() => int.MinValue;
    /// <inheritdoc/>
    public static int Add(int acc, int x) => x > acc ? x : acc;
    /// <inheritdoc/>
    public static int Finish(int acc) => acc;
}

/// <summary>int32 min.</summary>
public readonly struct MinI32 : IGpuReduceOp<int, int>
{
    /// <inheritdoc/>
    public static int Init() => int.MaxValue;
    /// <inheritdoc/>
    public static int Add(int acc, int x) => x < acc ? x : acc;
    /// <inheritdoc/>
    public static int Finish(int acc) => acc;
}
