namespace Trace;

internal enum ReduceKind { Sum, Prod, Max, Min }

/// <summary>Values and indices returned by <c>Max(dim)</c>/<c>Min(dim)</c>.</summary>
public readonly record struct ValuesIndices(Tensor Values, Tensor Indices);

public sealed partial class Tensor
{
    /// <summary>Sum of all elements (integers and bools sum to int64).</summary>
    public Tensor Sum() => Sum(AllDims());
    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(int dim, bool keepdim = false) => Sum([dim], keepdim);
    /// <summary>Sum over several dims (an empty list sums over all dims, as in PyTorch).</summary>
    public Tensor Sum(int[] dims, bool keepdim = false) => Sum(dims, keepdim, null);

    /// <summary><see cref="Sum(int[], bool)"/>, or its out= form writing into <paramref name="out"/>.</summary>
    internal Tensor Sum(int[] dims, bool keepdim, Tensor? @out)
    {
        var mask = DimMask(dims, "aten::sum");
        return Dispatch.Run(new OpCall("aten::sum", MaskDims(mask), keepdim), @out, () => Reduce(ReduceKind.Sum, mask, keepdim, "aten::sum", @out), [this],
            _ => new(g => g.ExpandReduced(_shape, mask, keepdim)));
    }

    /// <summary>Product of all elements.</summary>
    public Tensor Prod() => Prod(AllDims(), false);
    /// <summary>Product over one dim.</summary>
    public Tensor Prod(int dim, bool keepdim = false) => Prod([dim], keepdim);

    internal Tensor Prod(int[] dims, bool keepdim)
    {
        var mask = DimMask(dims, "aten::prod");
        return Dispatch.Record(new OpCall("aten::prod", MaskDims(mask), keepdim), () => Reduce(ReduceKind.Prod, mask, keepdim, "aten::prod"), this, g =>
        {
            // d prod / d x_i = product of the others: exact with zeros (one zero: only it gets a gradient; two or more: none).
            var zero = Eq(0.0);
            var zeros = zero.To(DType).Sum(dims, keepdim: true);
            var nonzeroProd = Where(zero, OnesLike(), this).Prod(dims, keepdim: true);
            var others = Where(zero, Where(zeros.Eq(1.0), nonzeroProd, 0.0), Where(zeros.Eq(0.0), nonzeroProd.Div(this), 0.0));
            return g.ExpandReduced(_shape, mask, keepdim).Mul(others);
        }, this);
    }

    /// <summary>Mean of all elements (floating dtypes only, as in PyTorch).</summary>
    public Tensor Mean() => Mean(AllDims());
    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepdim = false) => Mean([dim], keepdim);
    /// <summary>Mean over several dims (an empty list means all dims).</summary>
    public Tensor Mean(int[] dims, bool keepdim = false)
    {
        RequireFloating("aten::mean");
        var mask = DimMask(dims, "aten::mean");
        long n = 1;
        for (int d = 0; d < Dim; d++) if (mask[d]) n *= _shape[d];
        return Sum(dims, keepdim).Div((double)n);
    }

    /// <summary>Largest element (NaN if any element is NaN).</summary>
    public Tensor Max() => Extreme(ReduceKind.Max, AllDims(), false, "aten::max");
    /// <summary>Smallest element.</summary>
    public Tensor Min() => Extreme(ReduceKind.Min, AllDims(), false, "aten::min");
    /// <summary>Largest values over dims (no indices), like <c>torch.amax</c>; ties share the gradient equally.</summary>
    public Tensor Amax(int[] dims, bool keepdim = false) => Extreme(ReduceKind.Max, dims, keepdim, "aten::amax");
    /// <summary>Smallest values over dims, like <c>torch.amin</c>.</summary>
    public Tensor Amin(int[] dims, bool keepdim = false) => Extreme(ReduceKind.Min, dims, keepdim, "aten::amin");
    /// <summary>Largest values along a dim and their (first) indices; the gradient goes to those indices.</summary>
    public ValuesIndices Max(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, true, "aten::max");
    /// <summary>Smallest values along a dim and their (first) indices.</summary>
    public ValuesIndices Min(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, false, "aten::min");
    /// <summary>Index of the largest element of the flattened tensor.</summary>
    public Tensor Argmax() => Reshape(-1).ArgExtreme(0, false, true, "aten::argmax").Indices;
    /// <summary>Indices of the largest elements along a dim.</summary>
    public Tensor Argmax(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, true, "aten::argmax").Indices;
    /// <summary>Index of the smallest element of the flattened tensor.</summary>
    public Tensor Argmin() => Reshape(-1).ArgExtreme(0, false, false, "aten::argmin").Indices;
    /// <summary>Indices of the smallest elements along a dim.</summary>
    public Tensor Argmin(int dim, bool keepdim = false) => ArgExtreme(dim, keepdim, false, "aten::argmin").Indices;

    /// <summary>True (0-dim bool) if any element is nonzero (NaN counts as nonzero; false when empty).</summary>
    public Tensor Any()
    {
        return Dispatch.Record("aten::any", () => Numel == 0 ? Scalar(false) : To(DType.Bool).Reduce(ReduceKind.Max, DimMask(AllDims(), "aten::any"), false, "aten::any"), this);
    }
    /// <summary>True (0-dim bool) if all elements are nonzero (true when empty).</summary>
    public Tensor All()
    {
        return Dispatch.Record("aten::all", () => Numel == 0 ? Scalar(true) : To(DType.Bool).Reduce(ReduceKind.Min, DimMask(AllDims(), "aten::all"), false, "aten::all"), this);
    }

    private Tensor Extreme(ReduceKind k, int[] dims, bool keepdim, string op)
    {
        if (Numel == 0 && dims.Length == Dim)
            throw new ArgumentException($"{op}: cannot perform reduction function on a tensor with no elements (shape {Shapes.Format(_shape)}) because the operation does not have an identity; specify a dim.");
        var mask = DimMask(dims, op);
        Tensor Compute() => Reduce(k, mask, keepdim, op);
        if (op is "aten::max" or "aten::min")
        {
            // max()/min() of everything: PyTorch's evenly_distribute_backward — the gradient is split evenly among the
            // elements equal to the result, or among the NaNs when the result is NaN.
            return Dispatch.Record(new OpCall(op), Compute, [this], r => new(g =>
            {
                var hit = Where(r.Ne(r), Ne(this), Eq(r)).To(DType);
                return g.Div(hit.Sum()).Mul(hit);
            }, this, r));
        }
        // amax/amin: PyTorch's scale_grad_by_count — split among the elements equal to the result (NaN rows get NaN).
        return Dispatch.Record(new OpCall(k == ReduceKind.Max ? "aten::amax" : "aten::amin", MaskDims(mask), keepdim), Compute, [this], r => new(g =>
        {
            var hit = Eq(r.ExpandReduced(_shape, mask, keepdim)).To(DType);
            return g.ExpandReduced(_shape, mask, keepdim).Div(hit.Sum(dims, keepdim: true)).Mul(hit);
        }, this, r));
    }

    private static int[] MaskDims(bool[] mask) => Enumerable.Range(0, mask.Length).Where(d => mask[d]).ToArray();

    /// <summary>Broadcasts a reduced result (or its gradient) back to the input shape.</summary>
    internal Tensor ExpandReduced(int[] inputShape, bool[] mask, bool keepdim)
    {
        var t = this;
        if (!keepdim)
        {
            var kept = new int[inputShape.Length];
            for (int d = 0; d < kept.Length; d++) kept[d] = mask[d] ? 1 : inputShape[d];
            t = t.Reshape(kept);
        }
        return t.Expand(inputShape);
    }

    private int[] AllDims() => Enumerable.Range(0, Dim).ToArray();

    private void RequireFloating(string op)
    {
        if (!IsFloatingPoint)
            throw new ArgumentException($"{op}: could not infer output dtype. Input dtype must be a floating point dtype, got {DType.TorchName()} (shape {Shapes.Format(_shape)}).");
    }

    private bool[] DimMask(int[] dims, string op)
    {
        var mask = new bool[Dim];
        if (dims.Length == 0) Array.Fill(mask, true);
        foreach (int dim in dims)
        {
            int d = Shapes.NormDim(dim, Dim, op);
            if (Dim > 0 && mask[d]) throw new ArgumentException($"{op}: dim {d} appears multiple times in the list of dims [{string.Join(", ", dims)}].");
            if (Dim > 0) mask[d] = true;
        }
        return mask;
    }

    /// <summary>A reduction over the masked dims into a new tensor, or into <paramref name="into"/> (an out= buffer of the result's shape and dtype).</summary>
    internal Tensor Reduce(ReduceKind k, bool[] mask, bool keepdim, string op, Tensor? into = null)
    {
        var kernels = DeviceKernels.For(Device, op).Reductions;
        if (k is ReduceKind.Max or ReduceKind.Min)
            for (int d = 0; d < Dim; d++)
                if (mask[d] && _shape[d] == 0)
                    throw new ArgumentException($"{op}: expected reduction dim {d} to have non-zero size (input shape {Shapes.Format(_shape)}).");
        var dt = DType;
        if (dt == DType.Bool && k is ReduceKind.Max or ReduceKind.Min) dt = DType.Int32;
        if (!dt.IsFloatingPoint() && k is ReduceKind.Sum or ReduceKind.Prod) dt = DType.Int64;
        var x = To(dt);
        var reduced = ReducedShape(mask, keepdim: false);
        if (into is not null)
        {
            if (DType == DType.Bool && k is ReduceKind.Max or ReduceKind.Min)
                throw new ArgumentException($"{op}: a bool max/min has no out= form (it reduces in int32).");
            OutBuffer.Check(into, ReducedShape(mask, keepdim), dt, Device, op);
            kernels.Reduce(k, x, mask, into.AsStrided(reduced, Shapes.ContiguousStrides(reduced), into.StorageOffset));
            return into;
        }
        var r = new Tensor(reduced, dt, Device, op: op);
        kernels.Reduce(k, x, mask, r);
        if (DType == DType.Bool && k is ReduceKind.Max or ReduceKind.Min) r = r.To(DType.Bool);
        if (!keepdim) return r;
        var full = ReducedShape(mask, keepdim: true);
        return r.AsStrided(full, Shapes.ContiguousStrides(full), r.StorageOffset);
    }

    /// <summary>The shape after reducing the masked dims (kept as size 1 with keepdim).</summary>
    internal int[] ReducedShape(bool[] mask, bool keepdim) => keepdim
        ? Enumerable.Range(0, Dim).Select(d => mask[d] ? 1 : _shape[d]).ToArray()
        : Enumerable.Range(0, Dim).Where(d => !mask[d]).Select(d => _shape[d]).ToArray();

    private ValuesIndices ArgExtreme(int dim, bool keepdim, bool max, string op)
    {
        var kernels = DeviceKernels.For(Device, op).Reductions;
        int rank = Math.Max(Dim, 1);
        int d = Shapes.NormDim(dim, rank, op);
        int len = Dim == 0 ? 1 : _shape[d];
        if (len == 0)
            throw new ArgumentException($"{op}: expected reduction dim {d} to have non-zero size (input shape {Shapes.Format(_shape)}).");
        var dt = DType == DType.Bool ? DType.Int32 : DType;
        // Move the reduced dim last and make rows contiguous.
        var perm = Enumerable.Range(0, rank).Where(i => i != d).Append(d).ToArray();
        int[] outShape = Dim == 0 ? [] : keepdim ? _shape.Select((s, i) => i == d ? 1 : s).ToArray() : _shape.Where((_, i) => i != d).ToArray();
        Tensor values = null!;   // computed with the indices
        Tensor Compute()
        {
            var rows = (Dim == 0 ? AsStrided([1], [1], StorageOffset) : this).To(dt).Permute(perm).Contiguous();
            int n = rows.Numel / len;
            values = new Tensor(outShape, dt, Device, op: op);
            var indices = new Tensor((int[])outShape.Clone(), DType.Int64, Device, op: op);
            kernels.ArgReduce(rows, n, len, max, values, indices);
            if (DType == DType.Bool) values = values.To(DType.Bool);
            return indices;
        }
        var call = new OpCall(op, d, keepdim);
        if (op is "aten::argmax" or "aten::argmin")
        {
            var argIndices = Dispatch.Record(call, Compute, this);
            return new(values, argIndices);
        }
        // aten::max.dim / aten::min.dim: one op with outputs (values, indices); only the values are differentiable.
        Tensor indices = null!;
        Func<Tensor, Tensor> rule = Dim == 0 ? g => g : g =>
        {
            // The gradient goes to the selected index of each row: g * onehot(index) along dim.
            var at = keepdim ? indices : indices.Unsqueeze(d);
            var positions = Arange(0, len, 1, Device).View(_shape.Select((_, i) => i == d ? len : 1).ToArray());
            var gk = keepdim ? g : g.Unsqueeze(d);
            return gk.Mul(positions.Eq(at).To(g.DType));
        };
        var outputs = Dispatch.Record(call, () =>
        {
            indices = Compute();
            return [values, indices];
        }, [this], _ => new Backward([rule], [indices]));
        return new(outputs[0], outputs[1]);
    }
}
