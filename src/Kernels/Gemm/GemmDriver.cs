using System.Numerics;
using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>Tuning constants shared by every GEMM instantiation.</summary>
internal static class GemmTuning
{
    /// <summary>Problems with m*n*k at or below this use the direct (unpacked) loop.</summary>
    public const long DirectWork = 512;

    /// <summary>Problems with at most this many rows (vector-matrix products) use the direct loop: B is read once either way.</summary>
    public const int DirectMaxRows = 2;

    /// <summary>Problems with m*n*k below this stay on the calling thread (threading overhead dominates).</summary>
    public const long ParallelWork = 1L << 19;

    /// <summary>Each extra worker must get at least this much m*n*k work.</summary>
    public const long WorkPerThread = 1L << 18;

    /// <summary>Upper bound on worker threads (defaults to the processor count; tests and benchmarks may lower it).</summary>
    public static int MaxThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>Number of workers to use for a problem of m*n*k = <paramref name="work"/>.</summary>
    public static int Threads(long work, int maxThreads)
    {
        if (maxThreads <= 1 || work < ParallelWork) return 1;
        return (int)Math.Clamp(work / WorkPerThread, 1, maxThreads);
    }
}

/// <summary>Block sizes for one problem.</summary>
internal static class GemmBlocking
{
    /// <summary>
    /// Balanced block sizes no larger than the kernel's KC/MC/NC: e.g. k = 300 with KC = 256 gives two
    /// blocks of 150 rather than 256 + 44. MC and NC are rounded up to whole panels.
    /// </summary>
    public static void Steps<TK>(int m, int n, int k, out int kcStep, out int mcStep, out int ncStep)
        where TK : struct, IBlocking
    {
        kcStep = Ceil(k, Ceil(k, TK.KC));
        mcStep = RoundUp(Ceil(m, Ceil(m, TK.MC)), TK.MR);
        ncStep = RoundUp(Ceil(n, Ceil(n, TK.NC)), TK.NR);
    }

    public static int Ceil(int x, int y) => (x + y - 1) / y;

    public static int RoundUp(int x, int y) => (x + y - 1) / y * y;

    public static long RoundUp(long x, long y) => (x + y - 1) / y * y;
}

/// <summary>
/// The BLIS-style blocked GEMM driver for one kernel: five loops (NC, KC, MC, NR, MR) around the
/// micro-kernel, with packing of A and B blocks into per-thread buffers; large problems go to
/// <see cref="GemmParallel{T, TK}"/>.
/// </summary>
internal static unsafe class GemmDriver<T, TK> where T : unmanaged, INumber<T> where TK : struct, IGemmKernel<T>
{
    /// <summary>C = alpha*A·B + beta*C for strided A (m×k), B (k×n) and row-major C (row stride ldc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int m, int n, int k, T alpha, T* a, nint ars, nint acs, T* b, nint brs, nint bcs,
        T beta, T* c, nint ldc, int maxThreads, GemmEpilogue epilogue = GemmEpilogue.None)
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || T.IsZero(alpha))
        {
            GemmSmall.ScaleC(m, n, beta, c, ldc);
            GemmEpilogues.Apply(epilogue, c, m, n, ldc);
            return;
        }

        long work = (long)m * n * k;
        if (work <= GemmTuning.DirectWork || (m <= GemmTuning.DirectMaxRows && n >= 64) || (n == 1 && acs == 1 && brs == 1))
        {
            GemmSmall.Direct(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc);
            GemmEpilogues.Apply(epilogue, c, m, n, ldc);
            return;
        }

        int threads = GemmTuning.Threads(work, maxThreads);
        if (threads > 1)
        {
            GemmParallel<T, TK>.Run(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc, threads, epilogue);
            return;
        }

        Serial(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc, epilogue);
    }

    /// <summary>Single-threaded blocked GEMM (requires m, n, k &gt; 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Serial(int m, int n, int k, T alpha, T* a, nint ars, nint acs, T* b, nint brs, nint bcs,
        T beta, T* c, nint ldc, GemmEpilogue epilogue = GemmEpilogue.None)
    {
        int mr = TK.MR, nr = TK.NR;
        GemmBlocking.Steps<TK>(m, n, k, out int kcStep, out int mcStep, out int ncStep);
        long aElems = GemmBlocking.RoundUp((long)mcStep * kcStep, 64);
        long bytes = (aElems + (long)ncStep * kcStep) * sizeof(T);
        byte[] buffer = GemmWorkspace.Rent(bytes);
        try
        {
            T* ap = (T*)GemmWorkspace.Aligned(buffer);
            T* bp = ap + aElems;
            for (int jc = 0; jc < n; jc += ncStep)
            {
                int nc = Math.Min(ncStep, n - jc);
                for (int pc = 0; pc < k; pc += kcStep)
                {
                    int kc = Math.Min(kcStep, k - pc);
                    T betaBlock = pc == 0 ? beta : T.One;
                    GemmPack.PackB(kc, nc, b + pc * brs + jc * bcs, brs, bcs, bp, nr);
                    for (int ic = 0; ic < m; ic += mcStep)
                    {
                        int mc = Math.Min(mcStep, m - ic);
                        GemmPack.PackA(mc, kc, a + ic * ars + pc * acs, ars, acs, ap, mr);
                        Macro(mc, nc, kc, ap, bp, c + ic * ldc + jc, ldc, alpha, betaBlock, pc + kc >= k ? epilogue : GemmEpilogue.None);
                    }
                }
            }
        }
        finally
        {
            GemmWorkspace.Return(buffer);
        }
    }

    /// <summary>Runs the micro-kernel over a packed mc×kc block of A and kc×nc block of B.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Macro(int mc, int nc, int kc, T* ap, T* bp, T* c, nint ldc, T alpha, T beta, GemmEpilogue epilogue)
    {
        int mr = TK.MR, nr = TK.NR;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int nLive = Math.Min(nr, nc - jr);
            T* bPanel = bp + (nint)jr * kc;
            for (int ir = 0; ir < mc; ir += mr)
            {
                TK.Tile(Math.Min(mr, mc - ir), nLive, kc, ap + (nint)ir * kc, bPanel, c + ir * ldc + jr, ldc, alpha, beta);
            }
            // The mc × NR strip of C just written is still in L1/L2: finish it now.
            GemmEpilogues.Apply(epilogue, c + jr, mc, nLive, ldc);
        }
    }
}
