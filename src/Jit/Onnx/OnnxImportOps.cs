namespace Trace.Jit;

/// <summary>
/// How each ONNX op (opsets 13–21) runs as Trace ops during import: one entry per op type, returning the node's outputs
/// (null for an optional output left unused). The same entries run untraced to find the constant values, then traced.
/// </summary>
internal static class OnnxImportOps
{
    /// <summary>The importers, by ONNX op type.</summary>
    public static IReadOnlyDictionary<string, Func<OnnxImportCall, Tensor?[]>> Table { get; } = Build();

    private static Dictionary<string, Func<OnnxImportCall, Tensor?[]>> Build()
    {
        var t = new Dictionary<string, Func<OnnxImportCall, Tensor?[]>>(StringComparer.Ordinal);
        void One(string op, Func<OnnxImportCall, Tensor> f) => t[op] = c => [f(c)];
        One("Add", c => c.In(0).Add(c.In(1)));
        One("Sub", c => c.In(0).Sub(c.In(1)));
        One("Mul", c => c.In(0).Mul(c.In(1)));
        One("Div", c => c.In(0).Div(c.In(1)));
        One("Pow", c => c.In(0).Pow(c.In(1)));
        One("Less", c => c.In(0).Lt(c.In(1)));
        One("Greater", c => c.In(0).Gt(c.In(1)));
        One("Equal", c => c.In(0).Eq(c.In(1)));
        One("Not", c => c.In(0).LogicalNot());
        One("Relu", c => c.In(0).Relu());
        One("Tanh", c => c.In(0).Tanh());
        One("Sigmoid", c => c.In(0).Sigmoid());
        One("Exp", c => c.In(0).Exp());
        One("Log", c => c.In(0).Log());
        One("Neg", c => c.In(0).Neg());
        One("Sqrt", c => c.In(0).Sqrt());
        One("Abs", c => c.In(0).Abs());
        One("Erf", c => c.In(0).Erf());
        One("Gelu", c => c.In(0).Gelu(c.Str("approximate", "none") switch   // opset 20
        {
            "none" => GeluApproximation.None,
            "tanh" => GeluApproximation.Tanh,
            var other => throw c.Unsupported($"approximate='{other}'"),
        }));
        One("Reciprocal", c => c.In(0).Pow(-1.0));
        One("Identity", c => c.In(0));
        t["Dropout"] = c => c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0 ? throw c.Unsupported("Dropout's mask output") : [c.In(0)];
        One("Cast", c => c.In(0).To(OnnxTensors.DTypeOf((int)c.Int("to", 0)) ?? throw c.Unsupported($"Cast to {OnnxTensors.ElemName((int)c.Int("to", 0))}")));
        One("Clip", c => c.In(0).Clamp(c.ConstScalar(1), c.ConstScalar(2)));
        One("Where", c => Tensor.Where(c.In(0), c.In(1), c.In(2)));
        One("MatMul", c => c.In(0).Matmul(c.In(1)));
        One("Gemm", Gemm);
        One("Softmax", c => c.In(0).Softmax((int)c.Int("axis", -1)));
        One("LogSoftmax", c => c.In(0).LogSoftmax((int)c.Int("axis", -1)));
        t["LayerNormalization"] = LayerNorm;
        One("Conv", Conv);
        One("BatchNormalization", c => c.Int("training_mode", 0) != 0 || c.Node.Output.Count > 1 && c.Node.Output.Skip(1).Any(o => o.Length > 0)
            ? throw c.Unsupported("training_mode=1 (running statistics outputs)")
            : Trace.Nn.Functional.BatchNorm(c.In(0), c.In(3), c.In(4), c.In(1), c.In(2), training: false, eps: c.Float("epsilon", 1e-5)));
        One("MaxPool", MaxPool);
        One("GlobalAveragePool", c => c.In(0).AdaptiveAvgPool2d([1, 1]));
        One("Flatten", c =>
        {
            var x = c.In(0);
            int axis = Axis(c.Int("axis", 1), x.Dim + 1);
            int outer = x.Shape.ToArray()[..axis].Aggregate(1, (a, b) => a * b);
            return x.Reshape(outer, x.Numel / Math.Max(outer, 1));
        });
        One("Reshape", Reshape);
        One("Transpose", c =>
        {
            var x = c.In(0);
            var perm = c.Ints("perm") ?? [.. Enumerable.Range(0, x.Dim).Reverse().Select(i => (long)i)];
            return x.Permute([.. perm.Select(p => (int)p)]);
        });
        One("Slice", Slice);
        One("Gather", Gather);
        One("Unsqueeze", c =>
        {
            var x = c.In(0);
            var axes = (c.Opset >= 13 ? c.ConstLongs(1) : c.Ints("axes")) ?? throw c.Bad("no axes");
            int rank = x.Dim + axes.Length;
            foreach (var a in axes.Select(a => Axis(a, rank)).Order()) x = x.Unsqueeze(a);
            return x;
        });
        One("Squeeze", c =>
        {
            var x = c.In(0);
            var axes = c.ConstLongs(1);
            if (axes is null) return x.Squeeze();
            foreach (var a in axes.Select(a => Axis(a, x.Dim)).OrderDescending()) x = x.Squeeze(a);
            return x;
        });
        One("Concat", c => Tensor.Cat([.. Enumerable.Range(0, c.Count).Select(c.In)], (int)c.Int("axis", 0)));
        One("Expand", c =>
        {
            var x = c.In(0);
            var shape = c.ConstLongs(1)!;
            int rank = Math.Max(x.Dim, shape.Length);
            var target = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                int xi = i - (rank - x.Dim), si = i - (rank - shape.Length);
                int a = xi >= 0 ? x.Shape[xi] : 1, b = si >= 0 ? (int)shape[si] : 1;
                target[i] = a == 1 ? b : a;
            }
            return x.Expand(target);
        });
        One("ReduceSum", c => Reduce(c, c.ConstLongs(1), (x, d, k) => x.Sum(d, k)));
        One("ReduceMean", c => Reduce(c, c.Opset >= 18 ? c.ConstLongs(1) : c.Ints("axes"), (x, d, k) => x.Mean(d, k)));
        One("Shape", c =>
        {
            var shape = c.In(0).Shape.ToArray().Select(d => (long)d).ToArray();
            int rank = shape.Length;
            int start = (int)Math.Clamp(Axis(c.Int("start", 0), rank), 0, rank), end = (int)Math.Clamp(Axis(c.Int("end", rank), rank), 0, rank);
            return Tensor.From(shape[start..Math.Max(start, end)]);
        });
        One("Constant", Constant);
        return t;
    }

    private static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);

    private static Tensor Gemm(OnnxImportCall c)
    {
        var (a, b, bias) = (c.In(0), c.In(1), c.Opt(2));
        double alpha = c.Float("alpha", 1), beta = c.Float("beta", 1);
        if (c.Int("transA", 0) != 0) a = a.Transpose(0, 1);
        // x·Wᵀ + b with a 1-D bias is aten::linear, as PyTorch writes nn.Linear.
        if (c.Int("transB", 0) != 0 && alpha == 1 && beta == 1 && bias is { Dim: 1 } && bias.Shape[0] == b.Shape[0]) return Tensor.Linear(a, b, bias);
        var y = a.Matmul(c.Int("transB", 0) != 0 ? b.Transpose(0, 1) : b);
        if (alpha != 1) y = y.Mul(alpha);
        if (bias is null) return y;
        return y.Add(beta == 1 ? bias : bias.Mul(beta));
    }

    private static Tensor?[] LayerNorm(OnnxImportCall c)
    {
        var x = c.In(0);
        int axis = Axis(c.Int("axis", -1), x.Dim);
        var normalized = x.Shape.ToArray()[axis..];
        double eps = c.Float("epsilon", 1e-5);
        bool stats = c.Node.Output.Skip(1).Any(o => o.Length > 0);
        if (!stats) return [x.LayerNorm(normalized, c.In(1), c.Opt(2), eps)];
        var (y, mean, rstd) = x.NativeLayerNorm(normalized, c.In(1), c.Opt(2), eps);
        return [y, mean, rstd];
    }

    private static int[] Pads(OnnxImportCall c, int spatial)
    {
        if (c.Str("auto_pad", "NOTSET") is not ("NOTSET" or "VALID")) throw c.Unsupported($"auto_pad={c.Str("auto_pad", "")}");
        var pads = c.Ints("pads") ?? new long[2 * spatial];
        if (pads.Length != 2 * spatial) throw c.Bad($"pads has {pads.Length} entries, not {2 * spatial}");
        for (int i = 0; i < spatial; i++)
            if (pads[i] != pads[i + spatial]) throw c.Unsupported($"asymmetric pads [{string.Join(", ", pads)}]");
        return [.. pads.Take(spatial).Select(p => (int)p)];
    }

    private static int[] IntsOr(OnnxImportCall c, string name, int count, int fallback) =>
        c.Ints(name) is { } v ? [.. v.Select(x => (int)x)] : Enumerable.Repeat(fallback, count).ToArray();

    private static Tensor Conv(OnnxImportCall c)
    {
        var (x, w) = (c.In(0), c.In(1));
        if (w.Dim != 4) throw c.Unsupported($"a {w.Dim - 2}-D convolution (weight of shape ({string.Join(", ", w.Shape.ToArray())}); Conv2d only)");
        return Tensor.Conv2d(x, w, c.Opt(2), IntsOr(c, "strides", 2, 1), Pads(c, 2), IntsOr(c, "dilations", 2, 1), (int)c.Int("group", 1));
    }

    private static Tensor MaxPool(OnnxImportCall c)
    {
        if (c.Node.Output.Count > 1 && c.Node.Output[1].Length > 0) throw c.Unsupported("MaxPool's Indices output");
        var kernel = IntsOr(c, "kernel_shape", 0, 0);
        if (kernel.Length != 2) throw c.Unsupported($"a {kernel.Length}-D kernel_shape (MaxPool2d only)");
        if (c.Int("storage_order", 0) != 0) throw c.Unsupported("storage_order=1");
        return c.In(0).MaxPool2d(kernel, IntsOr(c, "strides", 2, 1), Pads(c, 2), IntsOr(c, "dilations", 2, 1), c.Int("ceil_mode", 0) != 0);
    }

    private static Tensor Reshape(OnnxImportCall c)
    {
        var x = c.In(0);
        var shape = c.ConstLongs(1)!;
        bool allowZero = c.Int("allowzero", 0) != 0;
        var target = shape.Select((s, i) => s == 0 && !allowZero ? (i < x.Dim ? x.Shape[i] : throw c.Bad($"shape entry {i} is 0 (copy) beyond the input's rank {x.Dim}")) : (int)s).ToArray();
        return x.Reshape(target);
    }

    private static Tensor Slice(OnnxImportCall c)
    {
        var x = c.In(0);
        var (starts, ends) = (c.ConstLongs(1)!, c.ConstLongs(2)!);
        var axes = c.ConstLongs(3) ?? [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        var steps = c.ConstLongs(4);
        if (starts.Length != ends.Length || axes.Length != starts.Length) throw c.Bad($"starts, ends and axes have {starts.Length}, {ends.Length} and {axes.Length} entries");
        for (int i = 0; i < axes.Length; i++)
        {
            if (steps is not null && steps[i] != 1) throw c.Unsupported($"step {steps[i]} (only 1)");
            int axis = Axis(axes[i], x.Dim), size = x.Shape[axis];
            long Clamp(long v) => Math.Clamp(v < 0 ? v + size : v, 0, size);
            long s = Clamp(starts[i]), e = Clamp(ends[i]);
            x = x.Narrow(axis, (int)s, (int)Math.Max(0, e - s));
        }
        return x;
    }

    private static Tensor Gather(OnnxImportCall c)
    {
        var (x, index) = (c.In(0), c.In(1));
        int axis = Axis(c.Int("axis", 0), x.Dim);
        if (index.Dim == 0 && c.ConstLongs(1) is [long at]) return x.Select(axis, (int)(at < 0 ? at + x.Shape[axis] : at));
        // Embedding-style lookups: index_select of the flattened indices, reshaped to data[:axis] + indices + data[axis+1:].
        var picked = x.IndexSelect(axis, index.Dim == 1 ? index : index.Reshape(-1));
        int[] shape = [.. x.Shape.ToArray()[..axis], .. index.Shape.ToArray(), .. x.Shape.ToArray()[(axis + 1)..]];
        return index.Dim == 1 ? picked : picked.Reshape(shape);
    }

    private static Tensor Reduce(OnnxImportCall c, long[]? axes, Func<Tensor, int[], bool, Tensor> reduce)
    {
        var x = c.In(0);
        bool keep = c.Int("keepdims", 1) != 0;
        if (axes is null or { Length: 0 })
        {
            if (c.Int("noop_with_empty_axes", 0) != 0) return x;
            axes = [.. Enumerable.Range(0, x.Dim).Select(i => (long)i)];
        }
        return reduce(x, [.. axes.Select(a => Axis(a, x.Dim))], keep);
    }

    private static Tensor Constant(OnnxImportCall c)
    {
        if (c.Find("value") is { } v) return OnnxTensors.FromProto(v.T, $"node '{c.Node.Name}' (Constant)");
        if (c.Find("value_float") is { } f) return Tensor.Scalar(f.F);
        if (c.Find("value_int") is { } i) return Tensor.Scalar(i.I);
        if (c.Find("value_floats") is { } fs) return Tensor.From(fs.Floats.ToArray());
        if (c.Find("value_ints") is { } ints) return Tensor.From(ints.Ints.ToArray());
        throw c.Unsupported($"a Constant with attribute {string.Join(", ", c.Node.Attribute.Select(a => a.Name))}");
    }
}
