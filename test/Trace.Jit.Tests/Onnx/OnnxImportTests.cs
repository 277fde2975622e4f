namespace Trace.Jit.Tests.OnnxFormat;

using B = OnnxModelBuilder;

/// <summary>
/// Onnx.Import of models written as other frameworks write them (Gemm with transB, MatMul+Add, Conv, MaxPool, Flatten,
/// a Shape→Gather→Concat→Reshape chain, LayerNormalization, the Erf form of GELU, Softmax): Trace's run matches ONNX
/// Runtime's, the imported module is differentiable, and bad files and unsupported ops fail with clear errors.
/// </summary>
[TestClass]
public sealed class OnnxImportTests
{
    private static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, generator: g);

    /// <summary>A PyTorch-style CNN classifier with a symbolic batch dim.</summary>
    private static byte[] CnnModel(Generator g) => new B("cnn")
        .Input("image", "batch", 1, 8, 8)
        .Initializer("conv.weight", Randn(g, 4, 1, 3, 3)).Initializer("conv.bias", Randn(g, 4))
        .Initializer("fc1.weight", Randn(g, 6, 64)).Initializer("fc1.bias", Randn(g, 6))
        .Initializer("fc2.weight_t", Randn(g, 6, 3)).Initializer("fc2.bias", Randn(g, 3))
        .Node("Conv", ["image", "conv.weight", "conv.bias"], ["c"], B.IntList("kernel_shape", 3, 3), B.IntList("pads", 1, 1, 1, 1), B.IntList("strides", 1, 1))
        .Node("Relu", ["c"], ["r"])
        .Node("MaxPool", ["r"], ["p"], B.IntList("kernel_shape", 2, 2), B.IntList("strides", 2, 2))
        .Node("Flatten", ["p"], ["f"], B.Int("axis", 1))
        .Node("Gemm", ["f", "fc1.weight", "fc1.bias"], ["h"], B.Int("transB", 1), B.Float("alpha", 1), B.Float("beta", 1))
        .Node("Relu", ["h"], ["hr"])
        .Node("MatMul", ["hr", "fc2.weight_t"], ["m"])
        .Node("Add", ["m", "fc2.bias"], ["logits"])
        .Node("Softmax", ["logits"], ["probs"], B.Int("axis", 1))
        .Output("probs", "batch", 3)
        .Build();

    /// <summary>A transformer-MLP fragment: LayerNormalization, Erf-GELU op by op, and a reshape whose shape is computed from Shape.</summary>
    private static byte[] GeluModel(Generator g) => new B("gelu")
        .Input("x", 2, 4, 8)
        .Initializer("ln.weight", Randn(g, 8)).Initializer("ln.bias", Randn(g, 8))
        .Ints("minus_one", -1)
        .Node("LayerNormalization", ["x", "ln.weight", "ln.bias"], ["n"], B.Int("axis", -1), B.Float("epsilon", 1e-5f))
        .Constant("sqrt2", MathF.Sqrt(2)).Constant("one", 1).Constant("half", 0.5f)
        .Node("Div", ["n", "sqrt2"], ["d"]).Node("Erf", ["d"], ["e"]).Node("Add", ["e", "one"], ["a"])
        .Node("Mul", ["n", "a"], ["m"]).Node("Mul", ["m", "half"], ["gelu"])
        .Node("Shape", ["gelu"], ["s"])
        .Constant("zero_f", 0).Node("Cast", ["zero_f"], ["zero"], B.Int("to", 7))
        .Node("Gather", ["s", "zero"], ["batch"], B.Int("axis", 0))
        .Node("Unsqueeze", ["batch", "axes0"], ["batch1"]).Ints("axes0", 0)
        .Node("Concat", ["batch1", "minus_one"], ["shape"], B.Int("axis", 0))
        .Node("Reshape", ["gelu", "shape"], ["flat"])
        .Node("Transpose", ["flat"], ["y"], B.IntList("perm", 1, 0))
        .Output("y", 32, 2)
        .Build();

    [TestMethod]
    public void AnotherFrameworksCnn_ImportsAndMatchesOnnxRuntime()
    {
        var g = new Generator(11);
        var bytes = CnnModel(g);
        var x = Randn(g, 3, 1, 8, 8);
        var module = Onnx.Import(bytes, new Dictionary<string, int[]> { ["image"] = [3, 1, 8, 8] });
        CollectionAssert.AreEqual(new[] { "image" }, module.InputNames.ToArray());
        CollectionAssert.AreEquivalent(new[] { "conv.weight", "conv.bias", "fc1.weight", "fc1.bias", "fc2.weight_t", "fc2.bias" }, module.NamedTensors().Select(p => p.Name).ToArray());
        using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(OnnxRuntimeRunner.Run(bytes, ("image", x))[0], module.Forward(x), "imported CNN vs ONNX Runtime");
    }

    [TestMethod]
    public void AnotherFrameworksGeluFragment_ImportsAndMatchesOnnxRuntime()
    {
        var g = new Generator(12);
        var bytes = GeluModel(g);
        var x = Randn(g, 2, 4, 8);
        using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(OnnxRuntimeRunner.Run(bytes, ("x", x))[0], Onnx.Import(bytes).Forward(x), "imported GELU fragment vs ONNX Runtime");
    }

    [TestMethod]
    [DataRow("none")]
    [DataRow("tanh")]
    public void Opset20Gelu_ImportsAndMatchesOnnxRuntime(string approximate)
    {
        var attr = new global::Onnx.AttributeProto { Name = "approximate", Type = global::Onnx.AttributeProto.Types.AttributeType.String, S = Google.Protobuf.ByteString.CopyFromUtf8(approximate) };
        var bytes = new B("gelu20", opset: 20).Input("x", 3, 5).Node("Gelu", ["x"], ["y"], attr).Output("y", 3, 5).Build();
        var x = Randn(new Generator(16), 3, 5);
        using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(OnnxRuntimeRunner.Run(bytes, ("x", x))[0], Onnx.Import(bytes).Forward(x), $"Gelu({approximate}) vs ONNX Runtime");
    }

    [TestMethod]
    public void AnImportedModel_IsDifferentiableAsTheOriginal()
    {
        var g = new Generator(13);
        var model = OnnxModels.Mlp(6, 5, 3, g);
        var x = Randn(g, 4, 6);
        byte[] bytes;
        using (Autograd.NoGrad()) bytes = Onnx.ExportBytes(Jit.Trace(model, x));
        var imported = Onnx.Import(bytes);
        model.Forward(x).Square().Sum().Backward();
        imported.Forward(x).Square().Sum().Backward();
        var original = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.HasCount(4, imported.NamedTensors());
        foreach (var (name, t) in imported.NamedTensors())
            OnnxRuntimeRunner.Close(original[name].Grad!, t.Grad!, $"grad of {name}");
    }

    [TestMethod]
    public void SymbolicDimWithoutAShape_IsRefusedNamingTheInput()
    {
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Onnx.Import(CnnModel(new Generator(14))));
        StringAssert.Contains(e.Message, "'image'");
        StringAssert.Contains(e.Message, "'batch'");
    }

    [TestMethod]
    public void CorruptOrTruncatedFiles_AreRefused()
    {
        var bytes = CnnModel(new Generator(15));
        Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(bytes[..(bytes.Length / 2)]));
        Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import("this is not an ONNX model"u8.ToArray()));
        Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(Array.Empty<byte>()));
        var path = Path.Combine(Path.GetTempPath(), $"trace-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            File.WriteAllBytes(path, bytes[..100]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(path));
            StringAssert.Contains(e.Message, path);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void UnsupportedOpsOpsetsAndDomains_AreRefusedNamingThem()
    {
        var einsum = new B("m").Input("x", 2, 2).Node("Einsum", ["x", "x"], ["y"]).Output("y", 2, 2).Build();
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Onnx.Import(einsum));
        StringAssert.Contains(e.Message, "Einsum");
        StringAssert.Contains(e.Message, "/Einsum_0");
        var old = new B("m", opset: 11).Input("x", 2).Node("Relu", ["x"], ["y"]).Output("y", 2).Build();
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => Onnx.Import(old)).Message, "opset 11");
        var other = new B("m").Input("x", 2).Node("Relu", ["x"], ["y"]).Output("y", 2).Build(domain: "com.microsoft");
        Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(other));
        var stepped = new B("m").Input("x", 4).Ints("s", 0).Ints("e", 4).Ints("a", 0).Ints("st", 2)
            .Node("Slice", ["x", "s", "e", "a", "st"], ["y"]).Output("y", 2).Build();
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => Onnx.Import(stepped)).Message, "step 2");
        var mismatch = new B("m").Input("x", 2, 3).Initializer("w", Tensor.Ones(4, 5)).Node("MatMul", ["x", "w"], ["y"]).Output("y", 2, 5).Build();
        var bad = Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(mismatch));
        StringAssert.Contains(bad.Message, "/MatMul_0");
        StringAssert.Contains(bad.Message, "(2, 3), (4, 5)");
        var dangling = new B("m").Input("x", 2).Node("Add", ["x", "nowhere"], ["y"]).Output("y", 2).Build();
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Onnx.Import(dangling)).Message, "'nowhere'");
    }
}
