using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>Which reduction a <see cref="GpuGroupReduce"/> kernel computes.</summary>
public enum GpuReduceKind
{
    /// <summary>Sum (0 over an empty dim).</summary>
    Sum,
    /// <summary>Product (1 over an empty dim).</summary>
    Prod,
    /// <summary>Max; NaN propagates.</summary>
    Max,
    /// <summary>Min; NaN propagates.</summary>
    Min,
}

/// <summary>
/// A reduction over the middle dim of X viewed as (Outer, Reduce, Inner): element (o, r, i) is at
/// <c>XOffset + o·XOuterStride + r·XReduceStride + i·XInnerStride</c>; output (o, i) at <c>YOffset + o·Inner + i</c> (dense).
/// </summary>
public struct GpuReduceArgs
{
    /// <summary>The view's extents.</summary>
    public int Outer, Reduce, Inner;
    /// <summary>X's layout.</summary>
    public int XOffset, XOuterStride, XReduceStride, XInnerStride;
    /// <summary>The first output's position.</summary>
    public int YOffset;
    /// <summary>Arg reductions: 1 for argmax, 0 for argmin.</summary>
    public int Max;

    /// <summary>A contiguous X of shape (outer, reduce, inner).</summary>
    public static GpuReduceArgs Dense(int outer, int reduce, int inner) =>
        new() { Outer = outer, Reduce = reduce, Inner = inner, XOuterStride = reduce * inner, XReduceStride = inner, XInnerStride = 1 };

    /// <summary>Outputs (groups of the launch).</summary>
    public readonly int Outputs => Outer * Inner;

    /// <summary>Checks sizes and that every element read or written lies inside its view.</summary>
    /// <exception cref="ArgumentException">Negative sizes, an empty dim where <paramref name="nonEmpty"/> (max, min, arg
    /// reductions have no identity), or an extent that exceeds its view.</exception>
    public readonly void Check(string op, long xLength, long yLength, bool nonEmpty)
    {
        if (Outer < 0 || Reduce < 0 || Inner < 0 || (long)Outer * Inner > int.MaxValue)
            throw new ArgumentException($"{op}: bad sizes (outer={Outer}, reduce={Reduce}, inner={Inner}).");
        if (nonEmpty && Reduce == 0 && Outer * Inner > 0)
            throw new ArgumentException($"{op}: the reduced dim is empty and the reduction has no identity (outer={Outer}, inner={Inner}).");
        if (Outer == 0 || Inner == 0) return;
        if (YOffset < 0 || YOffset + (long)Outer * Inner > yLength)
            throw new ArgumentException($"{op}: the output ({Outer}×{Inner}, offset {YOffset}) exceeds its {yLength} elements.");
        if (Reduce == 0) return;
        long last = XOffset + (long)(Outer - 1) * XOuterStride + (long)(Reduce - 1) * XReduceStride + (long)(Inner - 1) * XInnerStride;
        if (XOffset < 0 || XOuterStride < 0 || XReduceStride < 0 || XInnerStride < 0 || last >= xLength)
            throw new ArgumentException($"{op}: X ({Outer}×{Reduce}×{Inner}, strides {XOuterStride}, {XReduceStride}, {XInnerStride}, offset {XOffset}) exceeds its {xLength} elements.");
    }
}

/// <summary>
/// One pass of a full reduction: group g reduces elements [g·Chunk, min(N, (g+1)·Chunk)) of X (element e at
/// <c>XOffset + e·XStride</c>) into <c>Y[YOffset + g]</c>. Make both passes with <see cref="GpuGroupReduce.FirstPass"/> and
/// <see cref="GpuGroupReduce.SecondPass"/>.
/// </summary>
public struct GpuFullReduceArgs
{
    /// <summary>Elements reduced.</summary>
    public int N;
    /// <summary>Elements per group.</summary>
    public int Chunk;
    /// <summary>X's layout.</summary>
    public int XOffset, XStride;
    /// <summary>The first output's position.</summary>
    public int YOffset;

    /// <summary>Groups of the pass (and partials it writes).</summary>
    public readonly int Groups => N == 0 ? 1 : (N + Chunk - 1) / Chunk;
}

/// <summary>
/// Reductions. Over a dim: one group per output (<see cref="Config"/>: the next power of two ≥ the reduced length, 32
/// to 256 threads), each thread combining every group-size-th element in order, then a shared-memory tree. Full
/// reductions are deterministic two-pass: up to <see cref="MaxPartials"/> groups each reduce a fixed chunk into a partial,
/// then one group reduces the partials in the same tree order — no atomics, so a given n always gives the same bits.
/// float32 accumulates in float32: a sum of n terms is n/256 sequential adds per thread, then an 8-level tree (error
/// ≲ (n/256 + 8)·ε·Σ|x| per output; a full sum adds one more tree level of partials). Integers wrap. Over a dim with
/// Inner &gt; 1 the group-per-output kernel's reads are strided; the column kernel (<see cref="LoadColumns{T}"/>) reads
/// 32 consecutive inner positions per group instead (error ≲ (n/8 + 3)·ε·Σ|x|).
/// </summary>
public static class GpuGroupReduce
{
    /// <summary>Outputs (consecutive inner positions) per group of the column kernel: its reads are coalesced along them.</summary>
    public const int ColumnWidth = 32;

    /// <summary>Threads per output of the column kernel, each combining every <c>ColumnDepth</c>-th reduced element.</summary>
    public const int ColumnDepth = 8;

    /// <summary>The most partials (groups) of a full reduction's first pass.</summary>
    public const int MaxPartials = 1024;

    /// <summary>The fewest elements per first-pass group of a full reduction (16 per thread).</summary>
    public const int MinChunk = 4096;

    internal static void ReduceKernel<T, Op>(ArrayView<T> x, ArrayView<T> y, GpuReduceArgs p) where T : unmanaged where Op : struct, IGpuReduceOp<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int q = Grid.IdxX, o = q / p.Inner, i = q - o * p.Inner;
        int xb = p.XOffset + o * p.XOuterStride + i * p.XInnerStride;
        T acc = Op.Identity();
        for (int r = Group.IdxX; r < p.Reduce; r += Group.DimX) acc = Op.Combine(acc, x[xb + r * p.XReduceStride]);
        acc = GpuGroup.Reduce<T, Op>(scratch, acc);
        if (Group.IdxX == 0) y[p.YOffset + q] = acc;
    }

    internal static void ColumnReduceKernel<T, Op>(ArrayView<T> x, ArrayView<T> y, GpuReduceArgs p) where T : unmanaged where Op : struct, IGpuReduceOp<T>
    {
        var scratch = SharedMemory.Allocate<T>(ColumnWidth * ColumnDepth);
        int tx = Group.IdxX, ty = Group.IdxY, i = Grid.IdxX * ColumnWidth + tx, o = Grid.IdxY;
        T acc = Op.Identity();
        if (i < p.Inner)
        {
            int xb = p.XOffset + o * p.XOuterStride + i * p.XInnerStride;
            for (int r = ty; r < p.Reduce; r += ColumnDepth) acc = Op.Combine(acc, x[xb + r * p.XReduceStride]);
        }
        scratch[ty * ColumnWidth + tx] = acc;   // every thread reaches every barrier, in range or not
        Group.Barrier();
        for (int s = ColumnDepth / 2; s > 0; s >>= 1)
        {
            if (ty < s) scratch[ty * ColumnWidth + tx] = Op.Combine(scratch[ty * ColumnWidth + tx], scratch[(ty + s) * ColumnWidth + tx]);
            Group.Barrier();
        }
        if (ty == 0 && i < p.Inner) y[p.YOffset + o * p.Inner + i] = scratch[tx];
    }

    internal static void ArgReduceKernel<T, N>(ArrayView<T> x, ArrayView<T> values, ArrayView<long> indices, GpuReduceArgs p)
        where T : unmanaged where N : struct, IGpuNumber<T>
    {
        var sv = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        var si = SharedMemory.Allocate<int>(GpuGroup.MaxThreads);
        int t = Group.IdxX, q = Grid.IdxX, o = q / p.Inner, i = q - o * p.Inner;
        int xb = p.XOffset + o * p.XOuterStride + i * p.XInnerStride;
        bool max = p.Max != 0;
        T best = N.Zero();
        int at = -1;   // no element yet
        for (int r = t; r < p.Reduce; r += Group.DimX)
        {
            T v = x[xb + r * p.XReduceStride];
            if (Better<T, N>(v, r, best, at, max)) { best = v; at = r; }
        }
        sv[t] = best;
        si[t] = at;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (t < s && Better<T, N>(sv[t + s], si[t + s], sv[t], si[t], max))
            {
                sv[t] = sv[t + s];
                si[t] = si[t + s];
            }
            Group.Barrier();
        }
        if (t == 0)
        {
            values[p.YOffset + q] = sv[0];
            indices[p.YOffset + q] = si[0];
        }
    }

    /// <summary>
    /// Whether (v, i) beats (b, j) for argmax (argmin): a real element beats none; NaN beats any number; a strictly larger
    /// (smaller) value wins; ties (and two NaNs) go to the lower index — so the first index of the extreme wins in any order.
    /// </summary>
    private static bool Better<T, N>(T v, int i, T b, int j, bool max) where T : unmanaged where N : struct, IGpuNumber<T>
    {
        if (i < 0) return false;
        if (j < 0) return true;
        bool vn = N.IsNaN(v), bn = N.IsNaN(b);
        if (vn || bn) return vn && (!bn || i < j);
        if (max ? N.Gt(v, b) : N.Lt(v, b)) return true;
        return N.Eq(v, b) && i < j;
    }

    internal static void FullReduceKernel<T, Op>(ArrayView<T> x, ArrayView<T> y, GpuFullReduceArgs p) where T : unmanaged where Op : struct, IGpuReduceOp<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int start = Grid.IdxX * p.Chunk, end = p.N - start < p.Chunk ? p.N : start + p.Chunk;
        T acc = Op.Identity();
        for (int e = start + Group.IdxX; e < end; e += Group.DimX) acc = Op.Combine(acc, x[p.XOffset + e * p.XStride]);
        acc = GpuGroup.Reduce<T, Op>(scratch, acc);
        if (Group.IdxX == 0) y[p.YOffset + Grid.IdxX] = acc;
    }

    /// <summary>
    /// Loads the reduction over a dim (float32, float64, int64, int32): launcher arguments x, y, layout. Check the layout
    /// with <see cref="GpuReduceArgs.Check"/>; launch with <see cref="Config"/> (nothing for zero outputs).
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs> Load<T>(Accelerator accelerator, GpuReduceKind kind)
        where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU reduce");
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Dim<float, F32>(accelerator, kind);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Dim<double, F64>(accelerator, kind);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Dim<long, I64>(accelerator, kind);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Dim<int, I32>(accelerator, kind);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU reduce"));
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs> Dim<T, N>(Accelerator a, GpuReduceKind kind)
        where T : unmanaged where N : struct, IGpuNumber<T> => kind switch
        {
            GpuReduceKind.Sum => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ReduceKernel<T, SumOp<T, N>>),
            GpuReduceKind.Prod => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ReduceKernel<T, ProdOp<T, N>>),
            GpuReduceKind.Max => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ReduceKernel<T, MaxOp<T, N>>),
            GpuReduceKind.Min => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ReduceKernel<T, MinOp<T, N>>),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "GPU reduce: unknown reduction."),
        };

    /// <summary>
    /// Loads max/min with indices over a dim (float32, float64, int64, int32): launcher arguments x, values, int64
    /// indices (both at <c>YOffset + o·Inner + i</c>), layout with <see cref="GpuReduceArgs.Max"/> choosing argmax.
    /// The index is the first of the extreme; NaN counts as the extreme (as PyTorch).
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuReduceArgs> LoadArg<T>(Accelerator accelerator)
        where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU argmax/argmin");
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuReduceArgs>)(object)
                accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<long>, GpuReduceArgs>(ArgReduceKernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuReduceArgs>)(object)
                accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<long>, GpuReduceArgs>(ArgReduceKernel<double, F64>);
        if (typeof(T) == typeof(long))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuReduceArgs>)(object)
                accelerator.LoadKernel<ArrayView<long>, ArrayView<long>, ArrayView<long>, GpuReduceArgs>(ArgReduceKernel<long, I64>);
        if (typeof(T) == typeof(int))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<long>, GpuReduceArgs>)(object)
                accelerator.LoadKernel<ArrayView<int>, ArrayView<int>, ArrayView<long>, GpuReduceArgs>(ArgReduceKernel<int, I32>);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU argmax/argmin"));
    }

    /// <summary>
    /// Loads one pass of a full reduction (float32, float64, int64, int32): launcher arguments x, y, pass. Run
    /// <see cref="FirstPass"/> into a buffer of its <see cref="GpuFullReduceArgs.Groups"/> partials, then
    /// <see cref="SecondPass"/> from that buffer into the result, each launched with <see cref="FullConfig"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs> LoadFull<T>(Accelerator accelerator, GpuReduceKind kind)
        where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU full reduce");
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>)(object)Full<float, F32>(accelerator, kind);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>)(object)Full<double, F64>(accelerator, kind);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>)(object)Full<long, I64>(accelerator, kind);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>)(object)Full<int, I32>(accelerator, kind);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU full reduce"));
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuFullReduceArgs> Full<T, N>(Accelerator a, GpuReduceKind kind)
        where T : unmanaged where N : struct, IGpuNumber<T> => kind switch
        {
            GpuReduceKind.Sum => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>(FullReduceKernel<T, SumOp<T, N>>),
            GpuReduceKind.Prod => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>(FullReduceKernel<T, ProdOp<T, N>>),
            GpuReduceKind.Max => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>(FullReduceKernel<T, MaxOp<T, N>>),
            GpuReduceKind.Min => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuFullReduceArgs>(FullReduceKernel<T, MinOp<T, N>>),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "GPU full reduce: unknown reduction."),
        };

    /// <summary>
    /// Loads the column form of the reduction over a dim (same arguments and results as <see cref="Load{T}"/>): a group of
    /// <see cref="ColumnWidth"/>×<see cref="ColumnDepth"/> threads covers 32 consecutive inner positions of one outer
    /// index, so reads are coalesced when the inner dim is dense; each output is ColumnDepth sequential runs of
    /// Reduce/8 elements, then a 3-level tree. Launch with <see cref="ColumnConfig"/>; prefer it when <see cref="UseColumns"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or groups smaller than 256 threads.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs> LoadColumns<T>(Accelerator accelerator, GpuReduceKind kind)
        where T : unmanaged
    {
        GpuGroup.RequireGroups(accelerator, "GPU reduce");
        if (typeof(T) == typeof(float)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Columns<float, F32>(accelerator, kind);
        if (typeof(T) == typeof(double)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Columns<double, F64>(accelerator, kind);
        if (typeof(T) == typeof(long)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Columns<long, I64>(accelerator, kind);
        if (typeof(T) == typeof(int)) return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs>)(object)Columns<int, I32>(accelerator, kind);
        throw new NotSupportedException(GpuGroup.NotSupported<T>("GPU reduce"));
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, GpuReduceArgs> Columns<T, N>(Accelerator a, GpuReduceKind kind)
        where T : unmanaged where N : struct, IGpuNumber<T> => kind switch
        {
            GpuReduceKind.Sum => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ColumnReduceKernel<T, SumOp<T, N>>),
            GpuReduceKind.Prod => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ColumnReduceKernel<T, ProdOp<T, N>>),
            GpuReduceKind.Max => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ColumnReduceKernel<T, MaxOp<T, N>>),
            GpuReduceKind.Min => a.LoadKernel<ArrayView<T>, ArrayView<T>, GpuReduceArgs>(ColumnReduceKernel<T, MinOp<T, N>>),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "GPU reduce: unknown reduction."),
        };

    /// <summary>Whether the column kernel suits the layout: at least 16 inner positions per outer index.</summary>
    public static bool UseColumns(in GpuReduceArgs p) => p.Inner >= 16;

    /// <summary>The column kernel's launch shape: (⌈Inner/32⌉, Outer) groups of 32×8 threads.</summary>
    public static KernelConfig ColumnConfig(in GpuReduceArgs p) =>
        new(new Index3D((p.Inner + ColumnWidth - 1) / ColumnWidth, p.Outer, 1), new Index3D(ColumnWidth, ColumnDepth, 1));

    /// <summary>The launch shape over a dim: one group per output, the next power of two ≥ the reduced length (32 to 256).</summary>
    public static KernelConfig Config(in GpuReduceArgs p) => GpuGroup.Config(p.Outputs, GpuGroup.ThreadsFor(p.Reduce));

    /// <summary>
    /// The first pass of a full reduction of <paramref name="n"/> elements at <c>xOffset + e·xStride</c>: at most
    /// <see cref="MaxPartials"/> groups of at least <see cref="MinChunk"/> elements (fixed by n alone), partials at 0.
    /// </summary>
    /// <exception cref="ArgumentException">Negative n, offset or stride.</exception>
    public static GpuFullReduceArgs FirstPass(int n, int xOffset, int xStride)
    {
        if (n < 0 || xOffset < 0 || xStride < 0)
            throw new ArgumentException($"GPU full reduce: bad layout (n={n}, offset={xOffset}, stride={xStride}).");
        int groups = Math.Clamp((n + MinChunk - 1) / MinChunk, 1, MaxPartials);
        return new GpuFullReduceArgs { N = n, Chunk = Math.Max(1, (n + groups - 1) / groups), XOffset = xOffset, XStride = xStride };
    }

    /// <summary>The second pass: one group reduces the first pass's partials into <c>Y[yOffset]</c>.</summary>
    public static GpuFullReduceArgs SecondPass(in GpuFullReduceArgs first, int yOffset) =>
        new() { N = first.Groups, Chunk = first.Groups, XStride = 1, YOffset = yOffset };

    /// <summary>The launch shape of a full-reduction pass: <see cref="GpuFullReduceArgs.Groups"/> groups of up to 256 threads (fixed by the pass).</summary>
    public static KernelConfig FullConfig(in GpuFullReduceArgs p) => GpuGroup.Config(p.Groups, GpuGroup.ThreadsFor(p.Chunk));
}
