namespace Trace.Kernels;

/// <summary>
/// The geometry of a 2-D convolution's im2col: an input of N images of C channels, H×W, a KH×KW kernel with stride,
/// zero padding and dilation, and the OH×OW output positions. The column matrix of image n is (C·KH·KW) × (OH·OW):
/// row (c, kh, kw), column (oh, ow) holds input (c, oh·SH − PH + kh·DH, ow·SW − PW + kw·DW), zero outside the image —
/// PyTorch's <c>unfold</c>/<c>im2col</c> layout. The same struct drives the CPU loops and the GPU kernels.
/// </summary>
public struct Conv2dArgs
{
    /// <summary>Images, channels and the input's spatial size.</summary>
    public int N, C, H, W;
    /// <summary>Kernel size.</summary>
    public int KH, KW;
    /// <summary>Stride.</summary>
    public int SH, SW;
    /// <summary>Zero padding on each side.</summary>
    public int PH, PW;
    /// <summary>Dilation.</summary>
    public int DH, DW;
    /// <summary>Output positions.</summary>
    public int OH, OW;

    /// <summary>Output positions per image (columns of the column matrix).</summary>
    public readonly int L => OH * OW;

    /// <summary>Rows of the column matrix: C·KH·KW.</summary>
    public readonly int ColRows => C * KH * KW;

    /// <summary>Elements of one image's input plane stack (C·H·W).</summary>
    public readonly int ImageSize => C * H * W;

    /// <summary>The output length of one spatial dim: ⌊(size + 2·pad − dilation·(k − 1) − 1) / stride⌋ + 1 (may be ≤ 0).</summary>
    public static int OutputSize(int size, int k, int stride, int pad, int dilation) =>
        (int)Math.Floor((size + 2.0 * pad - (double)dilation * (k - 1) - 1) / stride) + 1;

    /// <summary>The geometry for the given sizes and hyperparameters (all (h, w) pairs); output sizes computed, not checked.</summary>
    public static Conv2dArgs Of(int n, int c, int h, int w, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation) => new()
    {
        N = n, C = c, H = h, W = w, KH = kernel.H, KW = kernel.W, SH = stride.H, SW = stride.W, PH = padding.H, PW = padding.W,
        DH = dilation.H, DW = dilation.W,
        OH = OutputSize(h, kernel.H, stride.H, padding.H, dilation.H), OW = OutputSize(w, kernel.W, stride.W, padding.W, dilation.W),
    };

    /// <summary>Checks that the sizes are positive where they must be and the element counts fit in an int.</summary>
    /// <exception cref="ArgumentException">A size is out of range.</exception>
    public readonly void Check(string op)
    {
        if (N < 0 || C < 0 || H < 0 || W < 0 || KH <= 0 || KW <= 0 || SH <= 0 || SW <= 0 || PH < 0 || PW < 0 || DH <= 0 || DW <= 0 || OH <= 0 || OW <= 0)
            throw new ArgumentException($"{op}: bad geometry (input {N}×{C}×{H}×{W}, kernel {KH}×{KW}, stride {SH}×{SW}, padding {PH}×{PW}, dilation {DH}×{DW}, output {OH}×{OW}).");
        if ((long)N * ColRows * L > int.MaxValue || (long)N * C * H * W > int.MaxValue)
            throw new ArgumentException($"{op}: the column matrix of {N}×{(long)ColRows}×{(long)L} elements exceeds 2³¹ elements.");
    }

    /// <summary>Element (row, column) of image n's column matrix: its input offset within the image, or −1 where it reads the zero padding.</summary>
    public readonly int Source(int row, int column)
    {
        int kw = row % KW, rest = row / KW, kh = rest % KH, c = rest / KH;
        int oh = column / OW, ow = column - oh * OW;
        int ih = oh * SH - PH + kh * DH, iw = ow * SW - PW + kw * DW;
        return (uint)ih < (uint)H && (uint)iw < (uint)W ? (c * H + ih) * W + iw : -1;
    }
}
