using Trace.Nn;
using Trace.Perf;

namespace Trace.Jit.Tests.OnnxFormat;


/// <summary>
/// Onnx.Export of the lecture nets, the GPT block, the CNN and the LSTM: the file runs in ONNX Runtime and gives Trace's
/// eager outputs; Onnx.Import of the exported file runs in Trace and gives them too (export → import round trip).
/// </summary>
[TestClass]
public sealed class OnnxExportTests
{
    /// <summary>Eager output, the exported model in ONNX Runtime, and the re-imported model in Trace, on a fresh input.</summary>
    private static void ExportRunsAsEager(Module model, Tensor example, Tensor input, string what)
    {
        model.Eval();
        byte[] bytes;
        Tensor expected;
        using (Autograd.NoGrad())
        {
            var traced = Jit.Trace(model, example);
            bytes = Onnx.ExportBytes(traced);
            expected = model.Forward(input);
        }
        var ort = OnnxRuntimeRunner.Run(bytes, ("input", input));
        Assert.HasCount(1, ort);
        OnnxRuntimeRunner.Close(expected, ort[0], $"{what}: ONNX Runtime vs Trace eager");
        var imported = Onnx.Import(bytes);
        CollectionAssert.AreEqual(new[] { "input" }, imported.InputNames.ToArray(), $"{what}: input names");
        using (Autograd.NoGrad()) OnnxRuntimeRunner.Close(expected, imported.Forward(input), $"{what}: imported vs Trace eager");
    }

    private static Tensor Randn(Generator g, params int[] shape) => Tensor.Randn(shape, generator: g);

    [TestMethod]
    public void Mlp_ExportedRunsInOnnxRuntimeAndImportsBack()
    {
        var g = new Generator(1);
        ExportRunsAsEager(OnnxModels.Mlp(20, 16, 4, g), Randn(g, 8, 20), Randn(g, 8, 20), "W1/W2 MLP");
    }

    [TestMethod]
    public void ParallelBlockNet_ExportedRunsInOnnxRuntimeAndImportsBack()
    {
        var g = new Generator(2);
        ExportRunsAsEager(OnnxModels.ParallelNet(20, 16, 4, g), Randn(g, 8, 20), Randn(g, 8, 20), "W3 ParallelBlock net");
    }

    [TestMethod]
    public void Cnn_ExportedRunsInOnnxRuntimeAndImportsBack()
    {
        var g = new Generator(3);
        ExportRunsAsEager(OnnxModels.Cnn(12, g), Randn(g, 2, 1, 12, 12), Randn(g, 2, 1, 12, 12), "W6 CNN");
    }

    [TestMethod]
    public void ConvBatchNorm_ExportedRunsInOnnxRuntimeAndImportsWithStatisticsAsBuffers()
    {
        var g = new Generator(8);
        var model = new Sequential(new Conv2d(2, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4 * 5 * 5, 3, generator: g));
        using (Autograd.NoGrad()) for (int i = 0; i < 3; i++) model.Forward(Randn(g, 4, 2, 5, 5));   // running statistics away from 0 and 1
        ExportRunsAsEager(model, Randn(g, 2, 2, 5, 5), Randn(g, 2, 2, 5, 5), "Conv2d + BatchNorm2d (eval)");
        byte[] bytes;
        using (Autograd.NoGrad()) bytes = Onnx.ExportBytes(Jit.Trace(model, Randn(g, 2, 2, 5, 5)));
        var imported = Onnx.Import(bytes).NamedTensors().ToDictionary(p => p.Name, p => p.Tensor.RequiresGrad);
        Assert.IsFalse(imported["1.running_mean"] || imported["1.running_var"], "running statistics are buffers");
        Assert.IsTrue(imported["1.weight"] && imported["0.weight"], "weights are parameters");
    }

    [TestMethod]
    [DataRow(GeluApproximation.None)]
    [DataRow(GeluApproximation.Tanh)]
    public void GptBlock_ExportedRunsInOnnxRuntimeAndImportsBack(GeluApproximation gelu)
    {
        var g = new Generator(4);
        ExportRunsAsEager(new GptBlock(16, 2, 8, g, gelu), Randn(g, 2, 8, 16), Randn(g, 2, 8, 16), $"W5 GPT block (GELU {gelu})");
    }

    [TestMethod]
    public void Lstm_ExportedRunsInOnnxRuntimeAndImportsBack()
    {
        var g = new Generator(5);
        ExportRunsAsEager(new LstmClassifier(6, 8, 3, g), Randn(g, 2, 5, 6), Randn(g, 2, 5, 6), "W7 LSTM classifier (5 steps unrolled)");
    }

    [TestMethod]
    [TestCategory("Slow")]
    public void WorkloadSizedModels_ExportedRunInOnnxRuntimeAndImportBack()
    {
        var g = new Generator(6);
        ExportRunsAsEager(OnnxModels.Mlp(1000, 100, 1000, g), Randn(g, 64, 1000), Randn(g, 64, 1000), "W1");
        ExportRunsAsEager(new GptBlock(256, 4, 128, g), Randn(g, 8, 128, 256), Randn(g, 8, 128, 256), "W5");
        ExportRunsAsEager(OnnxModels.Cnn(28, g), Randn(g, 64, 1, 28, 28), Randn(g, 64, 1, 28, 28), "W6");
        ExportRunsAsEager(new LstmClassifier(128, 256, 10, g), Randn(g, 32, 32, 128), Randn(g, 32, 32, 128), "W7");
    }
}
