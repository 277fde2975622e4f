using Trace.Kernels;

namespace Trace;

/// <summary>
/// Argument checks and geometry shared by the convolution and pooling ops: (h, w) pairs from one or two ints, the
/// rules PyTorch enforces (channel counts against groups, kernel no larger than the padded input), worded as its errors.
/// </summary>
internal static class ConvChecks
{
    /// <summary>A one- or two-element int list as an (h, w) pair; each value at least <paramref name="min"/>.</summary>
    public static (int H, int W) Pair(int[] v, string op, string name, int min = 1)
    {
        ArgumentNullException.ThrowIfNull(v, name);
        if (v.Length is not (1 or 2))
            throw new ArgumentException($"{op}: {name} must be one int or a pair of ints, got {v.Length} values [{string.Join(", ", v)}].");
        var p = (v[0], v[^1]);
        if (p.Item1 < min || p.Item2 < min)
            throw new ArgumentException($"{op}: {name} must be {(min == 0 ? "non-negative" : "positive")}, got ({p.Item1}, {p.Item2}).");
        return p;
    }

    /// <summary>A pair as the int list the IR records.</summary>
    public static int[] Ints((int H, int W) p) => [p.H, p.W];

    /// <summary>Floating dtype (float32, float64) required.</summary>
    public static void RequireFloatingOn(Tensor t, string op)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{op}: expected a float32 or float64 input, got {t.DType.TorchName()} of shape {Shapes.Format(t.Shape.ToArray())}.");
    }

    /// <summary>A 4-D (N, C, H, W) floating input.</summary>
    public static void RequireImages(Tensor t, string op, string name)
    {
        if (t.Dim != 4)
            throw new ArgumentException($"{op}: expected a 4-D {name} (N, C, H, W), got shape {Shapes.Format(t.Shape.ToArray())}.");
        RequireFloatingOn(t, op);
    }

    /// <summary>Output positions must exist: the (dilated) kernel fits in the padded input.</summary>
    public static void CheckOutput(in Conv2dArgs a, string op, int[] inputShape)
    {
        if (a.OH > 0 && a.OW > 0) return;
        throw new ArgumentException($"{op}: calculated padded input size per channel: ({a.H + 2 * a.PH} x {a.W + 2 * a.PW}). Kernel size: ({(a.KH - 1) * a.DH + 1} x {(a.KW - 1) * a.DW + 1}). Kernel size can't be greater than actual input size (input of shape {Shapes.Format(inputShape)}).");
    }

    /// <summary>
    /// Checks a (transposed) convolution's operands — 4-D input and weight, channels against groups, bias of the output
    /// channels, one dtype and device — and returns its im2col geometry: of the input for a convolution, of the output for
    /// a transposed one (whose column count is the input's positions).
    /// </summary>
    public static Conv2dArgs Check(string op, Tensor input, Tensor weight, Tensor? bias, (int H, int W) s, (int H, int W) p, (int H, int W) d, int groups,
        bool transposed, (int H, int W) outputPadding = default)
    {
        ArgumentNullException.ThrowIfNull(weight);
        RequireImages(input, op, "input");
        if (weight.Dim != 4)
            throw new ArgumentException($"{op}: expected a 4-D weight ({(transposed ? "Cin, Cout/groups" : "Cout, Cin/groups")}, KH, KW), got shape {Shapes.Format(weight.Shape.ToArray())}.");
        if (groups <= 0) throw new ArgumentException($"{op}: non-positive groups is not supported, got groups={groups}.");
        ElementwiseDispatch.SameDevice(input, weight, op);
        if (weight.DType != input.DType)
            throw new ArgumentException($"{op}: input dtype {input.DType.TorchName()} and weight dtype {weight.DType.TorchName()} differ.");
        int n = input.Size(0), c = input.Size(1), h = input.Size(2), w = input.Size(3);
        int w0 = weight.Size(0), w1 = weight.Size(1), kh = weight.Size(2), kw = weight.Size(3);
        string ws = Shapes.Format(weight.Shape.ToArray()), xs = Shapes.Format(input.Shape.ToArray());
        int inCh = transposed ? w0 : w1 * groups, outCh = transposed ? w1 * groups : w0;
        if (c != inCh)
            throw new ArgumentException(transposed
                ? $"{op}: given transposed=1, weight of size {ws}, expected input {xs} to have {w0} channels, but got {c} channels instead."
                : $"{op}: given groups={groups}, weight of size {ws}, expected input {xs} to have {inCh} channels, but got {c} channels instead.");
        if (w0 % groups != 0)
            throw new ArgumentException($"{op}: given groups={groups}, expected weight {ws} to be divisible by {groups} at dimension 0.");
        if (bias is not null)
        {
            ElementwiseDispatch.SameDevice(input, bias, op);
            if (bias.Dim != 1 || bias.Size(0) != outCh || bias.DType != input.DType)
                throw new ArgumentException($"{op}: given weight of size {ws}, expected bias to be 1-D with {outCh} {input.DType.TorchName()} elements, but got bias of shape {Shapes.Format(bias.Shape.ToArray())} ({bias.DType.TorchName()}).");
        }
        if (!transposed)
        {
            var a = Conv2dArgs.Of(n, c, h, w, (kh, kw), s, p, d);
            CheckOutput(a, op, input.Shape.ToArray());
            a.Check(op);
            return a;
        }
        int oh = (h - 1) * s.H - 2 * p.H + d.H * (kh - 1) + outputPadding.H + 1, ow = (w - 1) * s.W - 2 * p.W + d.W * (kw - 1) + outputPadding.W + 1;
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: given input of shape {xs} and weight {ws}, the calculated output size ({oh} x {ow}) is too small.");
        var t = Conv2dArgs.Of(n, outCh, oh, ow, (kh, kw), s, p, d);
        if (t.OH != h || t.OW != w)
            throw new InvalidOperationException($"{op}: the output's im2col has {t.OH}×{t.OW} positions, not the input's {h}×{w}.");
        t.Check(op);
        return t;
    }
}
