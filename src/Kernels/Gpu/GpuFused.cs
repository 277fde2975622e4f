using System.Reflection;
using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The one launch ABI of generated (fused) kernels: up to <see cref="MaxInputs"/> input views of the element type, up to
/// <see cref="MaxMasks"/> bool (byte) views, the output, and the sizes of the launch. Passed by value; the generated body
/// reads the fields it was generated for.
/// </summary>
public struct GpuFusedArgs<T> where T : unmanaged
{
    /// <summary>The most element-type inputs a generated body reads.</summary>
    public const int MaxInputs = 16;

    /// <summary>The most bool inputs a generated body reads.</summary>
    public const int MaxMasks = 4;

#pragma warning disable CS1591 // the slots are positional: X0 is the body's first element-type input, and so on
    public ArrayView<T> X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15;
    public ArrayView<byte> B0, B1, B2, B3;
#pragma warning restore CS1591

    /// <summary>The output (elementwise: the domain's elements; a row sum: one per row; a full sum's first pass: one per group).</summary>
    public ArrayView<T> Out;

    /// <summary>Elements of the elementwise domain.</summary>
    public int N;

    /// <summary>Elementwise, flat: the leading quads of four elements that take the vector path (0: none).</summary>
    public int Quads;

    /// <summary>Elements per row (rows mode and row sums); the domain is Rows × Inner.</summary>
    public int Inner;

    /// <summary>Rows (row sums).</summary>
    public int Rows;

    /// <summary>Elements per group of a full sum's first pass.</summary>
    public int Chunk;

    /// <summary>The grid stride of the implicitly grouped kernels (threads launched).</summary>
    public int Stride;

    /// <summary>Row programs: the stages each row runs (≤ <see cref="GpuRowState{T}.MaxStages"/>).</summary>
    public int Stages;

    /// <summary>Row programs: bit k set when stage k is a max (clear: a sum).</summary>
    public int MaxStages;

    /// <summary>Row programs: 1 when the output is the last stage's value per row (Rows elements), 0 for the domain's elements.</summary>
    public int StoreRows;

    /// <summary>Sets input slot <paramref name="k"/> (0 … <see cref="MaxInputs"/> − 1).</summary>
    public void SetInput(int k, ArrayView<T> view)
    {
        switch (k)
        {
            case 0: X0 = view; break; case 1: X1 = view; break; case 2: X2 = view; break; case 3: X3 = view; break;
            case 4: X4 = view; break; case 5: X5 = view; break; case 6: X6 = view; break; case 7: X7 = view; break;
            case 8: X8 = view; break; case 9: X9 = view; break; case 10: X10 = view; break; case 11: X11 = view; break;
            case 12: X12 = view; break; case 13: X13 = view; break; case 14: X14 = view; break; case 15: X15 = view; break;
            default: throw new ArgumentOutOfRangeException(nameof(k), k, $"a fused kernel reads at most {MaxInputs} inputs of its element type.");
        }
    }

    /// <summary>Sets bool slot <paramref name="k"/> (0 … <see cref="MaxMasks"/> − 1).</summary>
    public void SetMask(int k, ArrayView<byte> view)
    {
        switch (k)
        {
            case 0: B0 = view; break; case 1: B1 = view; break; case 2: B2 = view; break; case 3: B3 = view; break;
            default: throw new ArgumentOutOfRangeException(nameof(k), k, $"a fused kernel reads at most {MaxMasks} bool inputs.");
        }
    }
}

/// <summary>
/// A generated fused body: the value of the group's result at one element. Its implementations are structs emitted at run
/// time (the JIT writes an expression tree into them with FastExpressionCompiler's <c>CompileFastToIL</c>); ILGPU inlines
/// them into the scaffold kernels of <see cref="GpuFused"/>.
/// </summary>
public interface IGpuFusedBody<T> where T : unmanaged
{
    /// <summary>The result at element <paramref name="j"/> of the domain, which is row <paramref name="r"/>, position <paramref name="i"/> of it (rows mode; flat: r = 0, i = j).</summary>
    static abstract T Eval(GpuFusedArgs<T> a, int r, int i, int j);

    /// <summary>Flat mode: the results at elements 4q … 4q + 3, every full-shape input read as one vector load.</summary>
    static abstract Quad<T> Eval4(GpuFusedArgs<T> a, int q);
}

/// <summary>Which scaffold a generated body runs in.</summary>
public enum GpuFusedShape
{
    /// <summary>Every input has the domain's shape or is one value: element j reads j (or 0); quads vectorized.</summary>
    Flat,
    /// <summary>Broadcast rows: element j is row j / Inner, position j % Inner.</summary>
    Rows,
    /// <summary>One output per row: the sum of the row's Inner results (a group per row).</summary>
    RowSum,
    /// <summary>One output: the sum of all N results (two deterministic passes).</summary>
    FullSum,
    /// <summary>A group per row runs the row's reductions, then stores its results (<see cref="GpuFusedRows"/>; the body implements <see cref="IGpuRowBody{T}"/>).</summary>
    RowProgram,
}

/// <summary>
/// The scaffold kernels of generated bodies — grid-stride elementwise loops (flat, vectorized by quads; broadcast rows), a
/// group per row for row sums, and the two-pass full sum whose second pass is <see cref="GpuReduce.Full{T}"/>'s — and their
/// launchers. Sums accumulate in the element type with the reductions' fixed tree order (<see cref="GpuGroupReduce"/>), so
/// a given size always gives the same bits.
/// </summary>
public static class GpuFused
{
    /// <summary>Element <paramref name="j"/> of <paramref name="v"/> (expression trees cannot use the view's ref indexer).</summary>
    public static TElement Ld<TElement>(ArrayView<TElement> v, int j) where TElement : unmanaged => v[j];

    /// <summary>Quad <paramref name="q"/> of <paramref name="v"/> (elements 4q … 4q + 3; the view starts 16-byte aligned).</summary>
    public static Quad<TElement> Ld4<TElement>(ArrayView<TElement> v, int q) where TElement : unmanaged => v.Cast<Quad<TElement>>()[q];

    internal static void Flat<T, TBody>(Index1D index, GpuFusedArgs<T> a) where T : unmanaged where TBody : IGpuFusedBody<T>
    {
        if (a.Quads > 0)
        {
            var out4 = a.Out.Cast<Quad<T>>();
            for (int q = index; q < a.Quads; q = GpuElementwise.Next(q, a.Quads, a.Stride)) out4[q] = TBody.Eval4(a, q);
        }
        for (int j = a.Quads * 4 + index; j < a.N; j = GpuElementwise.Next(j, a.N, a.Stride)) a.Out[j] = TBody.Eval(a, 0, j, j);
    }

    internal static void Rows<T, TBody>(Index1D index, GpuFusedArgs<T> a) where T : unmanaged where TBody : IGpuFusedBody<T>
    {
        for (int j = index; j < a.N; j = GpuElementwise.Next(j, a.N, a.Stride))
        {
            int r = j / a.Inner;
            a.Out[j] = TBody.Eval(a, r, j - r * a.Inner, j);
        }
    }

    internal static void RowSum<T, TNumber, TBody>(GpuFusedArgs<T> a)
        where T : unmanaged where TNumber : struct, IGpuNumber<T> where TBody : IGpuFusedBody<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        for (int r = Grid.IdxX; r < a.Rows; r += Grid.DimX)
        {
            T acc = TNumber.Zero();
            int rowBase = r * a.Inner;
            for (int i = Group.IdxX; i < a.Inner; i += Group.DimX) acc = TNumber.Add(acc, TBody.Eval(a, r, i, rowBase + i));
            acc = GpuGroup.Reduce<T, SumOp<T, TNumber>>(scratch, acc);
            if (Group.IdxX == 0) a.Out[r] = acc;
        }
    }

    internal static void SumPartials<T, TNumber, TBody>(GpuFusedArgs<T> a)
        where T : unmanaged where TNumber : struct, IGpuNumber<T> where TBody : IGpuFusedBody<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        int start = Grid.IdxX * a.Chunk, end = a.N - start < a.Chunk ? a.N : start + a.Chunk;
        T acc = TNumber.Zero();
        for (int j = start + Group.IdxX; j < end; j += Group.DimX) acc = TNumber.Add(acc, TBody.Eval(a, 0, j, j));
        acc = GpuGroup.Reduce<T, SumOp<T, TNumber>>(scratch, acc);
        if (Group.IdxX == 0) a.Out[Grid.IdxX] = acc;
    }

    /// <summary>
    /// The scaffold kernel of <paramref name="shape"/> instantiated over the generated body <paramref name="body"/> (a struct
    /// implementing <see cref="IGpuFusedBody{T}"/>), for float32 or float64: what <see cref="Launch{T}"/> runs and what a PTX
    /// check compiles (<see cref="GpuPtx.Compile(MethodInfo, bool)"/>; the flat and rows kernels are implicitly grouped, the sums explicitly).
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type.</exception>
    public static MethodInfo Kernel<T>(GpuFusedShape shape, Type body) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(body);
        var number = typeof(T) == typeof(float) ? typeof(F32) : typeof(T) == typeof(double) ? typeof(F64)
            : throw new NotSupportedException($"fused GPU kernels: element type {typeof(T).Name} is not supported (float32 and float64 are).");
        var name = shape switch
        {
            GpuFusedShape.Flat => nameof(Flat),
            GpuFusedShape.Rows => nameof(Rows),
            GpuFusedShape.RowSum => nameof(RowSum),
            GpuFusedShape.RowProgram => nameof(GpuFusedRows.RowProgram),
            _ => nameof(SumPartials),
        };
        var open = (shape == GpuFusedShape.RowProgram ? typeof(GpuFusedRows) : typeof(GpuFused)).GetMethod(name, BindingFlags.NonPublic | BindingFlags.Static)!;
        return shape is GpuFusedShape.Flat or GpuFusedShape.Rows ? open.MakeGenericMethod(typeof(T), body) : open.MakeGenericMethod(typeof(T), number, body);
    }

    /// <summary>
    /// Queues the generated kernel <paramref name="kernel"/> (from <see cref="Kernel{T}"/> of <paramref name="shape"/>) with
    /// arguments <paramref name="a"/>, whose views and sizes the caller set (<see cref="GpuFusedArgs{T}.Out"/>: N elements
    /// for elementwise shapes and row programs, Rows for a row sum or a row program that stores rows, one element for a full
    /// sum; a row program's stages too); sets the launch fields itself.
    /// </summary>
    /// <exception cref="InvalidOperationException">ILGPU could not compile the kernel (the device recreates its context; the caller runs the group another way).</exception>
    public static void Launch<T>(GpuDevice d, GpuFusedShape shape, MethodInfo kernel, GpuFusedArgs<T> a) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(kernel);
        switch (shape)
        {
            case GpuFusedShape.Flat or GpuFusedShape.Rows:
            {
                if (a.N == 0) return;
                int threads = d.LaunchThreads(Math.Max(a.Quads, a.N - a.Quads * 4));
                a.Stride = threads;
                lock (d.Gate) Elementwise<T>(d, kernel)(d.Stream, threads, a);
                return;
            }
            case GpuFusedShape.RowSum or GpuFusedShape.RowProgram:
            {
                if (a.Rows == 0) return;
                if (shape == GpuFusedShape.RowProgram && (a.Stages < 0 || a.Stages > GpuRowState<T>.MaxStages || (a.StoreRows != 0 && a.Stages == 0)))
                    throw new ArgumentException($"fused row program: {a.Stages} stages (at most {GpuRowState<T>.MaxStages}; a row store needs one).");
                GpuGroup.RequireGroups(d.Accelerator, shape == GpuFusedShape.RowSum ? "fused row sum" : "fused row program");
                var config = GpuGroup.Config(Math.Min(a.Rows, 65535), GpuGroup.ThreadsFor(a.Inner));
                lock (d.Gate) Grouped<T>(d, kernel)(d.Stream, config, a);
                return;
            }
            default:
            {
                GpuGroup.RequireGroups(d.Accelerator, "fused sum");
                var first = GpuGroupReduce.FirstPass(a.N, 0, 1);
                a.Chunk = first.Chunk;
                var output = a.Out;
                using var partials = new GpuScratch<T>(d, first.Groups);
                a.Out = partials.View;
                lock (d.Gate) Grouped<T>(d, kernel)(d.Stream, GpuGroupReduce.FullConfig(first), a);
                GpuReduce.Full(d, partials.View, output, first.Groups, 0, 1, 0, GpuReduceKind.Sum, "fused sum");
                return;
            }
        }
    }

    /// <summary>Compiles <paramref name="kernel"/> for <paramref name="d"/> now (cached), so that a failure shows before any launch.</summary>
    /// <exception cref="InvalidOperationException">ILGPU could not compile the kernel (the device recreates its context when it can).</exception>
    public static void Load<T>(GpuDevice d, GpuFusedShape shape, MethodInfo kernel) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(kernel);
        lock (d.Gate)
        {
            if (shape is GpuFusedShape.Flat or GpuFusedShape.Rows) Elementwise<T>(d, kernel);
            else Grouped<T>(d, kernel);
        }
    }

    private static Action<AcceleratorStream, Index1D, GpuFusedArgs<T>> Elementwise<T>(GpuDevice d, MethodInfo kernel) where T : unmanaged
    {
        var body = (Action<Index1D, GpuFusedArgs<T>>)Bodies.GetOrAdd(kernel, static k => k.CreateDelegate<Action<Index1D, GpuFusedArgs<T>>>());
        return d.Kernel(body, acc => acc.LoadAutoGroupedKernel(body));
    }

    private static Action<AcceleratorStream, KernelConfig, GpuFusedArgs<T>> Grouped<T>(GpuDevice d, MethodInfo kernel) where T : unmanaged
    {
        var body = (Action<GpuFusedArgs<T>>)Bodies.GetOrAdd(kernel, static k => k.CreateDelegate<Action<GpuFusedArgs<T>>>());
        return d.Kernel(body, acc => acc.LoadKernel(body));
    }

    /// <summary>The kernel delegates, made once per instantiated scaffold (not per launch).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MethodInfo, Delegate> Bodies = new();
}
