using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Trace.Testing;

namespace Trace.Jit.Tests.OnnxFormat;

/// <summary>Runs a serialized ONNX model in ONNX Runtime (the external reference of the ONNX tests).</summary>
internal static class OnnxRuntimeRunner
{
    /// <summary>The model's outputs, in graph order, as Trace tensors (float32 inputs and outputs).</summary>
    public static Tensor[] Run(byte[] model, params (string Name, Tensor Value)[] inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        using var session = new InferenceSession(model, options);
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Value.Contiguous().ToArray<float>(), i.Value.Shape.ToArray()))).ToList();
        using var results = session.Run(feeds);
        return [.. session.OutputNames.Select(name =>
        {
            var t = results.First(r => r.Name == name).AsTensor<float>();
            return Tensor.From(t.ToArray(), t.Dimensions.ToArray());
        })];
    }

    /// <summary>Asserts closeness to about 1e-5 relative (float32 kernels of two runtimes).</summary>
    public static void Close(Tensor expected, Tensor actual, string what) =>
        TraceAssert.AllClose(expected, actual, rtol: 1e-5, atol: 2e-5, what: what);
}
