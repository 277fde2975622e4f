using System.Runtime.CompilerServices;

namespace Trace.Kernels;

/// <summary>Up-front validation of GEMM arguments, so that bad input fails with a clear message.</summary>
internal static class GemmArgs
{
    /// <summary>Throws <see cref="ArgumentException"/> unless sizes, strides and span lengths are consistent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Validate(bool batched, int batch, int m, int n, int k,
        int aLength, long aBatch, long ars, long acs,
        int bLength, long bBatch, long brs, long bcs,
        int cLength, long cBatch, long ldc)
    {
        if (batch < 0 || m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"gemm: sizes must be non-negative ({Shape(batched, batch, m, n, k)}).");
        }

        if (m > 1 && ldc < n)
        {
            throw new ArgumentException($"gemm: ldc={ldc} must be at least n so rows of C do not overlap ({Shape(batched, batch, m, n, k)}).", "ldc");
        }

        string? error = Operand("A", aLength, batch, m, k, aBatch, ars, acs)
            ?? Operand("B", bLength, batch, k, n, bBatch, brs, bcs)
            ?? Operand("C", cLength, batch, m, n, cBatch, ldc, 1);
        if (error is not null)
        {
            throw new ArgumentException($"gemm: {error} ({Shape(batched, batch, m, n, k)}).", error[0] switch { 'A' => "a", 'B' => "b", _ => "c" });
        }
    }

    private static string Shape(bool batched, int batch, int m, int n, int k)
        => batched ? $"batch={batch}, m={m}, n={n}, k={k}" : $"m={m}, n={n}, k={k}";

    /// <summary>Null when the operand fits its span, else a description of the problem.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string? Operand(string name, int length, int batch, int rows, int cols,
        long batchStride, long rowStride, long colStride)
    {
        if (batch == 0 || rows == 0 || cols == 0) return null;
        if ((rows > 1 && rowStride < 0) || (cols > 1 && colStride < 0) || (batch > 1 && batchStride < 0))
        {
            return $"{name} strides must be non-negative (row {rowStride}, column {colStride}, batch {batchStride})";
        }

        Int128 need = 1;
        if (batch > 1) need += (Int128)(batch - 1) * batchStride;
        if (rows > 1) need += (Int128)(rows - 1) * rowStride;
        if (cols > 1) need += (Int128)(cols - 1) * colStride;
        if (length < need)
        {
            return $"{name} is too short: {rows}x{cols} with strides (row {rowStride}, column {colStride}"
                + (batch > 1 ? $", batch {batchStride}" : "") + $") needs {need} elements but the span has {length}";
        }

        return null;
    }
}
