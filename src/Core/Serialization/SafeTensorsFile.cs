namespace Trace.Serialization;

/// <summary>
/// The contents of a safetensors file: its tensors by name (in the order of their data in the file), the string pairs
/// of its <c>__metadata__</c>, and the dtype each tensor had in the file (<c>"F16"</c> when a half tensor was
/// converted to float32 on load).
/// </summary>
public sealed class SafeTensorsFile
{
    internal SafeTensorsFile(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyDictionary<string, string> sourceDTypes)
    {
        Tensors = tensors;
        Metadata = metadata;
        SourceDTypes = sourceDTypes;
    }

    /// <summary>The tensors by name, as CPU tensors in Trace's dtypes (see <see cref="SafeTensors"/> for the conversions).</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The file's <c>__metadata__</c> (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Each tensor's dtype as the file names it (<c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I8</c>, …).</summary>
    public IReadOnlyDictionary<string, string> SourceDTypes { get; }
}
