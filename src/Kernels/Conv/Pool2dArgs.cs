namespace Trace.Kernels;

/// <summary>
/// The geometry of 2-D pooling over Planes planes of H×W (N·C of an NCHW tensor) into OH×OW outputs, with PyTorch's
/// window rules: max pooling reads rows oh·SH − PH + i·DH (i &lt; KH) inside the plane; average pooling the window
/// [oh·SH − PH, +KH) clamped to the plane, divided by the padded window's size (count_include_pad), the clamped size, or
/// a fixed divisor; adaptive average pooling the window [⌊oh·H/OH⌋, ⌈(oh+1)·H/OH⌉). The same struct drives the CPU
/// loops and the GPU kernels; the backward passes find the windows covering an input with <see cref="Covering"/>.
/// </summary>
public struct Pool2dArgs
{
    /// <summary>Planes and their input and output sizes.</summary>
    public int Planes, H, W, OH, OW;
    /// <summary>Kernel size, stride, padding and dilation (unused by adaptive pooling).</summary>
    public int KH, KW, SH, SW, PH, PW, DH, DW;
    /// <summary>1: adaptive average pooling windows.</summary>
    public int Adaptive;
    /// <summary>1: average pooling divides by the padded window's size.</summary>
    public int CountIncludePad;
    /// <summary>Nonzero: average pooling divides by this instead.</summary>
    public int DivisorOverride;

    /// <summary>
    /// PyTorch's pooling output size: ⌊(size + 2·pad − dilation·(k − 1) − 1 [+ stride − 1 with ceil_mode]) / stride⌋ + 1,
    /// less one when ceil_mode makes the last window start in the right padding (may be ≤ 0).
    /// </summary>
    public static int OutputSize(int size, int k, int stride, int pad, int dilation, bool ceilMode)
    {
        long num = (long)size + 2L * pad - (long)dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0);
        long o = (long)Math.Floor((double)num / stride) + 1;
        if (ceilMode && (o - 1) * stride >= size + pad) o--;
        return (int)Math.Clamp(o, int.MinValue, int.MaxValue);
    }

    /// <summary>Checks that sizes are in range and the element counts fit in an int.</summary>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public readonly void Check(string op)
    {
        bool windows = Adaptive != 0 || (KH > 0 && KW > 0 && SH > 0 && SW > 0 && PH >= 0 && PW >= 0 && DH > 0 && DW > 0);
        if (Planes < 0 || H <= 0 || W <= 0 || OH <= 0 || OW <= 0 || !windows)
            throw new ArgumentException($"{op}: bad geometry ({Planes} planes of {H}×{W} into {OH}×{OW}, kernel {KH}×{KW}, stride {SH}×{SW}, padding {PH}×{PW}, dilation {DH}×{DW}).");
        if ((long)Planes * H * W > int.MaxValue || (long)Planes * OH * OW > int.MaxValue)
            throw new ArgumentException($"{op}: {Planes} planes of {H}×{W} exceed 2³¹ elements.");
    }

    /// <summary>Average-pooling window of output row oh: [start, end) clamped to the plane; <paramref name="padded"/> is the padded window's length.</summary>
    public readonly void Rows(int oh, out int start, out int end, out int padded) => Window(oh, H, OH, KH, SH, PH, out start, out end, out padded);

    /// <summary>Average-pooling window of output column ow (see <see cref="Rows"/>).</summary>
    public readonly void Cols(int ow, out int start, out int end, out int padded) => Window(ow, W, OW, KW, SW, PW, out start, out end, out padded);

    private readonly void Window(int o, int size, int outSize, int k, int s, int p, out int start, out int end, out int padded)
    {
        if (Adaptive != 0)
        {
            start = (int)((long)o * size / outSize);
            end = (int)(((long)(o + 1) * size + outSize - 1) / outSize);
            padded = end - start;
            return;
        }
        start = o * s - p;
        end = Math.Min(start + k, size + p);
        padded = end - start;
        start = Math.Max(start, 0);
        end = Math.Min(end, size);
    }

    /// <summary>The divisor of average-pooling output (oh, ow).</summary>
    public readonly int Divisor(int oh, int ow)
    {
        if (DivisorOverride != 0) return DivisorOverride;
        Rows(oh, out int h0, out int h1, out int hp);
        Cols(ow, out int w0, out int w1, out int wp);
        return CountIncludePad != 0 && Adaptive == 0 ? hp * wp : (h1 - h0) * (w1 - w0);
    }

    /// <summary>
    /// The output rows [lo, hi) whose windows may cover input row h (a superset for dilated max pooling, where a window
    /// skips rows: callers test membership); <paramref name="max"/> selects max pooling's dilated windows.
    /// </summary>
    public readonly void Covering(int h, bool max, out int lo, out int hi) => Cover(h, H, OH, KH, SH, PH, max ? DH : 1, out lo, out hi);

    /// <summary>The output columns whose windows may cover input column w (see <see cref="Covering"/>).</summary>
    public readonly void CoveringCols(int w, bool max, out int lo, out int hi) => Cover(w, W, OW, KW, SW, PW, max ? DW : 1, out lo, out hi);

    private readonly void Cover(int i, int size, int outSize, int k, int s, int p, int d, out int lo, out int hi)
    {
        if (Adaptive != 0)
        {
            lo = (int)((long)i * outSize / size);
            hi = Math.Min(outSize, (int)(((long)(i + 1) * outSize + size - 1) / size));
            return;
        }
        // Window o spans [o·s − p, o·s − p + d·(k − 1)]: o ≥ ⌈(i + p − d·(k − 1)) / s⌉ and o ≤ ⌊(i + p) / s⌋.
        int first = i + p - d * (k - 1);
        lo = first <= 0 ? 0 : (first + s - 1) / s;
        hi = Math.Min(outSize, (i + p) / s + 1);
        if (hi < lo) hi = lo;
    }
}
