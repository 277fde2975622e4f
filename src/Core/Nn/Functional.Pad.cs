namespace Trace.Nn;

public static partial class Functional
{
    /// <summary>
    /// Pads <paramref name="input"/> as <c>torch.nn.functional.pad</c>: <paramref name="pads"/> holds (left, right) pairs from
    /// the last dim backwards (<c>[1, 2]</c> pads the last dim by 1 before and 2 after; <c>[1, 1, 2, 2]</c> also the one before
    /// it). Modes: "constant" (fills <paramref name="value"/>; negative pads crop), "reflect" (mirrors without repeating the
    /// edge; each pad must be smaller than its dim), "replicate" (repeats the edge), "circular" (wraps; pads at most the dim).
    /// Built from narrow, flip, expand and cat, so it traces and differentiates as those.
    /// </summary>
    public static Tensor Pad(Tensor input, int[] pads, string mode = "constant", double value = 0)
    {
        const string op = "aten::pad";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(pads);
        if (pads.Length % 2 != 0 || pads.Length / 2 > input.Dim)
            throw new ArgumentException($"{op}: padding length must be even and at most twice the input's rank ({pads.Length} values for shape {Shapes.Format(input.Shape)}).");
        if (mode is not ("constant" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException($"{op}: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '{mode}'.");
        if (mode != "constant" && value != 0)
            throw new ArgumentException($"{op}: padding mode '{mode}' doesn't take in value argument ({value}).");
        var x = input;
        for (int k = 0; k < pads.Length / 2; k++)
        {
            int d = input.Dim - 1 - k, left = pads[2 * k], right = pads[2 * k + 1];
            x = mode == "constant" ? ConstantPad(x, d, left, right, value, op) : EdgePad(x, d, left, right, mode, op);
        }
        return ReferenceEquals(x, input) ? input.Clone() : x;
    }

    private static Tensor ConstantPad(Tensor x, int d, int left, int right, double value, string op)
    {
        int n = x.Size(d);
        if (n + left + right < 0)
            throw new ArgumentException($"{op}: padding ({left}, {right}) of dimension {d} (size {n}) of input of shape {Shapes.Format(x.Shape)} gives a negative size {n + left + right}.");
        if (left < 0) { x = x.Narrow(d, -left, n + left); n += left; left = 0; }
        if (right < 0) { x = x.Narrow(d, 0, n + right); right = 0; }
        if (left == 0 && right == 0) return x;
        var parts = new List<Tensor>();
        if (left > 0) parts.Add(Block(x, d, left, value));
        parts.Add(x);
        if (right > 0) parts.Add(Block(x, d, right, value));
        return Tensor.Cat(parts, d);
    }

    private static Tensor Block(Tensor x, int d, int size, double value)
    {
        var shape = x.Shape.ToArray();
        shape[d] = size;
        return Tensor.Full(shape, value, x.DType, x.Device);
    }

    private static Tensor EdgePad(Tensor x, int d, int left, int right, string mode, string op)
    {
        int n = x.Size(d);
        if (left < 0 || right < 0)
            throw new ArgumentException($"{op}: negative padding ({left}, {right}) is only supported in 'constant' mode, not '{mode}'.");
        if (left == 0 && right == 0) return x;
        bool fits = mode switch { "reflect" => left < n && right < n, "circular" => left <= n && right <= n, _ => n > 0 };
        if (!fits)
            throw new ArgumentException(mode == "reflect"
                ? $"{op}: padding size should be less than the corresponding input dimension, but got: padding ({left}, {right}) at dimension {d} of input of shape {Shapes.Format(x.Shape)}."
                : mode == "circular"
                    ? $"{op}: padding value causes wrapping around more than once: padding ({left}, {right}) at dimension {d} of input of shape {Shapes.Format(x.Shape)}."
                    : $"{op}: cannot replicate-pad dimension {d} of size 0 (input of shape {Shapes.Format(x.Shape)}).");
        var parts = new List<Tensor>();
        if (left > 0) parts.Add(Edge(x, d, n, left, before: true, mode));
        parts.Add(x);
        if (right > 0) parts.Add(Edge(x, d, n, right, before: false, mode));
        return Tensor.Cat(parts, d);
    }

    /// <summary>The <paramref name="size"/> elements that go before (or after) dim <paramref name="d"/> of length <paramref name="n"/>.</summary>
    private static Tensor Edge(Tensor x, int d, int n, int size, bool before, string mode)
    {
        switch (mode)
        {
            case "reflect":
                return (before ? x.Narrow(d, 1, size) : x.Narrow(d, n - 1 - size, size)).Flip(d);
            case "circular":
                return before ? x.Narrow(d, n - size, size) : x.Narrow(d, 0, size);
            default:
                var edge = before ? x.Narrow(d, 0, 1) : x.Narrow(d, n - 1, 1);
                var shape = x.Shape.ToArray();
                shape[d] = size;
                return edge.Expand(shape);
        }
    }

    /// <summary>
    /// One-hot rows as <c>torch.nn.functional.one_hot</c>: an int64 tensor of <paramref name="indices"/>' shape plus a last dim of
    /// <paramref name="numClasses"/> (-1: one more than the largest index — a read of the data, which a trace guards on),
    /// with a 1 at each index. Built as a scatter of ones into zeros; an index outside [0, numClasses) is an error.
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        const string op = "aten::one_hot";
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType != DType.Int64)
            throw new ArgumentException($"{op}: one_hot is only applicable to index tensor of type int64, got {indices.DType.TorchName()}.");
        if (numClasses == -1)
        {
            if (indices.Numel == 0) throw new ArgumentException($"{op}: can not infer total number of classes from empty tensor (shape {Shapes.Format(indices.Shape)}).");
            numClasses = (int)indices.Max().Item<long>() + 1;
        }
        if (numClasses < 1 && indices.Numel > 0) throw new ArgumentException($"{op}: num_classes should be positive, got {numClasses}.");
        var shape = indices.Shape.Append(numClasses).ToArray();
        try
        {
            return Tensor.Zeros(shape, DType.Int64, indices.Device).Scatter(-1, indices.Unsqueeze(-1), 1.0);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(nameof(indices), $"{op}: class values must be in [0, {numClasses}) ({e.Message})");
        }
    }
}
