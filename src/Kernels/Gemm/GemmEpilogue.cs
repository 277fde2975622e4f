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

    /// <summary>GELU with the exact erf form, as <see cref="GeluOp"/> computes it.</summary>
    Gelu,

    /// <summary>GELU with the tanh approximation, as <see cref="GeluTanhOp"/> computes it.</summary>
    GeluTanh,
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
            switch (epilogue)
            {
                case GemmEpilogue.Relu: SpanKernels.Unary<T, ReluOp<T>>(row, row); break;
                case GemmEpilogue.Gelu when typeof(T) == typeof(float): SpanKernels.Unary<float, GeluOp>(Cast<T, float>(row), Cast<T, float>(row)); break;
                case GemmEpilogue.Gelu when typeof(T) == typeof(double): SpanKernels.Unary<double, GeluOp>(Cast<T, double>(row), Cast<T, double>(row)); break;
                case GemmEpilogue.GeluTanh when typeof(T) == typeof(float): SpanKernels.Unary<float, GeluTanhOp>(Cast<T, float>(row), Cast<T, float>(row)); break;
                case GemmEpilogue.GeluTanh when typeof(T) == typeof(double): SpanKernels.Unary<double, GeluTanhOp>(Cast<T, double>(row), Cast<T, double>(row)); break;
                default: throw new NotSupportedException($"GEMM epilogue {epilogue} is not defined for {typeof(T).Name}.");
            }
        }
    }

    private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> s) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<TFrom, TTo>(s);
}
