using OnnxPb = global::Onnx;

namespace Trace.Jit;

/// <summary>One ONNX node being imported: its input tensors, its attributes, and the values known before the inputs.</summary>
internal sealed class OnnxImportCall(OnnxPb.NodeProto node, Tensor?[] inputs, IReadOnlyDictionary<string, Tensor> known, long opset)
{
    /// <summary>The node.</summary>
    public OnnxPb.NodeProto Node { get; } = node;

    /// <summary>The default domain's opset of the model.</summary>
    public long Opset { get; } = opset;

    /// <summary>How many inputs the node lists (absent optional ones included).</summary>
    public int Count => inputs.Length;

    /// <summary>Input <paramref name="i"/>, which must be present.</summary>
    public Tensor In(int i) => Opt(i) ?? throw Bad($"input {i} is required");

    /// <summary>Input <paramref name="i"/>, or null when absent.</summary>
    public Tensor? Opt(int i) => i < inputs.Length ? inputs[i] : null;

    /// <summary>
    /// The values of input <paramref name="i"/> as longs; it must be known before the graph's inputs (a constant, an integer
    /// initializer, or computed from shapes), since Trace's ops take these as sizes.
    /// </summary>
    public long[]? ConstLongs(int i)
    {
        if (Opt(i) is null) return null;
        if (!known.TryGetValue(Node.Input[i], out var t))
            throw new NotSupportedException($"Onnx.Import: node '{Node.Name}' ({Node.OpType}): input {i} ('{Node.Input[i]}') must be a constant (an initializer, a Constant, or computed from those and shapes only), not a value computed from the graph's inputs.");
        return t.DType switch
        {
            DType.Int64 => t.Contiguous().ToArray<long>(),
            DType.Int32 => [.. t.Contiguous().ToArray<int>().Select(v => (long)v)],
            _ => throw Bad($"input {i} ('{Node.Input[i]}') is {t.DType}, not an integer tensor"),
        };
    }

    /// <summary>The single value of constant input <paramref name="i"/> as a double (Clip's bounds), or null when absent.</summary>
    public double? ConstScalar(int i)
    {
        if (Opt(i) is null) return null;
        if (!known.TryGetValue(Node.Input[i], out var t) || t.Numel != 1)
            throw new NotSupportedException($"Onnx.Import: node '{Node.Name}' ({Node.OpType}): input {i} ('{Node.Input[i]}') must be a constant scalar.");
        return t.To(DType.Float64).Contiguous().ToArray<double>()[0];
    }

    /// <summary>An INT attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Find(name) is { } a ? a.I : fallback;

    /// <summary>A FLOAT attribute, or <paramref name="fallback"/>.</summary>
    public double Float(string name, double fallback) => Find(name) is { } a ? a.F : fallback;

    /// <summary>A STRING attribute, or <paramref name="fallback"/>.</summary>
    public string Str(string name, string fallback) => Find(name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An INTS attribute, or null.</summary>
    public long[]? Ints(string name) => Find(name) is { } a ? [.. a.Ints] : null;

    /// <summary>The attribute named <paramref name="name"/>, or null.</summary>
    public OnnxPb.AttributeProto? Find(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>Refuses an attribute value Trace does not import.</summary>
    public NotSupportedException Unsupported(string what) => new($"Onnx.Import: node '{Node.Name}' ({Node.OpType}, opset {Opset}): {what} is not supported.");

    /// <summary>A malformed node.</summary>
    public InvalidDataException Bad(string what) => new($"Onnx.Import: node '{Node.Name}' ({Node.OpType}): {what}.");
}
