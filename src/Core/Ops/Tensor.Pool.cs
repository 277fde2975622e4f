using Trace.Kernels;

namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// 2-D max pooling (<c>F.max_pool2d(..., return_indices=True)</c>) of an (N, C, H, W) or (C, H, W) input: each
    /// window's maximum (NaN wins) and its flat index h·W + w within its plane — one op with two outputs, only the values
    /// differentiable. Stride defaults to the kernel size; padding is implicit −∞ and at most half the kernel.
    /// </summary>
    public ValuesIndices MaxPool2dWithIndices(int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode, null);

    /// <summary><see cref="MaxPool2dWithIndices(int[], int[], int[], int[], bool)"/>, or its out= form writing the values into <paramref name="out"/> (the indices are a new tensor).</summary>
    internal ValuesIndices MaxPool2dWithIndices(int[] kernelSize, int[]? stride, int[]? padding, int[]? dilation, bool ceilMode, Tensor? @out)
    {
        if (Dim == 3)
        {
            var r = Unsqueeze(0).MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode);
            return new(r.Values.Squeeze(0), r.Indices.Squeeze(0));
        }
        const string op = "aten::max_pool2d_with_indices";
        var (k, s, p, d) = PoolPairs(op, kernelSize, stride, padding, dilation);
        var a = PoolGeometry(op, k, s, p, d, ceilMode, adaptive: null);
        var call = new OpCall(op, ConvChecks.Ints(k), ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d), ceilMode);
        int[] outShape = [_shape[0], _shape[1], a.OH, a.OW];
        Tensor indices = null!;
        Tensor[] Compute()
        {
            var y = OutBuffer.Or(@out, outShape, DType, Device, op);
            indices = new Tensor((int[])outShape.Clone(), DType.Int64, Device, op: op);
            DeviceKernels.For(Device, op).Conv.MaxPool2d(Contiguous(), y, indices, a);
            return [y, indices];
        }
        if (@out is not null)
        {
            OutBuffer.Check(@out, outShape, DType, Device, op);
            var written = Dispatch.Out(call, @out, [this], Compute);
            return new(written[0], written[1]);
        }
        var outputs = Dispatch.Record(call, Compute, [this], _ => new Backward([g => g.MaxPool2dBackward(this, ConvChecks.Ints(k), ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d), ceilMode, indices)], [indices]));
        return new(outputs[0], outputs[1]);
    }

    /// <summary>Max pooling's values (<see cref="MaxPool2dWithIndices(int[], int[], int[], int[], bool)"/>).</summary>
    public Tensor MaxPool2d(int[] kernelSize, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false) =>
        MaxPool2dWithIndices(kernelSize, stride, padding, dilation, ceilMode).Values;

    /// <summary>
    /// <c>aten::max_pool2d_with_indices_backward</c>: the gradient of <paramref name="self"/> for this output gradient — each
    /// element added at its window's index. Linear in the gradient; its own backward gathers at the indices.
    /// </summary>
    internal Tensor MaxPool2dBackward(Tensor self, int[] k, int[] s, int[] p, int[] d, bool ceil, Tensor indices)
    {
        const string op = "aten::max_pool2d_with_indices_backward";
        var a = self.PoolGeometry(op, ConvChecks.Pair(k, op, "kernel_size"), ConvChecks.Pair(s, op, "stride"), ConvChecks.Pair(p, op, "padding", 0),
            ConvChecks.Pair(d, op, "dilation"), ceil, adaptive: null);
        RequirePoolGrad(op, self, a, indices);
        var call = new OpCall(op, k, s, p, d, ceil);
        int plane = a.H * a.W, outs = a.OH * a.OW;
        return Dispatch.Record(call, () =>
        {
            var gx = new Tensor((int[])self._shape.Clone(), DType, Device, op: op);
            DeviceKernels.For(Device, op).Conv.MaxPool2dBackward(Contiguous(), indices.Contiguous(), gx, a);
            return gx;
        }, [this, self, indices], [gg => gg.Reshape(a.Planes, plane).Gather(1, indices.Reshape(a.Planes, outs)).Reshape(_shape), null, null], indices);
    }

    /// <summary>
    /// 2-D average pooling (<c>F.avg_pool2d</c>) of an (N, C, H, W) or (C, H, W) input. Stride defaults to the kernel
    /// size; zero padding at most half the kernel; each window divided by its padded size (<paramref name="countIncludePad"/>),
    /// its size inside the input, or <paramref name="divisorOverride"/>.
    /// </summary>
    public Tensor AvgPool2d(int[] kernelSize, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true, int? divisorOverride = null)
    {
        if (Dim == 3) return Unsqueeze(0).AvgPool2d(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride).Squeeze(0);
        var (call, a) = AvgGeometry(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);
        return AvgPoolOp(call, a, g => g.AvgPool2dBackward(this, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride));
    }

    /// <summary>
    /// Adaptive 2-D average pooling (<c>F.adaptive_avg_pool2d</c>) to <paramref name="outputSize"/> (one int or (h, w)):
    /// output (i, j) averages rows [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and the columns likewise.
    /// </summary>
    public Tensor AdaptiveAvgPool2d(int[] outputSize)
    {
        if (Dim == 3) return Unsqueeze(0).AdaptiveAvgPool2d(outputSize).Squeeze(0);
        var (call, a) = AdaptiveGeometry(outputSize);
        return AvgPoolOp(call, a, g => g.AdaptiveAvgPool2dBackward(this));
    }

    /// <summary><c>aten::avg_pool2d_backward</c>: the gradient of <paramref name="self"/> for this output gradient (linear; its backward is avg_pool2d).</summary>
    internal Tensor AvgPool2dBackward(Tensor self, int[] kernelSize, int[]? stride, int[]? padding, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        var (forward, a) = self.AvgGeometry(kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride);
        return PoolBackward(new OpCall("aten::avg_pool2d_backward", forward.Attributes), self, a,
            gg => gg.AvgPoolOp(forward, a, g => g.AvgPool2dBackward(self, kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride)));
    }

    /// <summary><c>aten::_adaptive_avg_pool2d_backward</c>: the gradient of <paramref name="self"/> for this output gradient, whose spatial size is the pooling's.</summary>
    internal Tensor AdaptiveAvgPool2dBackward(Tensor self)
    {
        var (forward, a) = self.AdaptiveGeometry(Dim == 4 ? [_shape[2], _shape[3]] : [0]);
        return PoolBackward(new OpCall("aten::_adaptive_avg_pool2d_backward"), self, a, gg => gg.AvgPoolOp(forward, a, g => g.AdaptiveAvgPool2dBackward(self)));
    }

    private (OpCall Call, Pool2dArgs Args) AvgGeometry(int[] kernelSize, int[]? stride, int[]? padding, bool ceilMode, bool countIncludePad, int? divisorOverride)
    {
        const string op = "aten::avg_pool2d";
        if (divisorOverride is <= 0) throw new ArgumentException($"{op}: divisor must be positive, got divisor_override={divisorOverride}.");
        var (k, s, p, _) = PoolPairs(op, kernelSize, stride, padding, null);
        var a = PoolGeometry(op, k, s, p, (1, 1), ceilMode, adaptive: null) with { CountIncludePad = countIncludePad ? 1 : 0, DivisorOverride = divisorOverride ?? 0 };
        return (new OpCall(op, ConvChecks.Ints(k), ConvChecks.Ints(s), ConvChecks.Ints(p), ceilMode, countIncludePad, divisorOverride is int v ? (long)v : null), a);
    }

    private (OpCall Call, Pool2dArgs Args) AdaptiveGeometry(int[] outputSize)
    {
        const string op = "aten::adaptive_avg_pool2d";
        var o = ConvChecks.Pair(outputSize, op, "output_size");
        return (new OpCall(op, ConvChecks.Ints(o)), PoolGeometry(op, (1, 1), (1, 1), (0, 0), (1, 1), false, o));
    }

    private Tensor AvgPoolOp(OpCall call, Pool2dArgs a, Func<Tensor, Tensor> backward)
    {
        string op = call.Name;
        return Dispatch.Record(call, () =>
        {
            var y = new Tensor([_shape[0], _shape[1], a.OH, a.OW], DType, Device, op: op);
            DeviceKernels.For(Device, op).Conv.AvgPool2d(Contiguous(), y, a);
            return y;
        }, this, backward);
    }

    private Tensor PoolBackward(OpCall call, Tensor self, Pool2dArgs a, Func<Tensor, Tensor> backward)
    {
        string op = call.Name;
        RequirePoolGrad(op, self, a, null);
        return Dispatch.Record(call, () =>
        {
            var gx = new Tensor((int[])self._shape.Clone(), DType, Device, op: op);
            DeviceKernels.For(Device, op).Conv.AvgPool2dBackward(Contiguous(), gx, a);
            return gx;
        }, [this, self], [backward, null]);
    }

    private static ((int H, int W) K, (int H, int W) S, (int H, int W) P, (int H, int W) D) PoolPairs(string op, int[] kernelSize, int[]? stride, int[]? padding, int[]? dilation)
    {
        var k = ConvChecks.Pair(kernelSize, op, "kernel_size");
        var s = stride is null || stride.Length == 0 ? k : ConvChecks.Pair(stride, op, "stride");
        var p = ConvChecks.Pair(padding ?? [0], op, "padding", 0);
        var d = ConvChecks.Pair(dilation ?? [1], op, "dilation");
        return (k, s, p, d);
    }

    /// <summary>Checks a pooling input and its window rules (PyTorch's wording) and returns the geometry; <paramref name="adaptive"/> gives adaptive pooling's output size.</summary>
    private Pool2dArgs PoolGeometry(string op, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d, bool ceilMode, (int H, int W)? adaptive)
    {
        ConvChecks.RequireImages(this, op, "input");
        int h = _shape[2], w = _shape[3];
        if (h == 0 || w == 0)
            throw new ArgumentException($"{op}: expected input with non-zero spatial dims, got shape {Shapes.Format(_shape)}.");
        if (adaptive is { } o)
            return new Pool2dArgs { Planes = _shape[0] * _shape[1], H = h, W = w, OH = o.H, OW = o.W, Adaptive = 1 };
        if (p.H > ((k.H - 1) * d.H + 1) / 2 || p.W > ((k.W - 1) * d.W + 1) / 2)
            throw new ArgumentException($"{op}: pad should be at most half of effective kernel size, but got pad=({p.H}, {p.W}), kernel_size=({k.H}, {k.W}) and dilation=({d.H}, {d.W}).");
        int oh = Pool2dArgs.OutputSize(h, k.H, s.H, p.H, d.H, ceilMode), ow = Pool2dArgs.OutputSize(w, k.W, s.W, p.W, d.W, ceilMode);
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"{op}: given input size: ({_shape[1]}x{h}x{w}). Calculated output size: ({_shape[1]}x{oh}x{ow}). Output size is too small (kernel ({k.H}, {k.W}), stride ({s.H}, {s.W}), padding ({p.H}, {p.W}), dilation ({d.H}, {d.W})).");
        var a = new Pool2dArgs { Planes = _shape[0] * _shape[1], H = h, W = w, OH = oh, OW = ow, KH = k.H, KW = k.W, SH = s.H, SW = s.W, PH = p.H, PW = p.W, DH = d.H, DW = d.W };
        a.Check(op);
        return a;
    }

    /// <summary>A pooling backward's gradient must have the forward output's shape, dtype and device.</summary>
    private void RequirePoolGrad(string op, Tensor self, in Pool2dArgs a, Tensor? indices)
    {
        int[] expected = [self._shape[0], self._shape[1], a.OH, a.OW];
        if (!_shape.AsSpan().SequenceEqual(expected) || DType != self.DType || (indices is not null && (!indices._shape.AsSpan().SequenceEqual(expected) || indices.DType != DType.Int64)))
            throw new ArgumentException($"{op}: grad_output {DType.TorchName()} {Shapes.Format(_shape)} (and indices) must match the pooled output {self.DType.TorchName()} {Shapes.Format(expected)} of input {Shapes.Format(self._shape)}.");
        ElementwiseDispatch.SameDevice(this, self, op);
    }
}
