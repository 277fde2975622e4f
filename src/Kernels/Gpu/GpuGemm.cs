using ILGPU;
using ILGPU.Runtime;

namespace Trace.Kernels.Gpu;

/// <summary>
/// One (batched) float32 or float64 GEMM launch: <c>C[b] = alpha·A[b]·B[b] + beta·C[b]</c>, then an optional relu, with
/// strided operands (a transposed operand is read in place through its strides). Offsets and strides are in elements;
/// alpha and beta are float32 scalars for both element types (widened exactly for float64).
/// </summary>
public struct GpuGemmArgs
{
    /// <summary>Rows of A and C.</summary>
    public int M;
    /// <summary>Columns of B and C.</summary>
    public int N;
    /// <summary>Columns of A, rows of B.</summary>
    public int K;
    /// <summary>A's element (i, p) is at <c>AOffset + b·ABatchStride + i·ARowStride + p·AColStride</c>.</summary>
    public int AOffset, ARowStride, AColStride, ABatchStride;
    /// <summary>B's element (p, j) is at <c>BOffset + b·BBatchStride + p·BRowStride + j·BColStride</c>.</summary>
    public int BOffset, BRowStride, BColStride, BBatchStride;
    /// <summary>C's element (i, j) is at <c>COffset + b·CBatchStride + i·Ldc + j</c> (rows of C are dense).</summary>
    public int COffset, Ldc, CBatchStride;
    /// <summary>Scale of the product.</summary>
    public float Alpha;
    /// <summary>Scale of C's previous contents; 0 ignores them (NaN in C does not propagate, as BLAS).</summary>
    public float Beta;
    /// <summary>1: relu on the result (NaN and -0 pass through, as PyTorch's relu).</summary>
    public int Relu;
    /// <summary>1: GELU (erf form) on the result; 2: GELU with the tanh approximation; applied after the relu flag's step.</summary>
    public int Gelu;
}

/// <summary>
/// The GPU's float32/float64 GEMM (one generic kernel body over <see cref="F32"/>/<see cref="F64"/>): shared-memory tiles of <see cref="Tile"/>×<see cref="Tile"/> outputs per group of
/// <see cref="Threads"/>×<see cref="Threads"/> threads, <see cref="Depth"/> deep, each thread accumulating a 4×4 register
/// block (rows <c>ty + 16·i</c>, columns <c>tx + 16·j</c>: conflict-free shared reads, coalesced stores). Edges are
/// zero-padded in shared memory, so any M, N, K and strides work. One launch covers a whole batch (grid z).
/// </summary>
public static class GpuGemm
{
    /// <summary>Threads per group along each of x and y (a group has <c>Threads²</c> = 256 threads).</summary>
    public const int Threads = 16;

    /// <summary>Rows (and columns) of C per group.</summary>
    public const int Tile = 64;

    /// <summary>Depth of one shared-memory step along K.</summary>
    public const int Depth = 16;

    private const int LoadsPerThread = Tile * Depth / (Threads * Threads);   // 4 elements of each tile per thread

    /// <summary>
    /// The kernel (explicitly grouped: launch with <see cref="Config"/>), one body for float32 (<see cref="F32"/>) and
    /// float64 (<see cref="F64"/>): ILGPU inlines <typeparamref name="R"/>'s static arithmetic, so the float32 instance is
    /// the plain float code (<c>mul.f32</c>/<c>add.f32</c> pairs, which ptxas contracts into FMAs).
    /// </summary>
    internal static void Kernel<T, R>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GpuGemmArgs p) where T : unmanaged where R : struct, IGpuReal<T> =>
        Body<T, R, NoActivation<T>>(a, b, c, p);

    /// <summary>The GEMM with GELU (<see cref="GpuGemmArgs.Gelu"/> 1: erf form, 2: tanh) in its store: a kernel of its own, so that the plain one carries no GELU code.</summary>
    internal static void GeluKernel<T, R>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GpuGemmArgs p) where T : unmanaged where R : struct, IGpuReal<T> =>
        Body<T, R, GeluActivation<T, R>>(a, b, c, p);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Body<T, R, E>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GpuGemmArgs p)
        where T : unmanaged where R : struct, IGpuReal<T> where E : struct, IGpuGemmActivation<T>
    {
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * Threads + tx;
        int row0 = Grid.IdxY * Tile, col0 = Grid.IdxX * Tile, batch = Grid.IdxZ;
        int aBase = p.AOffset + batch * p.ABatchStride;
        int bBase = p.BOffset + batch * p.BBatchStride;
        var aTile = SharedMemory.Allocate<T>(Depth * Tile);   // aTile[kk·Tile + r]: A's tile, transposed
        var bTile = SharedMemory.Allocate<T>(Depth * Tile);   // bTile[kk·Tile + cc]
        // The 4×4 block lives in registers: 16 scalar accumulators (ILGPU keeps arrays in local memory).
        T c00 = R.Zero(), c01 = R.Zero(), c02 = R.Zero(), c03 = R.Zero(), c10 = R.Zero(), c11 = R.Zero(), c12 = R.Zero(), c13 = R.Zero();
        T c20 = R.Zero(), c21 = R.Zero(), c22 = R.Zero(), c23 = R.Zero(), c30 = R.Zero(), c31 = R.Zero(), c32 = R.Zero(), c33 = R.Zero();
        for (int k0 = 0; k0 < p.K; k0 += Depth)
        {
            for (int l = 0; l < LoadsPerThread; l++)
            {
                int e = tid + l * Threads * Threads;
                int r = e / Depth, kk = e % Depth;                  // consecutive threads walk along K of one row of A
                int row = row0 + r, k = k0 + kk;
                aTile[kk * Tile + r] = row < p.M && k < p.K ? a[aBase + row * p.ARowStride + k * p.AColStride] : R.Zero();
                int kb = e / Tile, cc = e % Tile;                    // consecutive threads walk along a row of B
                int kRow = k0 + kb, col = col0 + cc;
                bTile[kb * Tile + cc] = kRow < p.K && col < p.N ? b[bBase + kRow * p.BRowStride + col * p.BColStride] : R.Zero();
            }
            Group.Barrier();
            for (int kk = 0; kk < Depth; kk++)
            {
                int at = kk * Tile;
                T a0 = aTile[at + ty], a1 = aTile[at + ty + Threads], a2 = aTile[at + ty + 2 * Threads], a3 = aTile[at + ty + 3 * Threads];
                T b0 = bTile[at + tx], b1 = bTile[at + tx + Threads], b2 = bTile[at + tx + 2 * Threads], b3 = bTile[at + tx + 3 * Threads];
                c00 = R.Add(c00, R.Mul(a0, b0)); c01 = R.Add(c01, R.Mul(a0, b1)); c02 = R.Add(c02, R.Mul(a0, b2)); c03 = R.Add(c03, R.Mul(a0, b3));
                c10 = R.Add(c10, R.Mul(a1, b0)); c11 = R.Add(c11, R.Mul(a1, b1)); c12 = R.Add(c12, R.Mul(a1, b2)); c13 = R.Add(c13, R.Mul(a1, b3));
                c20 = R.Add(c20, R.Mul(a2, b0)); c21 = R.Add(c21, R.Mul(a2, b1)); c22 = R.Add(c22, R.Mul(a2, b2)); c23 = R.Add(c23, R.Mul(a2, b3));
                c30 = R.Add(c30, R.Mul(a3, b0)); c31 = R.Add(c31, R.Mul(a3, b1)); c32 = R.Add(c32, R.Mul(a3, b2)); c33 = R.Add(c33, R.Mul(a3, b3));
            }
            Group.Barrier();
        }
        int cBase = p.COffset + batch * p.CBatchStride;
        int r0 = row0 + ty, q0 = col0 + tx;
        StoreRow<T, R, E>(c, p, cBase, r0, q0, c00, c01, c02, c03);
        StoreRow<T, R, E>(c, p, cBase, r0 + Threads, q0, c10, c11, c12, c13);
        StoreRow<T, R, E>(c, p, cBase, r0 + 2 * Threads, q0, c20, c21, c22, c23);
        StoreRow<T, R, E>(c, p, cBase, r0 + 3 * Threads, q0, c30, c31, c32, c33);
    }

    /// <summary>Stores one row of a thread's block: columns <paramref name="col"/> + 16·j.</summary>
    private static void StoreRow<T, R, E>(ArrayView<T> c, in GpuGemmArgs p, int cBase, int row, int col, T v0, T v1, T v2, T v3)
        where T : unmanaged where R : struct, IGpuReal<T> where E : struct, IGpuGemmActivation<T>
    {
        if (row >= p.M) return;
        int at = cBase + row * p.Ldc + col;
        Store<T, R, E>(c, p, at, col, v0);
        Store<T, R, E>(c, p, at + Threads, col + Threads, v1);
        Store<T, R, E>(c, p, at + 2 * Threads, col + 2 * Threads, v2);
        Store<T, R, E>(c, p, at + 3 * Threads, col + 3 * Threads, v3);
    }

    /// <summary>C = alpha·acc (+ beta·C), then relu (NaN and -0 pass through) or GELU.</summary>
    private static void Store<T, R, E>(ArrayView<T> c, in GpuGemmArgs p, int at, int col, T acc)
        where T : unmanaged where R : struct, IGpuReal<T> where E : struct, IGpuGemmActivation<T>
    {
        if (col >= p.N) return;
        T v = R.Mul(R.OfSingle(p.Alpha), acc);
        if (p.Beta != 0f) v = R.Add(v, R.Mul(R.OfSingle(p.Beta), c[at]));
        if (p.Relu != 0 && R.Lt(v, R.Zero())) v = R.Zero();
        c[at] = E.Apply(v, p);
    }

    /// <summary>
    /// Loads (compiles) the float32 (<typeparamref name="T"/> = float) or float64 (double) kernel on
    /// <paramref name="accelerator"/>, which must allow groups of <c>Threads²</c> threads.
    /// </summary>
    /// <exception cref="NotSupportedException">Another element type, or the accelerator's groups are smaller.</exception>
    public static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuGemmArgs> Load<T>(Accelerator accelerator) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.MaxNumThreadsPerGroup < Threads * Threads)
            throw new NotSupportedException($"GPU GEMM: needs groups of {Threads * Threads} threads; {accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup}.");
        if (typeof(T) == typeof(float))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuGemmArgs>)(object)
                accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuGemmArgs>(Kernel<float, F32>);
        if (typeof(T) == typeof(double))
            return (Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuGemmArgs>)(object)
                accelerator.LoadKernel<ArrayView<double>, ArrayView<double>, ArrayView<double>, GpuGemmArgs>(Kernel<double, F64>);
        throw new NotSupportedException(Unsupported<T>());
    }

    /// <summary>
    /// Queues the float32 or float64 GEMM of <paramref name="p"/> over <paramref name="batch"/> entries on
    /// <paramref name="d"/>'s stream, after checking every operand's extent (K = 0 leaves C = beta·C, relu applied).
    /// </summary>
    /// <exception cref="NotSupportedException">An element type other than float and double.</exception>
    public static void Run<T>(GpuDevice d, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, in GpuGemmArgs p, int batch) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(d);
        if (p.Gelu is < 0 or > 2) throw new ArgumentException($"GPU GEMM: Gelu must be 0 (none), 1 (erf) or 2 (tanh), not {p.Gelu}.");
        bool gelu = p.Gelu != 0;
        Delegate kernel = typeof(T) == typeof(float)
                ? gelu ? (Action<ArrayView<float>, ArrayView<float>, ArrayView<float>, GpuGemmArgs>)GeluKernel<float, F32> : Kernel<float, F32>
            : typeof(T) == typeof(double)
                ? gelu ? (Action<ArrayView<double>, ArrayView<double>, ArrayView<double>, GpuGemmArgs>)GeluKernel<double, F64> : Kernel<double, F64>
            : throw new NotSupportedException(Unsupported<T>());
        CheckExtents(p, batch, a.Length, b.Length, c.Length);
        if (p.M == 0 || p.N == 0 || batch == 0) return;
        lock (d.Gate)
        {
            var k = gelu ? d.Kernel(kernel, acc => LoadGelu<T>(acc, kernel)) : d.Kernel(kernel, Load<T>);
            k(d.Stream, Config(p.M, p.N, batch), a, b, c, p);
        }
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuGemmArgs> LoadGelu<T>(Accelerator accelerator, Delegate kernel) where T : unmanaged
    {
        Load<T>(accelerator);   // the same checks
        return accelerator.LoadKernel((Action<ArrayView<T>, ArrayView<T>, ArrayView<T>, GpuGemmArgs>)kernel);
    }

    private static string Unsupported<T>() =>
        $"GPU GEMM: element type {typeof(T).Name} is not supported (float32 and float64 only; integer products have no GPU GEMM).";

    /// <summary>The launch shape of a GEMM with <paramref name="m"/>×<paramref name="n"/> outputs per batch entry.</summary>
    public static KernelConfig Config(int m, int n, int batch) =>
        new(new Index3D((n + Tile - 1) / Tile, (m + Tile - 1) / Tile, Math.Max(batch, 1)), new Index3D(Threads, Threads, 1));

    /// <summary>
    /// Checks that every element the launch reads or writes lies inside its view (so a wrong stride is an error here,
    /// not an out-of-bounds access on the device).
    /// </summary>
    /// <exception cref="ArgumentException">An operand's extent exceeds its view.</exception>
    public static void CheckExtents(in GpuGemmArgs p, int batch, long aLength, long bLength, long cLength)
    {
        if (p.M < 0 || p.N < 0 || p.K < 0 || batch < 0)
            throw new ArgumentException($"GPU GEMM: negative sizes (M={p.M}, N={p.N}, K={p.K}, batch={batch}).");
        if (p.M == 0 || p.N == 0 || batch == 0) return;
        static long Last(int offset, int batchStride, int batches, int rows, int rowStride, int cols, int colStride) =>
            offset + (long)(batches - 1) * batchStride + (long)(rows - 1) * rowStride + (long)(cols - 1) * colStride;
        if (p.K > 0 && Last(p.AOffset, p.ABatchStride, batch, p.M, p.ARowStride, p.K, p.AColStride) >= aLength)
            throw new ArgumentException($"GPU GEMM: A ({p.M}×{p.K}, strides {p.ARowStride}, {p.AColStride}, offset {p.AOffset}, batch stride {p.ABatchStride}) exceeds its {aLength} elements.");
        if (p.K > 0 && Last(p.BOffset, p.BBatchStride, batch, p.K, p.BRowStride, p.N, p.BColStride) >= bLength)
            throw new ArgumentException($"GPU GEMM: B ({p.K}×{p.N}, strides {p.BRowStride}, {p.BColStride}, offset {p.BOffset}, batch stride {p.BBatchStride}) exceeds its {bLength} elements.");
        if (Last(p.COffset, p.CBatchStride, batch, p.M, p.Ldc, p.N, 1) >= cLength)
            throw new ArgumentException($"GPU GEMM: C ({p.M}×{p.N}, ldc {p.Ldc}, offset {p.COffset}, batch stride {p.CBatchStride}) exceeds its {cLength} elements.");
    }
}

/// <summary>What a GEMM's store applies after alpha, beta and the relu flag: a kernel instantiation per kind.</summary>
internal interface IGpuGemmActivation<T> where T : unmanaged
{
    static abstract T Apply(T v, in GpuGemmArgs p);
}

/// <summary>Nothing more (the plain GEMM).</summary>
internal readonly struct NoActivation<T> : IGpuGemmActivation<T> where T : unmanaged
{
    public static T Apply(T v, in GpuGemmArgs p) => v;
}

/// <summary>GELU, erf form or (<see cref="GpuGemmArgs.Gelu"/> = 2) the tanh approximation, as the eager GPU kernels.</summary>
internal readonly struct GeluActivation<T, R> : IGpuGemmActivation<T> where T : unmanaged where R : struct, IGpuReal<T>
{
    public static T Apply(T v, in GpuGemmArgs p) => p.Gelu == 2 ? R.GeluTanh(v) : R.Gelu(v);
}
