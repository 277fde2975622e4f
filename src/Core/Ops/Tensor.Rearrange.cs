namespace Trace;

// Rearranging composites built from views, index_select and cat: they trace as those ops and get their gradients by
// composition (no kernel or op-table entry of their own).
public sealed partial class Tensor
{
    /// <summary>The elements reversed along each of <paramref name="dims"/>, as <c>torch.flip</c> (a copy: index_select with a descending arange).</summary>
    public Tensor Flip(params int[] dims)
    {
        const string op = "aten::flip";
        var seen = new bool[Math.Max(Dim, 1)];
        var t = this;
        foreach (int dim in dims)
        {
            int d = Shapes.NormDim(dim, Math.Max(Dim, 1), op);
            if (seen[d]) throw new ArgumentException($"{op}: dim {d} appears multiple times in the list of dims [{string.Join(", ", dims)}].");
            seen[d] = true;
            if (Dim == 0 || _shape[d] <= 1) continue;
            t = t.IndexSelect(d, Arange(_shape[d] - 1, -1, -1, Device));
        }
        return ReferenceEquals(t, this) ? Clone() : t;
    }

    /// <summary>
    /// The elements shifted by <paramref name="shifts"/>[i] places along <paramref name="dims"/>[i], wrapping around, as
    /// <c>torch.roll</c>; with no dims, the flattened tensor is rolled by the one shift and reshaped back.
    /// </summary>
    public Tensor Roll(int[] shifts, int[] dims)
    {
        const string op = "aten::roll";
        if (dims.Length == 0)
        {
            if (shifts.Length != 1) throw new ArgumentException($"{op}: with no dims, expected one shift, got [{string.Join(", ", shifts)}].");
            return Reshape(-1).Roll(shifts, [0]).Reshape(_shape);
        }
        if (shifts.Length != dims.Length)
            throw new ArgumentException($"{op}: shifts and dimensions must align: shifts [{string.Join(", ", shifts)}], dims [{string.Join(", ", dims)}].");
        var t = this;
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shapes.NormDim(dims[i], Dim, op), n = _shape[d];
            if (n == 0) continue;
            int s = ((shifts[i] % n) + n) % n;
            if (s == 0) continue;
            t = Cat([t.Narrow(d, n - s, s), t.Narrow(d, 0, n - s)], d);
        }
        return ReferenceEquals(t, this) ? Clone() : t;
    }

    /// <summary>Roll along one dim.</summary>
    public Tensor Roll(int shift, int dim) => Roll([shift], [dim]);

    /// <summary>
    /// The tensor tiled <paramref name="repeats"/>[i] times along each dim, as <c>tensor.repeat</c>: extra leading repeats add
    /// leading dims. An expand of an unsqueezed view, then a reshape (one copy).
    /// </summary>
    public Tensor Repeat(params int[] repeats)
    {
        const string op = "aten::repeat";
        if (repeats.Length < Dim)
            throw new ArgumentException($"{op}: number of dimensions of repeat dims ({repeats.Length}) can not be smaller than number of dimensions of tensor ({Dim}, shape {Shapes.Format(_shape)}).");
        if (repeats.Any(r => r < 0)) throw new ArgumentException($"{op}: repeats [{string.Join(", ", repeats)}] must be non-negative.");
        int lead = repeats.Length - Dim;
        var padded = Enumerable.Repeat(1, lead).Concat(_shape).ToArray();
        var split = new List<int>();
        var expanded = new List<int>();
        var result = new int[repeats.Length];
        for (int i = 0; i < repeats.Length; i++)
        {
            split.Add(1); split.Add(padded[i]);
            expanded.Add(repeats[i]); expanded.Add(padded[i]);
            result[i] = repeats[i] * padded[i];
        }
        return Reshape([.. split]).Expand([.. expanded]).Reshape(result);
    }

    /// <summary>
    /// <paramref name="steps"/> values evenly spaced from <paramref name="start"/> to <paramref name="end"/> inclusive, as
    /// <c>torch.linspace</c> (PyTorch's symmetric formula: the first half counts up from start, the second down from end, so both
    /// ends are exact). Made on the host and moved to <paramref name="device"/>; in a trace it is a constant.
    /// </summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw new ArgumentException($"aten::linspace: number of steps must be non-negative, got {steps}.");
        var v = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        int half = steps / 2;
        for (int i = 0; i < steps; i++) v[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
        var t = From(v, [steps]);
        if (dtype != DType.Float64)
        {
            using var _ = Dispatch.Internal();
            t = t.To(dtype);
        }
        var target = device ?? Trace.Device.Cpu;
        return target == t.Device ? t : CudaTransfer.Move(t, target);
    }
}
