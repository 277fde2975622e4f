using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>
/// The barrier-free schedule for short A (one MC block whose packed rows for all of k fit in L2): a chunk is one
/// NR-column panel of C computed over the whole depth, so each worker owns the columns it claims and no worker
/// ever waits for another between KC blocks. Each worker packs all of A into its own buffer (lazily, KC block by
/// KC block, during its first chunk) and packs each claimed B panel into its own scratch.
/// </summary>
internal sealed unsafe partial class GemmParallel<T, TK>
{
    /// <summary>Packed A (all KC blocks) at most this many bytes per worker: it stays in L2 between chunks.</summary>
    private const long ColumnsMaxABytes = 512 * 1024;

    /// <summary>Whether <see cref="WorkColumns"/> suits an m×k A (one MC block of <paramref name="mcStep"/> rows).</summary>
    private static bool UseColumns(int m, int k, int mcStep) =>
        m <= mcStep && GemmBlocking.RoundUp((long)m, TK.MR) * k * sizeof(T) <= ColumnsMaxABytes;

    /// <summary>Number of chunks (NR-column panels) of the column schedule.</summary>
    private long ColumnChunks => GemmBlocking.Ceil(_n, TK.NR);

    /// <summary>
    /// Claims column panels until none is left. Helpers return without waiting; the caller waits for
    /// <see cref="_done"/> afterwards, so nothing waits for a chunk that no running worker has claimed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WorkColumns()
    {
        int mr = TK.MR, nr = TK.NR;
        long chunks = ColumnChunks;
        long idx = Claim(chunks);
        if (idx < 0) return; // a late helper: everything is claimed
        int kBlocks = GemmBlocking.Ceil(_k, _kcStep);
        long aBlock = GemmBlocking.RoundUp((long)GemmBlocking.RoundUp(_m, mr) * _kcStep, 64);
        byte[] own = GemmWorkspace.Rent((aBlock * kBlocks + (long)_kcStep * nr) * sizeof(T));
        try
        {
            T* ownA = (T*)GemmWorkspace.Aligned(own);
            T* ownB = ownA + aBlock * kBlocks;
            int iPanels = (_m + mr - 1) / mr;
            bool aPacked = false;
            for (; idx >= 0; idx = Claim(chunks))
            {
                int j = (int)idx * nr;
                int ncLive = Math.Min(nr, _n - j);
                for (int pc = 0, blk = 0; pc < _k; pc += _kcStep, blk++)
                {
                    int kc = Math.Min(_kcStep, _k - pc);
                    T* ap = ownA + blk * aBlock;
                    if (!aPacked) GemmPack.PackA(_m, kc, _a + pc * _acs, _ars, _acs, ap, mr);
                    GemmPack.PackB(kc, ncLive, _b + pc * _brs + j * _bcs, _brs, _bcs, ownB, nr);
                    T beta = pc == 0 ? _beta : T.One;
                    for (int ip = 0; ip < iPanels; ip++)
                    {
                        TK.Tile(Math.Min(mr, _m - ip * mr), ncLive, kc, ap + (nint)ip * mr * kc, ownB,
                            _c + ip * mr * _ldc + j, _ldc, _alpha, beta);
                    }
                }

                aPacked = true;
                GemmEpilogues.Apply(_epilogue, _c + j, _m, ncLive, _ldc);
                Interlocked.Increment(ref _done);
            }
        }
        finally
        {
            GemmWorkspace.Return(own);
        }
    }
}
