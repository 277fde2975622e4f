using OnnxPb = global::Onnx;

namespace Trace.Jit;

/// <summary>
/// Reads an ONNX model into a <see cref="TracedModule"/>: each ONNX node runs as Trace ops (<see cref="OnnxImportOps"/>)
/// once on example inputs of the graph inputs' shapes, which finds the values known before any input arrives (constants,
/// integer initializers, shapes and what is computed from them only); a trace of a second run then records the graph
/// as aten ops. Floating-point initializers become the module's parameters (by their ONNX names; requiring grad, except
/// batch norm's running statistics), so the
/// imported module runs, differentiates and fine-tunes without the exporting framework's code.
/// </summary>
internal sealed class OnnxImporter
{
    /// <summary>The opsets of the default domain whose operator semantics the import table follows.</summary>
    public const int MinOpset = 13, MaxOpset = 21;

    private readonly OnnxPb.GraphProto _g;
    private readonly Dictionary<string, Tensor> _static = new(StringComparer.Ordinal);
    private readonly HashSet<int> _staticNodes = [];
    private readonly Dictionary<string, Tensor> _known = new(StringComparer.Ordinal);   // _static plus the float initializers' import-time values

    /// <summary>The opset of the default domain the model imports.</summary>
    public long Opset { get; }

    private OnnxImporter(OnnxPb.GraphProto g, long opset) => (_g, Opset) = (g, opset);

    /// <summary>Parses and imports a serialized model.</summary>
    public static TracedModule Import(byte[] bytes, string source, IReadOnlyDictionary<string, int[]>? inputShapes)
    {
        OnnxPb.ModelProto model;
        try { model = OnnxPb.ModelProto.Parser.ParseFrom(bytes); }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new InvalidDataException($"Onnx.Import: {source} is not an ONNX model (protobuf: {ex.Message}).", ex);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0)
            throw new InvalidDataException($"Onnx.Import: {source} holds no graph (is it an ONNX model?).");
        var opsets = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (opsets.Count == 0) throw new InvalidDataException($"Onnx.Import: {source} imports no opset of the default ONNX domain.");
        long opset = opsets[0].Version;
        if (opset < MinOpset || opset > MaxOpset)
            throw new NotSupportedException($"Onnx.Import: {source} uses opset {opset}; Trace imports opsets {MinOpset} to {MaxOpset}.");
        var name = string.IsNullOrEmpty(model.Graph.Name) ? "onnx" : model.Graph.Name;
        return new OnnxImporter(model.Graph, opset).Run(name, inputShapes);
    }

    private TracedModule Run(string name, IReadOnlyDictionary<string, int[]>? inputShapes)
    {
        var initializers = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var p in _g.Initializer)
            initializers[p.Name] = OnnxTensors.FromProto(p, $"initializer '{p.Name}'");
        var inputs = _g.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        var examples = inputs.Select(i => Example(i, inputShapes)).ToArray();
        // Batch norm's running statistics are buffers: parameters (graph inputs) that do not require grad.
        var statistics = _g.Node.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Input.Skip(3).Take(2)).ToHashSet(StringComparer.Ordinal);
        var parameters = initializers.Where(kv => kv.Value.DType is DType.Float32 or DType.Float64)
            .Select(kv => (kv.Key, Tensor: kv.Value.RequiresGrad_(!statistics.Contains(kv.Key)))).ToList();
        foreach (var (k, v) in initializers)
            if (v.DType is not (DType.Float32 or DType.Float64)) _static[k] = v;

        foreach (var (k, v) in initializers) _known[k] = v;
        // First run, untraced: which values are known before the inputs (their tensors become constants of the graph).
        using (Autograd.NoGrad()) Evaluate([.. examples, .. parameters.Select(p => p.Tensor)], inputs, parameters, first: true);

        var names = Names([.. inputs.Select(i => i.Name), .. parameters.Select(p => p.Key)]);
        var traced = global::Trace.Jit.Jit.Trace(all => Evaluate(all, inputs, parameters, first: false), [.. examples, .. parameters.Select(p => p.Tensor)], inputNames: names);
        var graph = traced.ForwardGraph;
        var named = parameters.Select((p, k) => (names[inputs.Count + k], p.Tensor)).ToList();
        return TracedModule.FromSaved(name, names[..inputs.Count], named, [], [], [new SavedForward(graph, [], [.. traced.LastLifted])], new TraceOptions());
    }

    private Tensor[] Evaluate(Tensor[] all, List<OnnxPb.ValueInfoProto> inputs, List<(string Key, Tensor Tensor)> parameters, bool first)
    {
        var env = new Dictionary<string, Tensor>(_static, StringComparer.Ordinal);
        for (int i = 0; i < inputs.Count; i++) env[inputs[i].Name] = all[i];
        for (int k = 0; k < parameters.Count; k++) env[parameters[k].Key] = all[inputs.Count + k];
        for (int idx = 0; idx < _g.Node.Count; idx++)
        {
            var node = _g.Node[idx];
            if (!first && _staticNodes.Contains(idx)) continue;   // its outputs are in _static, hence in env
            if (node.Domain is not ("" or "ai.onnx"))
                throw new NotSupportedException($"Onnx.Import: node '{node.Name}' is {node.Domain}.{node.OpType}, an op of another domain than ONNX's own (opset {Opset}).");
            if (!OnnxImportOps.Table.TryGetValue(node.OpType, out var run))
                throw new NotSupportedException($"Onnx.Import: node '{node.Name}' is a {node.OpType}, which Trace does not import (opset {Opset}); supported: {string.Join(", ", OnnxImportOps.Table.Keys.Order(StringComparer.Ordinal))}.");
            var args = node.Input.Select(n => n.Length == 0 ? null : env.TryGetValue(n, out var t) ? t
                : throw new InvalidDataException($"Onnx.Import: node '{node.Name}' ({node.OpType}) reads '{n}', which no earlier node, input or initializer defines.")).ToArray();
            Tensor?[] outs;
            try { outs = run(new OnnxImportCall(node, args, _known, Opset)); }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                throw new InvalidDataException($"Onnx.Import: node '{node.Name}' ({node.OpType}, inputs {string.Join(", ", args.Select(a => a is null ? "none" : $"({string.Join(", ", a.Shape.ToArray())})"))}): {ex.Message}", ex);
            }
            bool isStatic = first && (node.OpType is "Constant" or "Shape" || node.Input.All(n => n.Length == 0 || _static.ContainsKey(n)));
            if (isStatic) _staticNodes.Add(idx);
            for (int o = 0; o < node.Output.Count && o < outs.Length; o++)
            {
                if (node.Output[o].Length == 0 || outs[o] is not { } t) continue;
                env[node.Output[o]] = t;
                if (isStatic) _static[node.Output[o]] = _known[node.Output[o]] = t;
            }
        }
        return [.. _g.Output.Select(o => env.TryGetValue(o.Name, out var t) ? t
            : throw new InvalidDataException($"Onnx.Import: graph output '{o.Name}' is not computed by any node."))];
    }

    private static Tensor Example(OnnxPb.ValueInfoProto input, IReadOnlyDictionary<string, int[]>? inputShapes)
    {
        var tt = input.Type?.TensorType ?? throw new NotSupportedException($"Onnx.Import: graph input '{input.Name}' is not a tensor.");
        var dtype = OnnxTensors.DTypeOf(tt.ElemType) ?? throw new NotSupportedException($"Onnx.Import: graph input '{input.Name}' has element type {OnnxTensors.ElemName(tt.ElemType)}.");
        if (inputShapes is not null && inputShapes.TryGetValue(input.Name, out var given)) return Tensor.Zeros(given, dtype);
        var dims = tt.Shape?.Dim ?? throw new NotSupportedException($"Onnx.Import: graph input '{input.Name}' has no shape; pass its shape in inputShapes.");
        var shape = dims.Select((d, i) => d.ValueCase == OnnxPb.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? (int)d.DimValue
            : throw new NotSupportedException($"Onnx.Import: graph input '{input.Name}' has a symbolic dim {i} ('{d.DimParam}'); pass its shape in inputShapes (the imported graph is specialized on it).")).ToArray();
        return Tensor.Zeros(shape, dtype);
    }

    /// <summary>IR value names for ONNX names: characters the IR cannot print become '_', and repeats get a suffix.</summary>
    private static string[] Names(IEnumerable<string> onnxNames)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        return [.. onnxNames.Select(n =>
        {
            var s = new string([.. n.Select(c => char.IsWhiteSpace(c) || char.IsControl(c) || "()[]<>,:=%\"".Contains(c) ? '_' : c)]);
            if (s.Length == 0) s = "_";
            var candidate = s;
            for (int k = 1; !used.Add(candidate); k++) candidate = $"{s}_{k}";
            return candidate;
        })];
    }
}
