using System.Numerics;
using System.Runtime.InteropServices;

namespace Trace.Kernels;

/// <summary>
/// The LSTM cell's pointwise math, one pass per batch row (the row's 4·H gates stay in cache), gate order (i, f, g, o) as
/// PyTorch's. Forward: gates = input_gates + hidden_gates, activated in place into the workspace (σ, σ, tanh, σ), then
/// c' = f·c + i·g and h' = o·tanh(c'). The activations are <see cref="VectorMath"/>'s span kernels and the products and sums
/// are single IEEE operations in the composite's order, so the results equal the composed tensor ops bit for bit.
/// Backward, from dh' and dc' (either may be absent: zero): dc = dc' + dh'·o·(1 − tanh²c'), d(gates) =
/// (dc·g·i(1−i), dc·c·f(1−f), dc·i·(1−g²), dh'·tanh(c')·o(1−o)), dc_prev = dc·f. Matrices are row-major with a row
/// stride each (the input gates are often a step's slice of the whole sequence's projection); rows split across cores
/// for large batches.
/// </summary>
public static class LstmCellKernels
{
    /// <summary>Row buffers of one cell call: an array, the offset of row 0 and the row stride, in elements.</summary>
    /// <param name="Data">The storage; null for an absent operand (zero hidden gates, zero state, zero gradient).</param>
    /// <param name="Offset">Where row 0 starts.</param>
    /// <param name="RowStride">Elements from one row to the next.</param>
    public readonly record struct Rows<T>(T[]? Data, int Offset, int RowStride) where T : unmanaged
    {
        internal Span<T> Row(int r, int start, int length) => Data.AsSpan(Offset + r * RowStride + start, length);
    }

    /// <summary>
    /// The forward of <paramref name="rows"/> rows with <paramref name="hidden"/> units: reads <paramref name="inputGates"/>
    /// and <paramref name="hiddenGates"/> (4·hidden per row; hidden gates optional) and <paramref name="cx"/> (hidden per row,
    /// optional), writes <paramref name="hy"/>, <paramref name="cy"/> and the activated gates <paramref name="workspace"/>.
    /// </summary>
    public static void Forward<T>(Rows<T> inputGates, Rows<T> hiddenGates, Rows<T> cx, Rows<T> hy, Rows<T> cy, Rows<T> workspace, int rows, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        ParallelRange.Run(rows, Grain(hidden), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var w = workspace.Row(r, 0, 4 * h);
                if (hiddenGates.Data is null) inputGates.Row(r, 0, 4 * h).CopyTo(w);
                else SpanKernels.Binary<T, AddOp<T>>(hiddenGates.Row(r, 0, 4 * h), inputGates.Row(r, 0, 4 * h), w);
                Sigmoid<T>(w[..(2 * h)]);
                Tanh<T>(w.Slice(2 * h, h), w.Slice(2 * h, h));
                Sigmoid<T>(w[(3 * h)..]);
                Span<T> i = w[..h], f = w.Slice(h, h), g = w.Slice(2 * h, h), o = w[(3 * h)..];
                Span<T> c = cy.Row(r, 0, h), y = hy.Row(r, 0, h);
                SpanKernels.Binary<T, MulOp<T>>(i, g, c);
                if (cx.Data is not null)
                {
                    SpanKernels.Binary<T, MulOp<T>>(f, cx.Row(r, 0, h), y);
                    SpanKernels.Binary<T, AddOp<T>>(y, c, c);
                }
                Tanh<T>(c, y);
                SpanKernels.Binary<T, MulOp<T>>(o, y, y);
            }
        });
    }

    /// <summary>
    /// The backward of <see cref="Forward"/>: from the gradients <paramref name="gradHy"/> and <paramref name="gradCy"/>
    /// (hidden per row, each optional), the saved <paramref name="cx"/> (optional), <paramref name="cy"/> and
    /// <paramref name="workspace"/>, writes the gates' gradient <paramref name="gradGates"/> (4·hidden per row) and the
    /// previous cell state's <paramref name="gradCx"/>.
    /// </summary>
    public static void Backward<T>(Rows<T> gradHy, Rows<T> gradCy, Rows<T> cx, Rows<T> cy, Rows<T> workspace, Rows<T> gradGates, Rows<T> gradCx, int rows, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = hidden;
        ParallelRange.Run(rows, Grain(hidden), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var d = gradGates.Row(r, 0, 4 * h);
                Tanh<T>(cy.Row(r, 0, h), d[(3 * h)..]);   // tanh(c') in the o slot, overwritten below
                BackwardRow(workspace.Row(r, 0, 4 * h), gradHy.Data is null ? default : gradHy.Row(r, 0, h), gradCy.Data is null ? default : gradCy.Row(r, 0, h),
                    cx.Data is null ? default : cx.Row(r, 0, h), d, gradCx.Row(r, 0, h), h);
            }
        });
    }

    /// <summary>One row of the backward; an empty <paramref name="dh"/>, <paramref name="dcy"/> or <paramref name="cx"/> is zero. <paramref name="d"/>'s o slot holds tanh(c') on entry.</summary>
    private static void BackwardRow<T>(ReadOnlySpan<T> w, ReadOnlySpan<T> dh, ReadOnlySpan<T> dcy, ReadOnlySpan<T> cx, Span<T> d, Span<T> dcx, int h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool hasDh = !dh.IsEmpty, hasDc = !dcy.IsEmpty, hasCx = !cx.IsEmpty;
        int j = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var one = Vector<T>.One;
            for (; j <= h - Vector<T>.Count; j += Vector<T>.Count)
            {
                var i = new Vector<T>(w[j..]);
                var f = new Vector<T>(w[(h + j)..]);
                var g = new Vector<T>(w[(2 * h + j)..]);
                var o = new Vector<T>(w[(3 * h + j)..]);
                var tc = new Vector<T>(d[(3 * h + j)..]);
                var gh = hasDh ? new Vector<T>(dh[j..]) : Vector<T>.Zero;
                var dc = (hasDc ? new Vector<T>(dcy[j..]) : Vector<T>.Zero) + gh * o * (one - tc * tc);
                (dc * g * i * (one - i)).CopyTo(d[j..]);
                (hasCx ? dc * new Vector<T>(cx[j..]) * f * (one - f) : Vector<T>.Zero).CopyTo(d[(h + j)..]);
                (dc * i * (one - g * g)).CopyTo(d[(2 * h + j)..]);
                (gh * tc * o * (one - o)).CopyTo(d[(3 * h + j)..]);
                (dc * f).CopyTo(dcx[j..]);
            }
        }
        for (; j < h; j++)
        {
            T i = w[j], f = w[h + j], g = w[2 * h + j], o = w[3 * h + j], tc = d[3 * h + j];
            T gh = hasDh ? dh[j] : T.Zero;
            T dc = (hasDc ? dcy[j] : T.Zero) + gh * o * (T.One - tc * tc);
            d[j] = dc * g * i * (T.One - i);
            d[h + j] = hasCx ? dc * cx[j] * f * (T.One - f) : T.Zero;
            d[2 * h + j] = dc * i * (T.One - g * g);
            d[3 * h + j] = gh * tc * o * (T.One - o);
            dcx[j] = dc * f;
        }
    }

    /// <summary>
    /// Rows per worker: 2^16 gate elements each. A cell is fast per element (one core does a 32 × 1024 batch in ~15 µs
    /// forward, ~7 µs backward), so smaller batches run inline: waking a second worker cost more than it saved there.
    /// </summary>
    private static int Grain(int hidden) => Math.Max(1, ParallelRange.ElementwiseGrain / Math.Max(1, 4 * hidden));

    private static void Sigmoid<T>(Span<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) VectorMath.Sigmoid(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(x));
        else VectorMath.Sigmoid(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(x));
    }

    private static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) VectorMath.Tanh(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        else VectorMath.Tanh(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y));
    }
}
