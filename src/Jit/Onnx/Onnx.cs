using Google.Protobuf;
using OnnxPb = global::Onnx;

namespace Trace.Jit;

/// <summary>
/// ONNX export and import (<c>torch.onnx.export</c>'s counterpart). <see cref="Export(TracedModule, string, int)"/> writes a traced
/// module's recorded forward graph (opset 17 by default) with the IR's value names, so ONNX Runtime, other frameworks and
/// Netron read it; <see cref="Import(string, IReadOnlyDictionary{string, int[]}?)"/> reads a model another framework wrote
/// into a <see cref="TracedModule"/> that runs, differentiates and compiles in Trace. Both cover the op set of the MLPs,
/// CNNs (Conv2d, MaxPool2d), LSTMs (unrolled per sequence length) and GPT blocks (LayerNorm, attention, GELU) Trace builds.
/// </summary>
/// <remarks>
/// It sits beside <see cref="Jit"/> in <c>Trace.Jit</c>: <c>using Trace.Jit;</c> then <c>Onnx.Export(...)</c>. The ONNX protobuf
/// classes come from the OnnxSharp package (namespace <c>Onnx</c>), kept out of referencing projects' compile so that the name
/// <c>Onnx</c> means this class there.
/// </remarks>
public static class Onnx
{
    /// <summary>The opset Export writes unless told otherwise.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The aten ops Export writes.</summary>
    public static IReadOnlyCollection<string> ExportedOps => [.. OnnxExportOps.Table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The ONNX op types Import reads.</summary>
    public static IReadOnlyCollection<string> ImportedOps => [.. OnnxImportOps.Table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Writes the forward graph of <paramref name="traced"/>'s last call as an ONNX model to <paramref name="path"/>: its call
    /// inputs are the graph inputs (with their traced shapes), its parameters, buffers, lifted tensors and tensor constants
    /// initializers, and values keep their IR names (<c>input</c>, <c>0.weight</c>, <c>3</c>). The file is written to a temporary
    /// name and renamed, so a failed export leaves an existing file whole.
    /// </summary>
    /// <exception cref="NotSupportedException">An op has no ONNX form here (the message names the op and the node), or the opset is not 17–21.</exception>
    /// <exception cref="InvalidOperationException">The graph draws random numbers (trace in eval mode), or nothing was traced yet.</exception>
    public static void Export(TracedModule traced, string path, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = ExportBytes(traced, opset);   // every check before the file is touched
        Trace.Serialization.AtomicFile.Write(path, file => file.Write(bytes), "Onnx.Export");
    }

    /// <summary>As <see cref="Export(TracedModule, string, int)"/>, returning the serialized model.</summary>
    public static byte[] ExportBytes(TracedModule traced, int opset = DefaultOpset)
    {
        ArgumentNullException.ThrowIfNull(traced);
        if (opset < DefaultOpset || opset > OnnxImporter.MaxOpset)
            throw new NotSupportedException($"Onnx.Export: opset {opset} is not supported; Trace writes opsets {DefaultOpset} to {OnnxImporter.MaxOpset}.");
        if (traced.ComputesGradients)
            throw new NotSupportedException($"Onnx.Export: {traced.Name} is a traced training step; export the model's forward (Jit.Trace(model, …)) instead.");
        var graph = traced.ForwardGraph;
        var values = traced.CurrentParameters().Select(p => p.Tensor).Concat(traced.LastLifted).ToList();
        int callInputs = traced.InputNames.Count;
        if (graph.Inputs.Count != callInputs + values.Count)
            throw new InvalidOperationException($"Onnx.Export: {traced.Name}'s graph has {graph.Inputs.Count} inputs, but {callInputs} call inputs and {values.Count} parameters, buffers and lifted tensors.");
        var model = new OnnxPb.ModelProto
        {
            IrVersion = 8,
            ProducerName = "Trace",
            ProducerVersion = typeof(Onnx).Assembly.GetName().Version?.ToString() ?? "",
            Graph = OnnxExporter.Write(graph, traced.Name, callInputs, values),
        };
        model.OpsetImport.Add(new OnnxPb.OperatorSetIdProto { Domain = "", Version = opset });
        return model.ToByteArray();
    }

    /// <summary>
    /// Reads the ONNX model at <paramref name="path"/> into a module that runs it with Trace's ops: its graph inputs (those
    /// that are not initializers) are the call inputs, its floating-point initializers the module's parameters (by name,
    /// requiring grad). The graph is specialized on the inputs' shapes: give <paramref name="inputShapes"/> (by input name)
    /// for inputs with symbolic dims.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not an ONNX model, or a node is malformed (the message names the node).</exception>
    /// <exception cref="NotSupportedException">An op, attribute, opset or element type Trace does not import (named in the message).</exception>
    public static TracedModule Import(string path, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return OnnxImporter.Import(File.ReadAllBytes(path), $"'{path}'", inputShapes);
    }

    /// <summary>As <see cref="Import(string, IReadOnlyDictionary{string, int[]}?)"/>, from a serialized model.</summary>
    public static TracedModule Import(byte[] model, IReadOnlyDictionary<string, int[]>? inputShapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return OnnxImporter.Import(model, "the model", inputShapes);
    }
}
