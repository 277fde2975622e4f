using Trace.Nn;

namespace Trace.Jit.Tests.OnnxFormat;

using OnnxPb = global::Onnx;

/// <summary>What an exported file holds (the IR's names, opset, initializers, shapes) and what Export refuses.</summary>
[TestClass]
public sealed class OnnxExportFileTests
{
    [TestMethod]
    public void AnExportedFile_KeepsTheIrNamesAndRunsFromItsPath()
    {
        var g = new Generator(21);
        var model = OnnxModels.Mlp(6, 5, 3, g);
        var x = Tensor.Randn([4, 6], generator: g);
        var path = Path.Combine(Path.GetTempPath(), $"trace-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            TracedModule traced;
            using (Autograd.NoGrad())
            {
                traced = Jit.Trace(model, x);
                Onnx.Export(traced, path);
            }
            var m = OnnxPb.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
            Assert.AreEqual(17L, m.OpsetImport.Single().Version);
            var irInputs = traced.ForwardGraph.Inputs.Select(v => v.Name).ToArray();
            CollectionAssert.AreEqual(irInputs[..1], m.Graph.Input.Select(i => i.Name).ToArray(), "graph inputs: the call inputs");
            CollectionAssert.AreEqual(irInputs[1..], m.Graph.Initializer.Select(i => i.Name).ToArray(), "initializers: the parameters by name");
            CollectionAssert.AreEqual(traced.ForwardGraph.Outputs.Select(v => v.Name).ToArray(), m.Graph.Output.Select(o => o.Name).ToArray());
            CollectionAssert.AreEqual(new long[] { 4, 6 }, m.Graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimValue).ToArray());
            CollectionAssert.IsSubsetOf(traced.ForwardGraph.Nodes.Where(n => n.Kind != "prim::Constant").Select(n => n.Outputs[0].Name).ToArray(),
                m.Graph.Node.SelectMany(n => n.Output).ToArray(), "node outputs keep the IR's value names");
            using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path);
            CollectionAssert.AreEqual(new[] { "input" }, session.InputMetadata.Keys.ToArray());
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void AnOpWithoutAnOnnxForm_IsRefusedNamingTheOpAndTheNode()
    {
        var x = Tensor.Randn([3, 4], generator: new Generator(22));
        var traced = Jit.Trace(t => t.Cumsum(1).Relu(), x);
        var e = Assert.ThrowsExactly<NotSupportedException>(() => Onnx.ExportBytes(traced));
        StringAssert.Contains(e.Message, "aten::cumsum");
        StringAssert.Contains(e.Message, $"%{traced.ForwardGraph.Nodes.First(n => n.Kind == "aten::cumsum").Output.Name}");
    }

    [TestMethod]
    public void DropoutInTrainingMode_IsRefusedAskingForEval()
    {
        var g = new Generator(23);
        var model = new Sequential(new Linear(4, 4, generator: g), new Dropout(0.5, g));
        var x = Tensor.Randn([2, 4], generator: g);
        model.Train();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Onnx.ExportBytes(Jit.Trace(model, x)));
        StringAssert.Contains(e.Message, "Eval()");
        model.Eval();
        byte[] bytes;
        using (Autograd.NoGrad()) bytes = Onnx.ExportBytes(Jit.Trace(model, x));
        using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(model.Forward(x), OnnxRuntimeRunner.Run(bytes, ("input", x))[0], "eval-mode dropout exports as identity");
    }

    [TestMethod]
    public void BadOpsetsAndUsedPoolIndices_AreRefused()
    {
        var x = Tensor.Randn([1, 1, 4, 4], generator: new Generator(24));
        var relu = Jit.Trace(t => t.Relu(), x);
        Assert.ThrowsExactly<NotSupportedException>(() => Onnx.ExportBytes(relu, opset: 16));
        var indices = Jit.Trace(t => t.MaxPool2dWithIndices([2, 2]).Indices.To(DType.Float32), x);
        StringAssert.Contains(Assert.ThrowsExactly<NotSupportedException>(() => Onnx.ExportBytes(indices)).Message, "indices");
    }
}
