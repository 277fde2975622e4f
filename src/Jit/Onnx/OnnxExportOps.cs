
namespace Trace.Jit;

/// <summary>
/// How each aten op becomes ONNX (opset 17) nodes: one entry per op, reading the node's inputs in its schema's order.
/// Tests walk this table (every entry is exercised by an exported model run in ONNX Runtime).
/// </summary>
internal static class OnnxExportOps
{
    /// <summary>The writers, by IR op kind.</summary>
    public static IReadOnlyDictionary<string, Action<OnnxExporter, Node>> Table { get; } = Build();

    private static Dictionary<string, Action<OnnxExporter, Node>> Build()
    {
        var t = new Dictionary<string, Action<OnnxExporter, Node>>(StringComparer.Ordinal);
        foreach (var (aten, onnx) in new[] { ("add", "Add"), ("sub", "Sub"), ("mul", "Mul"), ("div", "Div"), ("pow", "Pow") })
            t["aten::" + aten] = (e, n) => e.Add(onnx, [e.T(n, 0, OnnxExporter.DTypeOf(n)), e.T(n, 1, OnnxExporter.DTypeOf(n))], [Out(n)]);
        foreach (var (aten, onnx) in new[] { ("lt", "Less"), ("gt", "Greater"), ("eq", "Equal") })
            t["aten::" + aten] = (e, n) => e.Add(onnx, [e.T(n, 0), e.T(n, 1, n.Inputs[0].TensorType?.DType)], [Out(n)]);
        foreach (var (aten, onnx) in new[] { ("relu", "Relu"), ("tanh", "Tanh"), ("sigmoid", "Sigmoid"), ("exp", "Exp"), ("log", "Log"), ("neg", "Neg"),
                     ("sqrt", "Sqrt"), ("abs", "Abs"), ("erf", "Erf"), ("logical_not", "Not"), ("contiguous", "Identity") })
            t["aten::" + aten] = (e, n) => e.Add(onnx, [e.T(n, 0)], [Out(n)]);
        t["aten::rsqrt"] = (e, n) =>
        {
            string s = e.Fresh("Sqrt");
            e.Add("Sqrt", [e.T(n, 0)], [s], "sqrt");
            e.Add("Reciprocal", [s], [Out(n)]);
        };
        t["aten::clamp"] = (e, n) => e.Add("Clip", [e.T(n, 0), e.IsNone(n, 1) ? "" : e.T(n, 1, OnnxExporter.DTypeOf(n)), e.IsNone(n, 2) ? "" : e.T(n, 2, OnnxExporter.DTypeOf(n))], [Out(n)]);
        t["aten::gelu"] = Gelu;
        t["aten::where"] = (e, n) => e.Add("Where", [e.T(n, 0), e.T(n, 1, OnnxExporter.DTypeOf(n)), e.T(n, 2, OnnxExporter.DTypeOf(n))], [Out(n)]);
        t["aten::masked_fill"] = (e, n) => e.Add("Where", [e.T(n, 1), e.T(n, 2, OnnxExporter.DTypeOf(n)), e.T(n, 0)], [Out(n)]);
        t["aten::linear"] = Linear;
        t["aten::matmul"] = (e, n) => e.Add("MatMul", [e.T(n, 0), e.T(n, 1)], [Out(n)]);
        t["aten::softmax"] = (e, n) => e.Add("Softmax", [e.T(n, 0)], [Out(n)], null, Attr.Int("axis", e.L(n, 1)));
        t["aten::log_softmax"] = (e, n) => e.Add("LogSoftmax", [e.T(n, 0)], [Out(n)], null, Attr.Int("axis", e.L(n, 1)));
        t["aten::native_layer_norm"] = LayerNorm;
        t["trace::lstm_cell"] = LstmCell;
        t["aten::conv2d"] = Conv;
        t["aten::batch_norm"] = BatchNorm;
        t["aten::adaptive_avg_pool2d"] = (e, n) => e.Add("GlobalAveragePool", [e.Ints(n, 1) is [1, 1] or [1] ? e.T(n, 0) : throw e.Unsupported($"output_size [{string.Join(", ", e.Ints(n, 1))}] (only [1, 1])")], [Out(n)]);
        t["aten::max_pool2d_with_indices"] = MaxPool;
        t["aten::view"] = Reshape;
        t["aten::reshape"] = Reshape;
        t["aten::transpose"] = (e, n) =>
        {
            int rank = OnnxExporter.Rank(n, 0);
            var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            long a = Norm(e.L(n, 1), rank), b = Norm(e.L(n, 2), rank);
            (perm[a], perm[b]) = (perm[b], perm[a]);
            e.Add("Transpose", [e.T(n, 0)], [Out(n)], null, Attr.Ints("perm", perm));
        };
        t["aten::permute"] = (e, n) => e.Add("Transpose", [e.T(n, 0)], [Out(n)], null, Attr.Ints("perm", e.Ints(n, 1).Select(d => Norm(d, OnnxExporter.Rank(n, 0)))));
        t["aten::narrow"] = (e, n) =>
        {
            long start = e.L(n, 2);
            e.Add("Slice", [e.T(n, 0), e.Longs([start]), e.Longs([start + e.L(n, 3)]), e.Longs([e.L(n, 1)])], [Out(n)]);
        };
        t["aten::select"] = (e, n) =>
        {
            long dim = Norm(e.L(n, 1), OnnxExporter.Rank(n, 0)), index = e.L(n, 2);
            if (index < 0) index += n.Inputs[0].TensorType!.Shape[dim];
            e.Add("Gather", [e.T(n, 0), e.Longs([index], scalar: true)], [Out(n)], null, Attr.Int("axis", dim));
        };
        t["aten::unsqueeze"] = (e, n) => e.Add("Unsqueeze", [e.T(n, 0), e.Longs([e.L(n, 1)])], [Out(n)]);
        t["aten::squeeze"] = (e, n) => e.Add("Squeeze", e.IsNone(n, 1) ? [e.T(n, 0)] : [e.T(n, 0), e.Longs([e.L(n, 1)])], [Out(n)]);
        t["aten::expand"] = (e, n) =>
        {
            // PyTorch's -1 keeps a size; ONNX Expand broadcasts, so the output's sizes say the same.
            var shape = n.Outputs[0].TensorType!.Shape.Select(d => (long)d).ToArray();
            e.Add("Expand", [e.T(n, 0), e.Longs(shape)], [Out(n)]);
        };
        t["aten::cat"] = (e, n) => e.Add("Concat", Enumerable.Range(0, n.Inputs.Count - 1).Select(i => e.T(n, i)), [Out(n)], null, Attr.Int("axis", e.L(n, n.Inputs.Count - 1)));
        t["aten::sum"] = (e, n) =>
        {
            var dims = e.Ints(n, 1);
            e.Add("ReduceSum", dims.Length == 0 ? [e.T(n, 0)] : [e.T(n, 0), e.Longs(dims)], [Out(n)], null, Attr.Int("keepdims", Convert.ToBoolean(e.Scalar(n.Inputs[2])) ? 1 : 0));
        };
        return t;
    }

    private static string Out(Node n) => n.Outputs[0].Name;

    private static long Norm(long dim, int rank) => dim < 0 ? dim + rank : dim;

    /// <summary>Gemm (x·Wᵀ + b) for a 2-D input, else MatMul by the transposed weight and Add.</summary>
    private static void Linear(OnnxExporter e, Node n)
    {
        bool bias = !e.IsNone(n, 2);
        if (OnnxExporter.Rank(n, 0) == 2 && OnnxExporter.Rank(n, 1) == 2)
        {
            e.Add("Gemm", bias ? [e.T(n, 0), e.T(n, 1), e.T(n, 2)] : [e.T(n, 0), e.T(n, 1)], [Out(n)], null, Attr.Int("transB", 1));
            return;
        }
        string wt = e.Fresh("Transpose");
        e.Add("Transpose", [e.T(n, 1)], [wt], "transpose", Attr.Ints("perm", [1, 0]));
        if (!bias)
        {
            e.Add("MatMul", [e.T(n, 0), wt], [Out(n)]);
            return;
        }
        string mm = e.Fresh("MatMul");
        e.Add("MatMul", [e.T(n, 0), wt], [mm], "matmul");
        e.Add("Add", [mm, e.T(n, 2)], [Out(n)]);
    }

    /// <summary>GELU (opset 17 has no Gelu op): 0.5·x·(1 + erf(x/√2)), or the tanh form for <c>approximate="tanh"</c>.</summary>
    private static void Gelu(OnnxExporter e, Node n)
    {
        var dt = OnnxExporter.DTypeOf(n);
        string x = e.T(n, 0), inner;
        string Op(string op, params string[] inputs)
        {
            string r = e.Fresh(op);
            e.Add(op, inputs, [r], r);
            return r;
        }
        switch (e.Scalar(n.Inputs[1]))
        {
            case "none": inner = Op("Erf", Op("Div", x, e.Scalar(Math.Sqrt(2.0), dt))); break;
            case "tanh":
                var cube = Op("Mul", Op("Mul", x, x), x);
                var sum = Op("Add", x, Op("Mul", cube, e.Scalar(0.044715, dt)));
                inner = Op("Tanh", Op("Mul", sum, e.Scalar(Math.Sqrt(2.0 / Math.PI), dt)));
                break;
            case var other: throw e.Unsupported($"approximate='{other}'");
        }
        var half = Op("Mul", x, e.Scalar(0.5, dt));
        e.Add("Mul", [half, Op("Add", inner, e.Scalar(1.0, dt))], [Out(n)]);
    }

    /// <summary>
    /// The fused LSTM cell back as ONNX's elementwise ops: gates = input + hidden, sliced into (i, f, g, o), c' = σ(f)·c +
    /// σ(i)·tanh(g), h' = σ(o)·tanh(c'); the workspace (the activated gates) only when something reads it.
    /// </summary>
    private static void LstmCell(OnnxExporter e, Node n)
    {
        string Op(string op, params string[] inputs)
        {
            string r = e.Fresh(op);
            e.Add(op, inputs, [r], r);
            return r;
        }
        string gates = e.IsNone(n, 1) ? e.T(n, 0) : Op("Add", e.T(n, 1), e.T(n, 0));
        long h = n.Inputs[0].TensorType!.Shape[1] / 4;
        string Gate(int k) => Op("Slice", gates, e.Longs([k * h]), e.Longs([(k + 1) * h]), e.Longs([1]));
        var (i, f, g, o) = (Op("Sigmoid", Gate(0)), Op("Sigmoid", Gate(1)), Op("Tanh", Gate(2)), Op("Sigmoid", Gate(3)));
        string ig = Op("Mul", i, g), cy = n.Outputs[1].Name;
        if (e.IsNone(n, 2)) e.Add("Identity", [ig], [cy]);
        else e.Add("Add", [Op("Mul", f, e.T(n, 2)), ig], [cy]);
        e.Add("Mul", [o, Op("Tanh", cy)], [Out(n)]);
        if (e.IsUsed(n.Outputs[2])) e.Add("Concat", [i, f, g, o], [n.Outputs[2].Name], null, Attr.Int("axis", 1));
    }

    private static void LayerNorm(OnnxExporter e, Node n)
    {
        int axis = OnnxExporter.Rank(n, 0) - e.Ints(n, 1).Length;
        var shape = e.Ints(n, 1);
        string Ones(double v)
        {
            var t = Tensor.Full(shape.Select(s => (int)s).ToArray(), v, OnnxExporter.DTypeOf(n));
            string name = e.Fresh("Constant");
            e.Proto.Initializer.Add(OnnxTensors.ToProto(name, t));
            return name;
        }
        var inputs = new[] { e.T(n, 0), e.IsNone(n, 2) ? Ones(1) : e.T(n, 2), e.IsNone(n, 3) ? Ones(0) : e.T(n, 3) };
        // Y, Mean and InvStdDev have the shapes of aten::native_layer_norm's (y, mean, rstd); unused ones are left out.
        var outs = n.Outputs.Select(o => e.IsUsed(o) ? o.Name : "").ToList();
        while (outs.Count > 1 && outs[^1] == "") outs.RemoveAt(outs.Count - 1);
        e.Add("LayerNormalization", inputs, outs, null, Attr.Int("axis", axis), Attr.Float("epsilon", e.D(n, 4)));
    }

    /// <summary>Inference batch norm (running statistics) as BatchNormalization; training mode has no ONNX inference form.</summary>
    private static void BatchNorm(OnnxExporter e, Node n)
    {
        if (Convert.ToBoolean(e.Scalar(n.Inputs[5])) || e.IsNone(n, 3))
            throw e.Unsupported("batch statistics (training mode or no running stats); trace the model in eval mode (model.Eval())");
        int channels = n.Inputs[0].TensorType!.Shape[1];
        string Fill(double v)
        {
            string name = e.Fresh("Constant");
            e.Add("Constant", [], [name], name, Attr.Tensor("value", OnnxTensors.ToProto("", Tensor.Full([channels], v, OnnxExporter.DTypeOf(n)))));
            return name;
        }
        e.Add("BatchNormalization", [e.T(n, 0), e.IsNone(n, 1) ? Fill(1) : e.T(n, 1), e.IsNone(n, 2) ? Fill(0) : e.T(n, 2), e.T(n, 3), e.T(n, 4)], [Out(n)], null,
            Attr.Float("epsilon", e.D(n, 7)), Attr.Float("momentum", 1 - e.D(n, 6)));
    }

    private static void Conv(OnnxExporter e, Node n)
    {
        var w = n.Inputs[1].TensorType!.Shape;
        long[] pad = e.Ints(n, 4), stride = e.Ints(n, 3), dilation = e.Ints(n, 5);
        int spatial = w.Length - 2;
        long[] Spread(long[] v) => v.Length == 1 ? Enumerable.Repeat(v[0], spatial).ToArray() : v;
        pad = Spread(pad);
        e.Add("Conv", e.IsNone(n, 2) ? [e.T(n, 0), e.T(n, 1)] : [e.T(n, 0), e.T(n, 1), e.T(n, 2)], [Out(n)], null,
            Attr.Ints("kernel_shape", w.Skip(2).Select(d => (long)d)), Attr.Ints("strides", Spread(stride)),
            Attr.Ints("pads", [.. pad, .. pad]), Attr.Ints("dilations", Spread(dilation)), Attr.Int("group", e.L(n, 6)));
    }

    private static void MaxPool(OnnxExporter e, Node n)
    {
        // ONNX MaxPool's Indices count over the whole tensor, PyTorch's within each plane: only the values are exported.
        if (e.IsUsed(n.Outputs[1])) throw e.Unsupported("its indices output is used (ONNX MaxPool numbers indices differently)");
        long[] Two(long[] v) => v.Length == 1 ? [v[0], v[0]] : v;
        var kernel = Two(e.Ints(n, 1));
        var stride = e.Ints(n, 2) is { Length: > 0 } s ? Two(s) : kernel;
        var pad = Two(e.Ints(n, 3));
        e.Add("MaxPool", [e.T(n, 0)], [Out(n)], null, Attr.Ints("kernel_shape", kernel), Attr.Ints("strides", stride),
            Attr.Ints("pads", [.. pad, .. pad]), Attr.Ints("dilations", Two(e.Ints(n, 4))), Attr.Int("ceil_mode", Convert.ToBoolean(e.Scalar(n.Inputs[5])) ? 1 : 0));
    }

    private static void Reshape(OnnxExporter e, Node n)
    {
        // The recorded output shape is concrete: write it (no -1), with allowzero so a 0 means an empty dim as in PyTorch.
        var shape = n.Outputs[0].TensorType!.Shape;
        if (shape.Any(d => d < 0)) throw e.Unsupported("a symbolic output shape");
        e.Add("Reshape", [e.T(n, 0), e.Longs(shape.Select(d => (long)d).ToArray())], [Out(n)], null, Attr.Int("allowzero", shape.Contains(0) ? 1 : 0));
    }
}
