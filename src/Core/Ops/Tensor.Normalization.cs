namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Variance over dims (all dims when null or empty) with Bessel's correction by default (<paramref name="correction"/> = 1),
    /// divided by max(0, n − correction) as in PyTorch. Computed per output in float64, two-pass (see
    /// <see cref="Kernels.MomentKernels"/>): large offsets and magnitudes whose squares overflow float32 keep their variance.
    /// </summary>
    public Tensor Var(int[]? dims = null, int correction = 1, bool keepdim = false) => Moment(dims, correction, keepdim, std: false);

    /// <summary>
    /// Standard deviation: the square root of <see cref="Var"/>, taken in float64 before rounding. Its gradient at a
    /// zero deviation (a constant row) is 0, as PyTorch's std_backward masks it.
    /// </summary>
    public Tensor Std(int[]? dims = null, int correction = 1, bool keepdim = false) => Moment(dims, correction, keepdim, std: true);

    /// <summary>
    /// aten::var / aten::std: the reduced dims are moved last and made contiguous, rows go through
    /// <see cref="Kernels.MomentKernels.VarRows(float[], int, int, int, double, float[], bool)"/>. Backward, as PyTorch's
    /// var_backward and std_backward: 2/(n − correction)·g·(x − mean) (for a full reduction without degrees of freedom,
    /// g·(NaN where x = mean, else inf)); std first turns g into g/(2·std), 0 where std = 0.
    /// </summary>
    private Tensor Moment(int[]? dims, int correction, bool keepdim, bool std)
    {
        string op = std ? "aten::std" : "aten::var";
        RequireFloating(op);
        var kernels = DeviceKernels.For(Device, op).Rows;
        bool all = dims is null || dims.Length == 0;
        var mask = DimMask(dims ?? [], op);
        var reduced = MaskDims(mask);
        long n = 1;
        foreach (int d in reduced) n *= _shape[d];
        Tensor Compute()
        {
            var perm = Enumerable.Range(0, Dim).Where(d => !mask[d]).Concat(reduced).ToArray();
            var rows = (Dim == 0 ? Reshape(1) : Permute(perm)).Contiguous();
            var r = new Tensor(ReducedShape(mask, keepdim: false), DType, Device, op: op);
            int len = (int)n, count = r.Numel;
            kernels.Variance(rows, r, count, len, correction, std);
            return keepdim ? r.AsStrided(ReducedShape(mask, keepdim: true), Shapes.ContiguousStrides(ReducedShape(mask, keepdim: true)), 0) : r;
        }
        double dof = n - correction;
        Tensor VarBackward(Tensor g)
        {
            var centered = Sub(Mean(reduced, keepdim: true));
            var gx = g.ExpandReduced(_shape, mask, keepdim);
            if (all && dof <= 0) return gx.Mul(Where(centered.Eq(0.0), double.NaN, centered.Mul(0.0).Add(double.PositiveInfinity)));
            return gx.Mul(centered).Mul(2.0 / dof);
        }
        return Dispatch.Record(new OpCall(op, all ? Array.Empty<int>() : reduced, correction, keepdim), Compute, [this],
            r => new(std ? g => VarBackward(g.Div(r.Mul(2.0)).MaskedFill(r.Eq(0.0), 0)) : VarBackward, this, r));
    }

    /// <summary>log(sum(exp(x))) over dims, computed stably by subtracting the max.</summary>
    public Tensor LogSumExp(int[] dims, bool keepdim = false)
    {
        var x = IsFloatingPoint ? this : To(DTypes.DefaultFloat);
        var shift = x.StableShift(dims);
        var r = x.Sub(shift).Exp().Sum(dims, keepdim).Log();
        return r.Add(keepdim ? shift : shift.Reshape(ReducedShape(DimMask(dims, "aten::logsumexp"), keepdim: false)));
    }

    /// <summary>log(sum(exp(x))) over one dim.</summary>
    public Tensor LogSumExp(int dim, bool keepdim = false) => LogSumExp([dim], keepdim);

    /// <summary>Softmax along a dim: exp(x - max) / sum(exp(x - max)), one fused row kernel.</summary>
    public Tensor Softmax(int dim) => SoftmaxOp(dim, log: false, null);

    /// <summary>Log-softmax along a dim: (x - max) - log(sum(exp(x - max))), one fused row kernel.</summary>
    public Tensor LogSoftmax(int dim) => SoftmaxOp(dim, log: true, null);

    /// <summary>
    /// Softmax/log-softmax: the dim is moved last and made contiguous, rows go through
    /// <see cref="Kernels.SoftmaxKernels"/>, the result is viewed back. Backward:
    /// softmax y·(g − Σ g·y); log-softmax g − exp(y)·Σ g. With <paramref name="out"/>, the out= form (written there).
    /// </summary>
    internal Tensor SoftmaxOp(int dim, bool log, Tensor? @out)
    {
        string op = log ? "aten::log_softmax" : "aten::softmax";
        var kernels = DeviceKernels.For(Device, op).Rows;
        // As PyTorch ("softmax_lastdim_kernel_impl" not implemented for 'Long'): no integer softmax, and no silent cast.
        if (!IsFloatingPoint)
            throw new ArgumentException($"{op}: not implemented for {DType.TorchName()} tensors (shape {Shapes.Format(_shape)}); convert with .To(DType.Float32) first.");
        var x = this;
        int d = Shapes.NormDim(dim, Dim, op);
        Tensor Compute()
        {
            var rows = (Dim == 0 ? x.Reshape(1) : x.Transpose(d, -1)).Contiguous();
            int len = rows.Dim == 0 ? 1 : rows.Size(-1);
            int n = len == 0 ? 0 : rows.Numel / len;
            // Over the last dim the rows are the output's own layout, so an out= buffer takes the kernel's result directly.
            bool direct = @out is not null && (Dim == 0 || d == Dim - 1);
            var r = direct ? @out!.AsStrided(rows._shape, Shapes.ContiguousStrides(rows._shape), @out.StorageOffset) : new Tensor(rows._shape, rows.DType, Device, op: op);
            kernels.Softmax(rows, r, n, len, log);
            if (direct) return @out!;
            var y = Dim == 0 ? r.Reshape() : r.Transpose(d, -1);
            if (@out is null) return y;
            CopyStrided(@out, y, op);
            return @out;
        }
        if (@out is not null) OutBuffer.Check(@out, _shape, x.DType, Device, op);
        return Dispatch.Run(new OpCall(op, d), @out, Compute, [x], y => new(g => log
            ? g.Sub(y.Exp().Mul(g.Sum(d, keepdim: true)))
            : y.Mul(g.Sub(g.Mul(y).Sum(d, keepdim: true))), y));
    }

    /// <summary>
    /// The max over dims (keepdim), detached: subtracting it keeps exp() finite without changing softmax or
    /// logsumexp. Rows whose max is infinite shift by 0 instead (so that -inf rows don't become NaN early).
    /// </summary>
    private Tensor StableShift(int[] dims)
    {
        using var _ = Autograd.NoGrad();
        var m = Amax(dims, keepdim: true);
        return Where(m.Abs().Eq(double.PositiveInfinity), 0.0, m);
    }

    /// <summary>
    /// Layer normalization over the trailing dims given by <paramref name="normalizedShape"/>:
    /// (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance. The output of
    /// <see cref="NativeLayerNorm(int[], Tensor?, Tensor?, double)"/> (recorded as <c>aten::native_layer_norm</c>).
    /// </summary>
    public Tensor LayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        NativeLayerNorm(normalizedShape, weight, bias, eps).Output;

    /// <summary>
    /// PyTorch's <c>native_layer_norm</c>: the layer norm's output and the statistics it normalized with — the mean and
    /// the reciprocal standard deviation 1/sqrt(var + eps) of each normalized row, shaped as the input with the normalized
    /// dims of size 1, in the input's dtype. One op with three outputs: only the output is differentiable, and its backward
    /// reads the saved mean and rstd (a traced backward reads them from the forward node instead of recomputing them).
    /// </summary>
    public (Tensor Output, Tensor Mean, Tensor Rstd) NativeLayerNorm(int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        NativeLayerNorm(normalizedShape, weight, bias, eps, null);

    /// <summary><see cref="NativeLayerNorm(int[], Tensor?, Tensor?, double)"/>, or its out= form writing the output into <paramref name="out"/> (the statistics are new tensors).</summary>
    internal (Tensor Output, Tensor Mean, Tensor Rstd) NativeLayerNorm(int[] normalizedShape, Tensor? weight, Tensor? bias, double eps, Tensor? @out)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        int k = normalizedShape.Length;
        if (k == 0 || k > Dim || !_shape.AsSpan(Dim - k).SequenceEqual(normalizedShape))
            throw new ArgumentException($"aten::layer_norm: normalized_shape {Shapes.Format(normalizedShape)} does not match the trailing dims of input of shape {Shapes.Format(_shape)}.");
        foreach (var (p, name) in new[] { (weight, "weight"), (bias, "bias") })
            if (p is not null && !p._shape.AsSpan().SequenceEqual(normalizedShape))
                throw new ArgumentException($"aten::layer_norm: {name} of shape {Shapes.Format(p._shape)} must have normalized_shape {Shapes.Format(normalizedShape)}.");
        RequireFloating("aten::layer_norm");
        var kernels = DeviceKernels.For(Device, "aten::layer_norm").Rows;
        foreach (var p in new[] { weight, bias })
            if (p is not null && p.DType != DType)
                throw new ArgumentException($"aten::layer_norm: weight/bias dtype {p.DType.TorchName()} does not match input dtype {DType.TorchName()}.");
        int len = 1;
        foreach (int s in normalizedShape) len *= s;
        int rows = len == 0 ? 0 : Numel / len;
        var statShape = _shape.Select((s, i) => i < Dim - k ? s : 1).ToArray();   // (..., 1, 1): broadcasts over the normalized dims
        Tensor mean = null!, rstd = null!;   // written by Compute, read by the backward
        Tensor Compute()
        {
            var x = Contiguous();
            var (w, b) = (weight?.Contiguous(), bias?.Contiguous());
            var y = OutBuffer.Or(@out, (int[])_shape.Clone(), DType, Device, "aten::native_layer_norm");
            mean = new Tensor(statShape, DType, Device, op: "aten::layer_norm");
            rstd = new Tensor((int[])statShape.Clone(), DType, Device, op: "aten::layer_norm");
            kernels.LayerNorm(x, w, b, y, mean, rstd, rows, len, eps);
            return y;
        }
        var dims = Enumerable.Range(Dim - k, k).ToArray();
        var lead = Enumerable.Range(0, Dim - k).ToArray();
        // Backward with x̂ = (x − mean)·rstd: dx = rstd·(gw − mean(gw) − x̂·mean(gw·x̂)), gw = g·w; dw = Σ g·x̂; db = Σ g.
        // mean and rstd are this op's own outputs, so a traced backward reads them from the forward node.
        Tensor XHat() => Sub(mean).Mul(rstd);
        Tensor SumLead(Tensor t) => lead.Length == 0 ? t : t.Sum(lead);
        var call = new OpCall("aten::native_layer_norm", normalizedShape, eps);
        if (@out is not null)
        {
            var written = Dispatch.Out(call, @out, [this, weight, bias], () => [Compute(), mean, rstd]);
            return (written[0], written[1], written[2]);
        }
        var outputs = Dispatch.Record(call, () => [Compute(), mean, rstd], [this, weight, bias], _ => new Backward(
        [
            g =>
            {
                var gw = weight is null ? g : g.Mul(weight);
                var xhat = XHat();
                return gw.Sub(gw.Mean(dims, keepdim: true)).Sub(xhat.Mul(gw.Mul(xhat).Mean(dims, keepdim: true))).Mul(rstd);
            },
            g => SumLead(g.Mul(XHat())),
            g => SumLead(g),
        ], weight is null ? [this, mean, rstd] : [this, weight, mean, rstd]));
        return (outputs[0], outputs[1], outputs[2]);
    }
}
