using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Trace.Kernels;

/// <summary>
/// What a GEMM applies to C after its final accumulation, strip by strip while the strip is still in cache
/// (instead of a separate pass over C).
/// </summary>
public enum GemmEpilogue
{
    /// <summary>C as computed.</summary>
    None,

    /// <summary>max(C, 0), as <see cref="ReluOp{T}"/> computes it (NaN stays NaN).</summary>
    Relu,
}

internal static unsafe class GemmEpilogues
{
    /// <summary>Applies <paramref name="epilogue"/> to the rows × cols block of C at <paramref name="c"/> (row stride ldc).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(GemmEpilogue epilogue, T* c, int rows, int cols, nint ldc) where T : unmanaged, INumber<T>
    {
        if (epilogue == GemmEpilogue.None || rows <= 0 || cols <= 0) return;
        for (int i = 0; i < rows; i++)
        {
            var row = new Span<T>(c + i * ldc, cols);
            SpanKernels.Unary<T, ReluOp<T>>(row, row);
        }
    }
}
