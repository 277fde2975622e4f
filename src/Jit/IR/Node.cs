using Trace.Ops;

namespace Trace.Jit;

/// <summary>
/// One operation: a kind (<c>aten::linear</c>, <c>prim::Constant</c>), input values, output values and,
/// for constants and guards, an attribute value.
/// </summary>
public sealed class Node
{
    internal Node(Graph owner, string kind)
    {
        Owner = owner;
        Kind = kind;
    }

    /// <summary>The graph this node belongs to.</summary>
    public Graph Owner { get; }

    /// <summary>The op, e.g. <c>aten::add</c>.</summary>
    public string Kind { get; }

    /// <summary>Inputs, in argument order (tensors first, then the op's non-tensor arguments).</summary>
    public List<Value> Inputs { get; } = [];

    /// <summary>Outputs.</summary>
    public List<Value> Outputs { get; } = [];

    /// <summary>The <c>value</c> attribute (constants: long, double, bool, string, long[], a tensor-constant index, or null).</summary>
    public object? Attribute { get; set; }

    /// <summary>True when <see cref="Attribute"/> is set (a constant's value may itself be null for None).</summary>
    public bool HasAttribute { get; set; }

    /// <summary>The body of a <c>prim::FusionGroup</c> node (printed after the graph as <c>with prim::FusionGroup_i = graph(...)</c>).</summary>
    public Graph? Subgraph { get; set; }

    /// <summary>While parsing: the printed name of the fusion group whose body is still to be attached.</summary>
    internal string? PendingGroup { get; set; }

    /// <summary>Re-executes an op the registry cannot rebuild by name (custom functions).</summary>
    public Func<Tensor?[], Tensor>? Replay { get; set; }

    /// <summary>The single output (most nodes have one).</summary>
    public Value Output => Outputs.Count == 1 ? Outputs[0] : throw new InvalidOperationException($"IR: {Kind} has {Outputs.Count} outputs, not one.");

    /// <summary>The op's entry in <see cref="OpTable"/>, or null for prim:: nodes and custom functions.</summary>
    public OpDef? Def => _def ??= OpTable.Find(Kind);
    private OpDef? _def;

    /// <summary>True when the op's table entry has all of <paramref name="traits"/> (false for ops the table does not know).</summary>
    public bool Has(OpTraits traits) => Def?.Has(traits) == true;

    /// <summary>True for ops whose result differs between runs with the same inputs (random ops).</summary>
    public bool IsNondeterministic => Has(OpTraits.Random);

    /// <summary>True for nodes that must stay even when their outputs are unused (guards).</summary>
    public bool HasSideEffects => Kind == "prim::ValueGuard";

    /// <summary>Replaces input <paramref name="index"/>, keeping use lists right.</summary>
    public void ReplaceInput(int index, Value value)
    {
        Inputs[index].Uses.Remove(this);
        Inputs[index] = value;
        value.Uses.Add(this);
    }

    /// <inheritdoc/>
    public override string ToString() => Printer.PrintNode(this);
}
