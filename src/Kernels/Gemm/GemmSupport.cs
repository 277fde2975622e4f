using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Trace.Kernels;

/// <summary>Micro-tile and cache-block sizes of a kernel.</summary>
internal interface IBlocking
{
    /// <summary>Rows of C per micro-tile (A panel height).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of C per micro-tile (B panel width, a multiple of the vector length).</summary>
    static abstract int NR { get; }

    /// <summary>Depth of a k block (packed A/B micro-panels of this depth stay in L1/L2).</summary>
    static abstract int KC { get; }

    /// <summary>Rows of A packed per block (an MC×KC block of A stays in L2); a multiple of MR.</summary>
    static abstract int MC { get; }

    /// <summary>Columns of B packed per block (a KC×NC block of B stays in L3); a multiple of NR.</summary>
    static abstract int NC { get; }
}

/// <summary>
/// A register-blocked GEMM micro-kernel plus the cache-blocking parameters that suit it.
/// Implementations are empty structs so that the generic driver is specialized (and the
/// static calls inlined) per kernel by the JIT.
/// </summary>
internal unsafe interface IGemmKernel<T> : IBlocking where T : unmanaged, INumber<T>
{
    /// <summary>
    /// C[0..mr, 0..nr] = alpha * Ap·Bp + beta * C (C not read when beta is zero), where Ap is a
    /// packed MR-strided panel and Bp a packed NR-strided panel, both of depth kc.
    /// </summary>
    static abstract void Tile(int mr, int nr, nint kc, T* ap, T* bp, T* c, nint ldc, T alpha, T beta);
}

/// <summary>A compile-time integer, used to specialize micro-kernels on the live tile height/width.</summary>
internal interface IGemmConst { static abstract int Value { get; } }

/// <summary>The compile-time integers 1..14 (JIT-specialized generic arguments of the micro-kernels).</summary>
internal static class GemmConst
{
    internal struct C1 : IGemmConst { public static int Value => 1; }
    internal struct C2 : IGemmConst { public static int Value => 2; }
    internal struct C3 : IGemmConst { public static int Value => 3; }
    internal struct C4 : IGemmConst { public static int Value => 4; }
    internal struct C5 : IGemmConst { public static int Value => 5; }
    internal struct C6 : IGemmConst { public static int Value => 6; }
    internal struct C7 : IGemmConst { public static int Value => 7; }
    internal struct C8 : IGemmConst { public static int Value => 8; }
    internal struct C9 : IGemmConst { public static int Value => 9; }
    internal struct C10 : IGemmConst { public static int Value => 10; }
    internal struct C11 : IGemmConst { public static int Value => 11; }
    internal struct C12 : IGemmConst { public static int Value => 12; }
    internal struct C13 : IGemmConst { public static int Value => 13; }
    internal struct C14 : IGemmConst { public static int Value => 14; }
}

/// <summary>Small vector helpers shared by the micro-kernels.</summary>
internal static class GemmMath
{
    /// <summary>Prefetches the rows×cols tile of C that a micro-kernel is about to update into L1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void PrefetchTile<T>(T* c, nint ldc, int rows, int cols) where T : unmanaged
    {
        if (!Sse.IsSupported) return;
        for (int i = 0; i < rows; i++)
        {
            byte* row = (byte*)(c + i * ldc);
            Sse.Prefetch0(row);
            Sse.Prefetch0(row + (cols * sizeof(T) - 1));
        }
    }

    /// <summary>x*y + acc, fused when the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        return x * y + acc;
    }

    /// <summary>x*y + acc, fused when the hardware has FMA (plain multiply-add otherwise).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged
    {
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported)
        {
            if (typeof(T) == typeof(float))
                return Vector256.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double))
                return Vector256.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        }
        return x * y + acc;
    }

    /// <summary>Stores one row of a register tile: c = alpha*v (+ beta*c unless overwriting).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store<T, TN>(T* c, Vector512<T> v0, Vector512<T> v1, Vector512<T> va, Vector512<T> vb, bool overwrite)
        where T : unmanaged where TN : struct, IGemmConst
    {
        if (overwrite)
        {
            Vector512.Store(v0 * va, c);
            if (TN.Value > 1) Vector512.Store(v1 * va, c + Vector512<T>.Count);
        }
        else
        {
            Vector512.Store(Fma(v0, va, Vector512.Load(c) * vb), c);
            if (TN.Value > 1) Vector512.Store(Fma(v1, va, Vector512.Load(c + Vector512<T>.Count) * vb), c + Vector512<T>.Count);
        }
    }

    /// <summary>Stores one row of a register tile: c = alpha*v (+ beta*c unless overwriting).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store<T, TN>(T* c, Vector256<T> v0, Vector256<T> v1, Vector256<T> va, Vector256<T> vb, bool overwrite)
        where T : unmanaged where TN : struct, IGemmConst
    {
        if (overwrite)
        {
            Vector256.Store(v0 * va, c);
            if (TN.Value > 1) Vector256.Store(v1 * va, c + Vector256<T>.Count);
        }
        else
        {
            Vector256.Store(Fma(v0, va, Vector256.Load(c) * vb), c);
            if (TN.Value > 1) Vector256.Store(Fma(v1, va, Vector256.Load(c + Vector256<T>.Count) * vb), c + Vector256<T>.Count);
        }
    }

    /// <summary>Writes a tile computed into a dense scratch buffer (row stride <paramref name="tileStride"/>) into C.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void MergeTile<T>(int mr, int nr, T* tile, nint tileStride, T* c, nint ldc, T alpha, T beta)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < mr; i++)
        {
            T* src = tile + i * tileStride;
            T* dst = c + i * ldc;
            if (T.IsZero(beta))
            {
                for (int j = 0; j < nr; j++) dst[j] = alpha * src[j];
            }
            else
            {
                for (int j = 0; j < nr; j++) dst[j] = alpha * src[j] + beta * dst[j];
            }
        }
    }
}

/// <summary>
/// Per-thread packing workspace: pinned (pinned-object-heap) byte arrays, rented for the duration of
/// one GEMM and returned afterwards, so the hot path never allocates once warmed up. Each thread
/// caches two buffers (a threaded GEMM's caller holds a shared buffer and its own at the same time);
/// renting rather than using the thread-static directly keeps re-entrant use on one thread safe.
/// The largest buffer is about KC·(MC + NC) elements (≈4.4 MB for float), kept while the thread lives.
/// </summary>
internal static unsafe class GemmWorkspace
{
    [ThreadStatic] private static byte[]? t_first;
    [ThreadStatic] private static byte[]? t_second;

    /// <summary>Gets a pinned buffer with at least <paramref name="bytes"/> usable bytes after 64-byte alignment.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static byte[] Rent(long bytes)
    {
        long need = bytes + 64;
        byte[]? buf;
        if (t_first is { } first && first.LongLength >= need && (t_second is null || t_second.LongLength < need || first.Length <= t_second.Length))
        {
            buf = first;
            t_first = null;
        }
        else if (t_second is { } second && second.LongLength >= need)
        {
            buf = second;
            t_second = null;
        }
        else
        {
            buf = GC.AllocateUninitializedArray<byte>(checked((int)need), pinned: true);
        }

        return buf;
    }

    /// <summary>Hands a rented buffer back to this thread's cache (keeping the two largest).</summary>
    public static void Return(byte[] buffer)
    {
        if (t_first is null) t_first = buffer;
        else if (t_second is null) t_second = buffer;
        else if (t_first.Length < t_second.Length) { if (t_first.Length < buffer.Length) t_first = buffer; }
        else if (t_second.Length < buffer.Length) t_second = buffer;
    }

    /// <summary>The first 64-byte-aligned address inside a pinned buffer.</summary>
    public static byte* Aligned(byte[] pinned)
    {
        nuint p = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (byte*)((p + 63) & ~(nuint)63);
    }
}
