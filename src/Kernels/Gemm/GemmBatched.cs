using System.Numerics;
using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// Batched GEMM: independent problems that share shapes and strides. When the problems are small (or
/// divide evenly among the workers) the workers claim whole problems dynamically, each solved
/// single-threaded so nothing is packed twice; otherwise the problems run one after another, each
/// multi-threaded internally.
/// </summary>
internal sealed unsafe class GemmBatchDriver<T, TK> : IThreadPoolWorkItem
    where T : unmanaged, INumber<T> where TK : struct, IGemmKernel<T>
{
    private readonly int _batch, _m, _n, _k;
    private readonly T _alpha, _beta;
    private readonly T* _a, _b, _c;
    private readonly nint _aBatch, _ars, _acs, _bBatch, _brs, _bcs, _cBatch, _ldc;
    private int _next, _done;

    private GemmBatchDriver(int batch, int m, int n, int k, T alpha, T* a, nint aBatch, nint ars, nint acs,
        T* b, nint bBatch, nint brs, nint bcs, T beta, T* c, nint cBatch, nint ldc)
    {
        (_batch, _m, _n, _k, _alpha, _beta) = (batch, m, n, k, alpha, beta);
        (_aBatch, _ars, _acs, _bBatch, _brs, _bcs, _cBatch, _ldc) = (aBatch, ars, acs, bBatch, brs, bcs, cBatch, ldc);
        _a = a;
        _b = b;
        _c = c;
    }

    /// <summary>C_i = alpha*A_i·B_i + beta*C_i for i in [0, batch), operand i at i times its batch stride.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int batch, int m, int n, int k, T alpha,
        T* a, nint aBatch, nint ars, nint acs, T* b, nint bBatch, nint brs, nint bcs,
        T beta, T* c, nint cBatch, nint ldc)
    {
        if (batch <= 0 || m <= 0 || n <= 0) return;
        int maxThreads = GemmTuning.MaxThreads;
        long work = (long)m * n * Math.Max(k, 1);
        int threads = batch == 1 ? 1 : GemmTuning.Threads(work * batch, maxThreads);
        bool overBatch = threads > 1 && (work < GemmTuning.ParallelWork || batch % threads == 0 || batch >= 4 * threads);
        if (!overBatch)
        {
            for (int i = 0; i < batch; i++)
            {
                GemmDriver<T, TK>.Run(m, n, k, alpha, a + i * aBatch, ars, acs, b + i * bBatch, brs, bcs,
                    beta, c + i * cBatch, ldc, maxThreads);
            }

            return;
        }

        // The caller works too and never waits for a helper that has not claimed anything, so late
        // helpers (busy thread pool) cost nothing; they find the batch finished and return.
        var job = new GemmBatchDriver<T, TK>(batch, m, n, k, alpha, a, aBatch, ars, acs, b, bBatch, brs, bcs, beta, c, cBatch, ldc);
        for (int i = 1; i < Math.Min(threads, batch); i++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        job.Work();
        var spin = default(SpinWait);
        while (Volatile.Read(ref job._done) < batch) spin.SpinOnce(-1);
    }

    /// <summary>Thread-pool entry point of a helper worker.</summary>
    void IThreadPoolWorkItem.Execute() => Work();

    private void Work()
    {
        for (int i; (i = Interlocked.Increment(ref _next) - 1) < _batch;)
        {
            GemmDriver<T, TK>.Run(_m, _n, _k, _alpha, _a + i * _aBatch, _ars, _acs, _b + i * _bBatch, _brs, _bcs,
                _beta, _c + i * _cBatch, _ldc, 1);
            Interlocked.Increment(ref _done);
        }
    }
}
