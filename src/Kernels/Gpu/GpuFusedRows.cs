using ILGPU;

namespace Trace.Kernels.Gpu;

/// <summary>
/// The per-row values of a fused row program: stage k's reduction of the row lands in <c>Rk</c>, which the generated body
/// reads as a column value in later stages and in the result.
/// </summary>
public struct GpuRowState<T> where T : unmanaged
{
#pragma warning disable CS1591 // positional: Rk is stage k's value
    public T R0, R1, R2, R3, R4, R5, R6, R7;
#pragma warning restore CS1591

    /// <summary>The most stages a row program has.</summary>
    public const int MaxStages = 8;

    /// <summary>This state with stage <paramref name="k"/>'s value set to <paramref name="value"/>.</summary>
    public readonly GpuRowState<T> With(int k, T value)
    {
        var s = this;
        switch (k)
        {
            case 0: s.R0 = value; break; case 1: s.R1 = value; break; case 2: s.R2 = value; break; case 3: s.R3 = value; break;
            case 4: s.R4 = value; break; case 5: s.R5 = value; break; case 6: s.R6 = value; break; default: s.R7 = value; break;
        }
        return s;
    }

    /// <summary>Stage <paramref name="k"/>'s value.</summary>
    public readonly T Get(int k) => k switch { 0 => R0, 1 => R1, 2 => R2, 3 => R3, 4 => R4, 5 => R5, 6 => R6, _ => R7 };
}

/// <summary>
/// A generated row-program body (see <see cref="GpuFused"/>): the value stage <c>stage</c> reduces at one element of a
/// row, given the row's earlier stage values, and the result at one element. Emitted at run time like <see cref="IGpuFusedBody{T}"/>.
/// </summary>
public interface IGpuRowBody<T> where T : unmanaged
{
    /// <summary>The value stage <paramref name="stage"/> reduces at row <paramref name="r"/>, position <paramref name="i"/> (element <paramref name="j"/> of the domain).</summary>
    static abstract T Stage(GpuFusedArgs<T> a, GpuRowState<T> s, int stage, int r, int i, int j);

    /// <summary>The result at row <paramref name="r"/>, position <paramref name="i"/> (element <paramref name="j"/>), the row's stages done.</summary>
    static abstract T Eval(GpuFusedArgs<T> a, GpuRowState<T> s, int r, int i, int j);
}

/// <summary>
/// The row-program scaffold: a thread group per row (grid-stride over rows) walks the row once per stage — each thread
/// accumulating its strided share, then the shared-memory tree of <see cref="GpuGroup.Reduce{T, Op}"/>, which every thread
/// reads — and once more to store the results (or stores the last stage's value as the row's one element). Sums accumulate
/// in the element type, maxes propagate NaN; a given size always gives the same bits.
/// </summary>
public static class GpuFusedRows
{
    internal static void RowProgram<T, TNumber, TBody>(GpuFusedArgs<T> a)
        where T : unmanaged where TNumber : struct, IGpuNumber<T> where TBody : IGpuRowBody<T>
    {
        var scratch = SharedMemory.Allocate<T>(GpuGroup.MaxThreads);
        for (int r = Grid.IdxX; r < a.Rows; r += Grid.DimX)
        {
            int rowBase = r * a.Inner;
            var s = default(GpuRowState<T>);
            for (int stage = 0; stage < a.Stages; stage++)
            {
                T acc;
                if (((a.MaxStages >> stage) & 1) != 0)
                {
                    acc = TNumber.Lowest();
                    for (int i = Group.IdxX; i < a.Inner; i += Group.DimX) acc = MaxOp<T, TNumber>.Combine(TBody.Stage(a, s, stage, r, i, rowBase + i), acc);
                    acc = GpuGroup.Reduce<T, MaxOp<T, TNumber>>(scratch, acc);
                }
                else
                {
                    acc = TNumber.Zero();
                    for (int i = Group.IdxX; i < a.Inner; i += Group.DimX) acc = TNumber.Add(acc, TBody.Stage(a, s, stage, r, i, rowBase + i));
                    acc = GpuGroup.Reduce<T, SumOp<T, TNumber>>(scratch, acc);
                }
                s = s.With(stage, acc);
            }
            if (a.StoreRows != 0)
            {
                if (Group.IdxX == 0) a.Out[r] = s.Get(a.Stages - 1);
            }
            else
            {
                for (int i = Group.IdxX; i < a.Inner; i += Group.DimX) a.Out[rowBase + i] = TBody.Eval(a, s, r, i, rowBase + i);
            }
        }
    }
}
