using Trace.Kernels;

namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>im2col</c> (<c>F.unfold</c>): the sliding KH×KW blocks of an (N, C, H, W) input as columns of an
    /// (N, C·KH·KW, L) tensor, L the number of block positions; zero padding. Its backward is <see cref="Col2Im"/>.
    /// </summary>
    public Tensor Im2Col(int[] kernelSize, int[] dilation, int[] padding, int[] stride)
    {
        const string op = "aten::im2col";
        var (k, d, p, s) = (ConvChecks.Pair(kernelSize, op, "kernel_size"), ConvChecks.Pair(dilation, op, "dilation"), ConvChecks.Pair(padding, op, "padding", 0), ConvChecks.Pair(stride, op, "stride"));
        ConvChecks.RequireImages(this, op, "input");
        var a = Conv2dArgs.Of(_shape[0], _shape[1], _shape[2], _shape[3], k, s, p, d);
        ConvChecks.CheckOutput(a, op, _shape);
        var call = new OpCall(op, ConvChecks.Ints(k), ConvChecks.Ints(d), ConvChecks.Ints(p), ConvChecks.Ints(s));
        return Dispatch.Record(call, () =>
        {
            var cols = new Tensor([a.N, a.ColRows, a.L], DType, Device, op: op);
            DeviceKernels.For(Device, op).Conv.Im2Col(Contiguous(), cols, a);
            return cols;
        }, this, g => g.Col2Im([a.H, a.W], kernelSize, dilation, padding, stride));
    }

    /// <summary>
    /// PyTorch's <c>col2im</c> (<c>F.fold</c>): sums the columns of an (N, C·KH·KW, L) tensor back into an (N, C, H, W)
    /// image of <paramref name="outputSize"/> — the adjoint of <see cref="Im2Col"/> (overlapping blocks add).
    /// </summary>
    public Tensor Col2Im(int[] outputSize, int[] kernelSize, int[] dilation, int[] padding, int[] stride)
    {
        const string op = "aten::col2im";
        var (o, k, d, p, s) = (ConvChecks.Pair(outputSize, op, "output_size"), ConvChecks.Pair(kernelSize, op, "kernel_size"), ConvChecks.Pair(dilation, op, "dilation"),
            ConvChecks.Pair(padding, op, "padding", 0), ConvChecks.Pair(stride, op, "stride"));
        ConvChecks.RequireFloatingOn(this, op);
        if (Dim != 3 || _shape[1] % (k.H * k.W) != 0)
            throw new ArgumentException($"{op}: expected a 3-D input (N, C·{k.H}·{k.W}, L) whose dim 1 divides by the kernel's {k.H * k.W} elements, got shape {Shapes.Format(_shape)}.");
        var a = Conv2dArgs.Of(_shape[0], _shape[1] / (k.H * k.W), o.H, o.W, k, s, p, d);
        if (a.OH <= 0 || a.OW <= 0 || a.L != _shape[2])
            throw new ArgumentException($"{op}: given output_size=({o.H}, {o.W}), kernel_size=({k.H}, {k.W}), dilation=({d.H}, {d.W}), padding=({p.H}, {p.W}), stride=({s.H}, {s.W}), expected size of input's dimension 2 to match the calculated number of sliding blocks {a.OH} * {a.OW} = {a.L}, but got input.size(2)={_shape[2]}.");
        var call = new OpCall(op, ConvChecks.Ints(o), ConvChecks.Ints(k), ConvChecks.Ints(d), ConvChecks.Ints(p), ConvChecks.Ints(s));
        return Dispatch.Record(call, () =>
        {
            var x = new Tensor([a.N, a.C, a.H, a.W], DType, Device, op: op);
            DeviceKernels.For(Device, op).Conv.Col2Im(Contiguous(), x, a);
            return x;
        }, this, g => g.Im2Col(kernelSize, dilation, padding, stride));
    }

    /// <summary>
    /// 2-D convolution (<c>torch.nn.functional.conv2d</c>): input (N, C, H, W) or unbatched (C, H, W), weight
    /// (Cout, C/groups, KH, KW), optional bias (Cout); zero padding. Stride, padding and dilation are one value or an
    /// (h, w) pair. The CPU runs it as im2col per image over the packed GEMM, the bias written before the GEMM accumulates.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim == 3) return Conv2d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
        return ConvOp("aten::conv2d", input, weight, bias, stride ?? [1], padding ?? [0], dilation ?? [1], groups, GemmEpilogue.None, null);
    }

    /// <summary>The out= form of a 4-D conv2d (or, with <paramref name="relu"/>, of <c>trace::conv2d_relu</c>): the result is written into <paramref name="out"/>.</summary>
    internal static Tensor Conv2dOut(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups, bool relu, Tensor @out) =>
        ConvOp(relu ? "trace::conv2d_relu" : "aten::conv2d", input, weight, bias, stride, padding, dilation, groups, relu ? GemmEpilogue.Relu : GemmEpilogue.None, @out);

    /// <summary>relu(conv2d(...)) as one op, the ReLU applied by the GEMM to the output while it is in cache (the JIT's <c>trace::conv2d_relu</c>).</summary>
    internal static Tensor Conv2dRelu(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups) =>
        ConvOp("trace::conv2d_relu", input, weight, bias, stride, padding, dilation, groups, GemmEpilogue.Relu, null);

    private static Tensor ConvOp(string op, Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding, int[] dilation, int groups, GemmEpilogue epilogue, Tensor? @out)
    {
        var (s, p, d) = (ConvChecks.Pair(stride, op, "stride"), ConvChecks.Pair(padding, op, "padding", 0), ConvChecks.Pair(dilation, op, "dilation"));
        var a = ConvChecks.Check(op, input, weight, bias, s, p, d, groups, transposed: false);
        int cout = weight._shape[0], cog = cout / groups, kg = a.ColRows / groups;
        var call = new OpCall(op, ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d), groups);
        var (k, st, pd, dl) = (ConvChecks.Ints((a.KH, a.KW)), ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d));
        int[] shape = [a.N, cout, a.OH, a.OW];
        Tensor Compute()
        {
            var y = OutBuffer.Or(@out, shape, input.DType, input.Device, op);
            DeviceKernels.For(input.Device, op).Conv.Conv2d(input.Contiguous(), weight.Contiguous(), bias?.Contiguous(), y, a, groups, epilogue);
            return y;
        }
        if (@out is not null)
        {
            OutBuffer.Check(@out, shape, input.DType, input.Device, op);
            return Dispatch.Out(call, @out, [input, weight, bias], Compute);
        }
        return Dispatch.Record(call, Compute, [input, weight, bias], y =>
        {
            // g (N, Cout, OH, OW) as (N, G, Cout/G, L); with ReLU, masked where the output is 0 (as relu's backward).
            Tensor? seen = null, grouped = null;
            Tensor G(Tensor g)
            {
                if (ReferenceEquals(g, seen)) return grouped!;
                seen = g;
                var pre = epilogue == GemmEpilogue.Relu ? Where(y.Le(0.0), 0.0, g) : g;
                return grouped = pre.Reshape(a.N, groups, cog, a.L);
            }
            Func<Tensor, Tensor>?[] rules =
            [
                g => Conv2dInputBackward(G(g).Reshape(shape), input, weight, st, pd, dl, groups),
                g => Conv2dWeightBackward(G(g).Reshape(shape), input, weight, st, pd, dl, groups),
                g => G(g).Sum(3).Sum(0).Reshape(cout),   // contiguous row sums first: a reduction over dims 0 and 3 at once is strided
            ];
            return new(rules, epilogue == GemmEpilogue.Relu ? [input, weight, y] : [input, weight]);
        });
    }

    /// <summary>
    /// <c>trace::conv2d_input_backward</c>: the gradient of conv2d's input for the output gradient <paramref name="gradOutput"/>
    /// (N, Cout, OH, OW) — per group col2im(W_groupᵀ · g) — in one pass on the CPU (each image's column gradient built in
    /// cache and folded back at once, never the batch's). <paramref name="input"/> gives the shape and the channel checks
    /// only. Bilinear in (grad_output, weight): its backward is the convolution of the incoming gradient by the weight, and
    /// conv2d's weight gradient with grad_output and the incoming gradient as the input.
    /// </summary>
    internal static Tensor Conv2dInputBackward(Tensor gradOutput, Tensor input, Tensor weight, int[] stride, int[] padding, int[] dilation, int groups,
        Tensor? @out = null)
    {
        const string op = "trace::conv2d_input_backward";
        var (a, call, st, pd, dl) = BackwardGeometry(op, gradOutput, input, weight, stride, padding, dilation, groups);
        Tensor Compute()
        {
            var dx = OutBuffer.Or(@out, input.Shape.ToArray(), input.DType, input.Device, op);
            DeviceKernels.For(input.Device, op).Conv.Conv2dInputGrad(gradOutput.Contiguous(), weight.Contiguous(), dx, a, groups);
            return dx;
        }
        if (@out is not null)
        {
            OutBuffer.Check(@out, input._shape, input.DType, input.Device, op);
            return Dispatch.Out(call, @out, [gradOutput, input, weight], Compute);
        }
        return Dispatch.Record(call, Compute, [gradOutput, input, weight],
        [
            h => Conv2d(h, weight, null, st, pd, dl, groups),
            null,
            h => Conv2dWeightBackward(gradOutput, h, weight, st, pd, dl, groups),
        ], weight, gradOutput);
    }

    /// <summary>
    /// <c>trace::conv2d_weight_backward</c>: the gradient of conv2d's weight for the output gradient
    /// <paramref name="gradOutput"/> (N, Cout, OH, OW) of <paramref name="input"/> — per group Σₙ gₙ · im2col(xₙ)ᵀ — in one
    /// pass, without the batch's columns or per-image products (on the CPU). <paramref name="weight"/> gives the shape and
    /// the channel checks only. Bilinear in (grad_output, input): its backward is the convolution of the input by the
    /// incoming gradient, and conv2d's input gradient with the incoming gradient as the weight.
    /// </summary>
    internal static Tensor Conv2dWeightBackward(Tensor gradOutput, Tensor input, Tensor weight, int[] stride, int[] padding, int[] dilation, int groups,
        Tensor? @out = null)
    {
        const string op = "trace::conv2d_weight_backward";
        var (a, call, st, pd, dl) = BackwardGeometry(op, gradOutput, input, weight, stride, padding, dilation, groups);
        Tensor Compute()
        {
            var dw = OutBuffer.Or(@out, weight.Shape.ToArray(), input.DType, input.Device, op);
            DeviceKernels.For(input.Device, op).Conv.Conv2dWeightGrad(gradOutput.Contiguous(), input.Contiguous(), dw, a, groups);
            return dw;
        }
        if (@out is not null)
        {
            OutBuffer.Check(@out, weight._shape, input.DType, input.Device, op);
            return Dispatch.Out(call, @out, [gradOutput, input, weight], Compute);
        }
        return Dispatch.Record(call, Compute, [gradOutput, input, weight],
        [
            h => Conv2d(input, h, null, st, pd, dl, groups),
            h => Conv2dInputBackward(gradOutput, input, h, st, pd, dl, groups),
            null,
        ], input, gradOutput);
    }

    /// <summary>The checked geometry of a conv2d backward op and its call record: grad_output must match the convolution's output.</summary>
    private static (Conv2dArgs A, OpCall Call, int[] St, int[] Pd, int[] Dl) BackwardGeometry(string op, Tensor gradOutput, Tensor input, Tensor weight, int[] stride, int[] padding, int[] dilation,
        int groups)
    {
        ArgumentNullException.ThrowIfNull(gradOutput);
        var (s, p, d) = (ConvChecks.Pair(stride, op, "stride"), ConvChecks.Pair(padding, op, "padding", 0), ConvChecks.Pair(dilation, op, "dilation"));
        var a = ConvChecks.Check(op, input, weight, null, s, p, d, groups, transposed: false);
        int[] expected = [a.N, weight._shape[0], a.OH, a.OW];
        if (!gradOutput._shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException($"{op}: grad_output of shape {Shapes.Format(gradOutput._shape)} does not match the convolution's output {Shapes.Format(expected)} (input {Shapes.Format(input._shape)}, weight {Shapes.Format(weight._shape)}).");
        if (gradOutput.DType != input.DType)
            throw new ArgumentException($"{op}: grad_output dtype {gradOutput.DType.TorchName()} does not match the input's {input.DType.TorchName()}.");
        ElementwiseDispatch.SameDevice(input, gradOutput, op);
        var (st, pd, dl) = (ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d));
        return (a, new OpCall(op, st, pd, dl, groups), st, pd, dl);
    }

    /// <summary>
    /// 2-D transposed convolution (<c>torch.nn.functional.conv_transpose2d</c>, the gradient of conv2d with respect to its
    /// input): input (N, Cin, H, W) or unbatched, weight (Cin, Cout/groups, KH, KW), optional bias (Cout). Output size
    /// (H − 1)·stride − 2·padding + dilation·(KH − 1) + output_padding + 1.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? outputPadding = null,
        int groups = 1, int[]? dilation = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim == 3) return ConvTranspose2d(input.Unsqueeze(0), weight, bias, stride, padding, outputPadding, groups, dilation).Squeeze(0);
        const string op = "aten::conv_transpose2d";
        var (s, p, op2, d) = (ConvChecks.Pair(stride ?? [1], op, "stride"), ConvChecks.Pair(padding ?? [0], op, "padding", 0), ConvChecks.Pair(outputPadding ?? [0], op, "output_padding", 0),
            ConvChecks.Pair(dilation ?? [1], op, "dilation"));
        if (op2.H >= Math.Max(s.H, d.H) || op2.W >= Math.Max(s.W, d.W))
            throw new ArgumentException($"{op}: output padding ({op2.H}, {op2.W}) must be smaller than either stride ({s.H}, {s.W}) or dilation ({d.H}, {d.W}).");
        // The geometry of the output's im2col: its columns are the input's positions.
        var a = ConvChecks.Check(op, input, weight, bias, s, p, d, groups, transposed: true, op2);
        int cin = input._shape[1], cig = cin / groups, cog = a.C / groups, kg = a.ColRows / groups;
        var (k, st, pd, dl) = (ConvChecks.Ints((a.KH, a.KW)), ConvChecks.Ints(s), ConvChecks.Ints(p), ConvChecks.Ints(d));
        var call = new OpCall(op, st, pd, ConvChecks.Ints(op2), groups, dl);
        Tensor Compute()
        {
            var cols = weight.Reshape(groups, cig, kg).MT.Matmul(input.Reshape(a.N, groups, cig, a.L)).Reshape(a.N, a.ColRows, a.L);
            var y = new Tensor([a.N, a.C, a.H, a.W], input.DType, input.Device, op: op);
            DeviceKernels.For(input.Device, op).Conv.Col2Im(cols.Contiguous(), y, a);
            return bias is null ? y : ElementwiseDispatch.Binary(BinaryKind.Add, y, bias.Reshape(a.C, 1, 1), op, into: y);
        }
        return Dispatch.Record(call, Compute, [input, weight, bias], _ =>
        {
            Tensor? seen = null, cols = null;
            Tensor Cols(Tensor g)
            {
                if (ReferenceEquals(g, seen)) return cols!;
                seen = g;
                return cols = g.Im2Col(k, dl, pd, st).Reshape(a.N, groups, kg, a.L);
            }
            Func<Tensor, Tensor>?[] rules =
            [
                g => weight.Reshape(groups, cig, kg).Matmul(Cols(g)).Reshape(input.Shape.ToArray()),
                g => input.Reshape(a.N, groups, cig, a.L).Matmul(Cols(g).MT).Sum(0).Reshape(weight.Shape.ToArray()),
                g => g.Sum([0, 2, 3]),
            ];
            return new(rules, [input, weight]);
        });
    }
}
