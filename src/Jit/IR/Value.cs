namespace Trace.Jit;

/// <summary>An SSA value: a graph input or the output of exactly one node.</summary>
public sealed class Value
{
    internal Value(string name, JitType type, Node? node)
    {
        Name = name;
        Type = type;
        Node = node;
    }

    /// <summary>The name printed after '%' (a debug name like <c>x</c> or <c>fc1.weight</c>, or a number).</summary>
    public string Name { get; internal set; }

    /// <summary>Its type.</summary>
    public JitType Type { get; set; }

    /// <summary>The producing node; null for graph inputs.</summary>
    public Node? Node { get; }

    /// <summary>Nodes that read this value, one entry per use.</summary>
    public List<Node> Uses { get; } = [];

    /// <summary>The specialized tensor type, or null for non-tensor values.</summary>
    public TensorType? TensorType => Type as TensorType;

    /// <inheritdoc/>
    public override string ToString() => "%" + Name;
}
