using System.Numerics;
using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// Multi-threaded GEMM in which workers claim chunks of each cache block dynamically. The blocked loop
/// nest (NC, KC, MC) is walked identically by every worker, and a worker leaves a block only once all
/// of its chunks are done (which orders the KC-block updates of C and protects buffers being reused).
/// </summary>
/// <remarks>
/// <para>
/// A chunk is one NR-column B panel run down all MR-row A panels of the block. Each worker packs the
/// A block into its own buffer (A is packed once per worker rather than shared: moving freshly packed
/// panels between cores costs more than packing them again). With one MC block (m ≤ MC) the claimer
/// packs its B panel into its own scratch; with several, into a shared slot during the first MC block
/// so later MC blocks reuse it.
/// </para>
/// <para>
/// The caller is one worker and queues the others on the thread pool without waiting for them to
/// start. Nothing ever waits for work that no running worker has claimed, so the scheme cannot
/// deadlock and is never much slower than the caller alone: a late helper finds nothing left, skips
/// through the finished blocks and exits without touching buffers or operands. Dynamic claiming also
/// rebalances when one core is slowed by other load.
/// </para>
/// <para>
/// Short A (one MC block that packs small) takes the barrier-free column schedule instead (see
/// <see cref="WorkColumns"/>): there a chunk is one B panel over the whole depth.
/// </para>
/// </remarks>
internal sealed unsafe partial class GemmParallel<T, TK> : IThreadPoolWorkItem
    where T : unmanaged, INumber<T> where TK : struct, IGemmKernel<T>
{
    private readonly int _m, _n, _k, _kcStep, _mcStep, _ncStep;
    private readonly T _alpha, _beta;
    private readonly T* _a, _b, _c, _bp;
    private readonly nint _ars, _acs, _brs, _bcs, _ldc;
    private readonly GemmEpilogue _epilogue;
    private readonly bool _columns;
    private long _next, _done;

    private GemmParallel(int m, int n, int k, T alpha, T* a, nint ars, nint acs, T* b, nint brs, nint bcs,
        T beta, T* c, nint ldc, int kcStep, int mcStep, int ncStep, T* bp, GemmEpilogue epilogue, bool columns)
    {
        _epilogue = epilogue;
        _columns = columns;
        (_m, _n, _k, _alpha, _ars, _acs, _brs, _bcs, _beta, _ldc) = (m, n, k, alpha, ars, acs, brs, bcs, beta, ldc);
        (_kcStep, _mcStep, _ncStep) = (kcStep, mcStep, ncStep);
        _a = a;
        _b = b;
        _c = c;
        _bp = bp;
    }

    /// <summary>Runs C = alpha*A·B + beta*C on up to <paramref name="threads"/> workers (m, n, k &gt; 0).</summary>
    public static void Run(int m, int n, int k, T alpha, T* a, nint ars, nint acs, T* b, nint brs, nint bcs,
        T beta, T* c, nint ldc, int threads, GemmEpilogue epilogue = GemmEpilogue.None)
    {
        GemmBlocking.Steps<TK>(m, n, k, out int kcStep, out int mcStep, out int ncStep);
        if (UseColumns(m, k, mcStep))
        {
            var cols = new GemmParallel<T, TK>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc,
                kcStep, mcStep, ncStep, null, epilogue, columns: true);
            for (int i = 1; i < threads; i++) ThreadPool.UnsafeQueueUserWorkItem(cols, preferLocal: false);
            cols.WorkColumns();
            WaitAtLeast(ref cols._done, cols.ColumnChunks);
            return;
        }

        // Shared B slots are only needed when several MC blocks reuse the packed B panels.
        byte[]? buffer = m > mcStep ? GemmWorkspace.Rent((long)ncStep * kcStep * sizeof(T)) : null;
        try
        {
            T* bp = buffer is null ? null : (T*)GemmWorkspace.Aligned(buffer);
            var job = new GemmParallel<T, TK>(m, n, k, alpha, a, ars, acs, b, brs, bcs, beta, c, ldc,
                kcStep, mcStep, ncStep, bp, epilogue, columns: false);
            for (int i = 1; i < threads; i++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
            job.Work();
            // Work returns once every chunk of the last block is done; see the remarks on late helpers.
        }
        finally
        {
            if (buffer is not null) GemmWorkspace.Return(buffer);
        }
    }

    /// <summary>Thread-pool entry point of a helper worker.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_columns) WorkColumns();
        else Work();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Work()
    {
        int mr = TK.MR, nr = TK.NR;
        long chunkBase = 0;
        byte[]? own = null; // this worker's A block + one B panel, rented on first use
        T* ownA = null, ownB = null;
        try
        {
            for (int jc = 0; jc < _n; jc += _ncStep)
            {
                int nc = Math.Min(_ncStep, _n - jc);
                int jPanels = (nc + nr - 1) / nr;
                for (int pc = 0; pc < _k; pc += _kcStep)
                {
                    int kc = Math.Min(_kcStep, _k - pc);
                    T beta = pc == 0 ? _beta : T.One;
                    for (int ic = 0; ic < _m; ic += _mcStep)
                    {
                        int mc = Math.Min(_mcStep, _m - ic);
                        int iPanels = (mc + mr - 1) / mr;
                        // One chunk per B panel, run down all A panels of the block. Each worker packs the A
                        // block into its own buffer when it claims its first chunk of the block.
                        long end = chunkBase + jPanels;
                        bool ownAReady = false;
                        for (long idx; (idx = Claim(end)) >= 0;)
                        {
                            int jp = (int)(idx - chunkBase);
                            int ncLive = Math.Min(nr, nc - jp * nr);
                            if (own is null)
                            {
                                long aElems = GemmBlocking.RoundUp((long)_mcStep * _kcStep, 64);
                                own = GemmWorkspace.Rent((aElems + (long)_kcStep * nr) * sizeof(T));
                                ownA = (T*)GemmWorkspace.Aligned(own);
                                ownB = ownA + aElems;
                            }

                            if (!ownAReady)
                            {
                                GemmPack.PackA(mc, kc, _a + ic * _ars + pc * _acs, _ars, _acs, ownA, mr);
                                ownAReady = true;
                            }

                            T* bSrc = _b + pc * _brs + (jc + jp * nr) * _bcs;
                            T* bPanel = ownB;
                            if (_bp is not null)
                            {
                                // Several MC blocks: B panels live in shared slots, packed in the first one.
                                bPanel = _bp + (nint)jp * nr * kc;
                                if (ic == 0) GemmPack.PackB(kc, ncLive, bSrc, _brs, _bcs, bPanel, nr);
                            }
                            else
                            {
                                GemmPack.PackB(kc, ncLive, bSrc, _brs, _bcs, bPanel, nr);
                            }

                            for (int ip = 0; ip < iPanels; ip++)
                            {
                                TK.Tile(Math.Min(mr, mc - ip * mr), ncLive, kc, ownA + (nint)ip * mr * kc, bPanel,
                                    _c + (ic + ip * mr) * _ldc + jc + jp * nr, _ldc, _alpha, beta);
                            }

                            // After the last KC block this worker's mc × NR strip of C is final and still in cache.
                            if (pc + kc >= _k) GemmEpilogues.Apply(_epilogue, _c + ic * _ldc + jc + jp * nr, mc, ncLive, _ldc);

                            Interlocked.Increment(ref _done);
                        }

                        // Every chunk must finish before C is updated by the next KC block or shared
                        // panels are repacked.
                        WaitAtLeast(ref _done, end);
                        chunkBase = end;
                    }
                }
            }
        }
        finally
        {
            if (own is not null) GemmWorkspace.Return(own);
        }
    }

    /// <summary>Claims the next chunk index below <paramref name="end"/>, or returns -1 when none is left.</summary>
    private long Claim(long end)
    {
        while (true)
        {
            long cur = Volatile.Read(ref _next);
            if (cur >= end) return -1;
            if (Interlocked.CompareExchange(ref _next, cur + 1, cur) == cur) return cur;
        }
    }

    private static void WaitAtLeast(ref long counter, long target)
    {
        var spin = default(SpinWait);
        while (Volatile.Read(ref counter) < target) spin.SpinOnce(-1);
    }
}
