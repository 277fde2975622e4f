namespace Trace.Jit.Tests.OnnxFormat;


/// <summary>
/// Walks the export table: functions that together use every op it writes are exported, run in ONNX Runtime against
/// Trace's eager result and imported back; the test fails when a table entry is used by none of them.
/// </summary>
[TestClass]
public sealed class OnnxOpCoverageTests
{
    private static readonly (string What, Func<Tensor[], Tensor> F, int[][] Shapes)[] Cases =
    [
        ("arithmetic", x => x[0].Sub(x[1]).Div(x[1].Abs().Add(Tensor.Scalar(1.0))).Mul(2.0).Pow(Tensor.Scalar(2.0)).Neg(), [[3, 4], [3, 4]]),
        ("unary", x => x[0].Abs().Add(Tensor.Scalar(0.5)).Sqrt().Add(x[0].Exp().Log()).Add(x[0].Tanh()).Add(x[0].Sigmoid()).Add(x[0].Erf()).Add(x[0].Abs().Add(Tensor.Scalar(1.0)).Rsqrt()), [[2, 5]]),
        ("relu and clamp", x => x[0].Relu().Add(x[0].Clamp(-0.5, 0.5)).Add(x[0].Clamp(max: 0.25)), [[4, 3]]),
        ("comparisons and where", x => Tensor.Where(x[0].Lt(x[1]).LogicalNot(), x[0], x[1]).Add(Tensor.Where(x[0].Gt(x[1]), x[1], x[0])).MaskedFill(x[0].Eq(x[0]).LogicalNot(), 1.0), [[3, 3], [3, 3]]),
        ("softmaxes", x => x[0].Softmax(1).Add(x[0].LogSoftmax(-1)), [[2, 6]]),
        ("views", x => x[0].View(2, 12).View(2, 3, 4).Permute(2, 0, 1).Contiguous().Unsqueeze(0).Squeeze(0).Transpose(0, 2).Reshape(4, 6).Narrow(1, 1, 3).Select(0, -1)
            .Expand(2, 3).Sum([0], false), [[2, 3, 4]]),
        ("matmul, linear and cat", x => Tensor.Cat([x[0].Matmul(x[1]), Tensor.Linear(x[0], x[1].Transpose(0, 1))], 0).Sum([1], true), [[3, 4], [4, 5]]),
        ("layer norm without affine", x => x[0].LayerNorm([4]).Add(x[0].Gelu()), [[2, 3, 4]]),
        ("batch norm (inference)", x => Trace.Nn.Functional.BatchNorm(x[0], x[1].Select(0, 0), x[1].Select(0, 1).Abs(), x[1].Select(0, 2), null, eps: 1e-3), [[2, 3, 4, 4], [3, 3]]),
        ("lstm cells", x =>
        {
            var (h, c, _) = Tensor.LstmCell(x[0], x[1], x[2]);
            var (h0, _, workspace) = Tensor.LstmCell(x[1], null, null);
            return h + c + h0 + workspace.Narrow(1, 4, 2);
        }, [[3, 8], [3, 8], [3, 2]]),
        ("conv, pools", x => Tensor.Conv2d(x[0], x[1], null, [2, 2], [1, 1]).MaxPool2d([2, 2], [1, 1], [1, 1]).AdaptiveAvgPool2d([1, 1]), [[1, 2, 7, 7], [3, 2, 3, 3]]),
    ];

    [TestMethod]
    public void EveryExportedOp_RunsInOnnxRuntimeAsInTraceAndImportsBack()
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var g = new Generator(7);
        foreach (var (what, f, shapes) in Cases)
        {
            var inputs = shapes.Select(s => Tensor.Randn(s, generator: g)).ToArray();
            Tensor expected;
            byte[] bytes;
            using (Autograd.NoGrad())
            {
                var traced = Jit.Trace(f, inputs);
                used.UnionWith(traced.ForwardGraph.Nodes.Select(n => n.Kind));
                bytes = Onnx.ExportBytes(traced);
                expected = f(inputs);
            }
            var names = inputs.Length == 1 ? new[] { "x" } : inputs.Select((_, i) => $"x{i}").ToArray();
            var ort = OnnxRuntimeRunner.Run(bytes, [.. names.Zip(inputs)]);
            OnnxRuntimeRunner.Close(expected, ort[0], $"{what}: ONNX Runtime vs Trace");
            using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(expected, Onnx.Import(bytes).Call(inputs)[0], $"{what}: imported vs Trace");
        }
        // The models' tests cover the rest (native_layer_norm with weights, max_pool2d_with_indices in the CNN, ...); here every entry must appear.
        var missing = Onnx.ExportedOps.Where(op => !used.Contains(op)).ToList();
        Assert.IsEmpty(missing, $"export-table ops no case uses: {string.Join(", ", missing)}");
    }
}
