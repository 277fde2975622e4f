namespace Trace.Jit;

/// <summary>
/// Nodes for a number that depends on the graph's dynamic sizes: <c>%5 : int = prim::SymInt[value="2*s0"]()</c>
/// (a size argument of a view, narrow, expand...) and <c>%6 : float = prim::SymFloat[value="s0*s1"]()</c> (e.g. the
/// element count a mean divides by). They take the place of the constants a trace at one size recorded, and are
/// evaluated from the sizes of each call.
/// </summary>
public static class SymbolicScalar
{
    /// <summary>The kind of an int-valued size expression.</summary>
    public const string IntKind = "prim::SymInt";

    /// <summary>The kind of a float-valued size expression.</summary>
    public const string FloatKind = "prim::SymFloat";

    /// <summary>True for <c>prim::SymInt</c> and <c>prim::SymFloat</c> nodes.</summary>
    public static bool Is(Node n) => n.Kind is IntKind or FloatKind;

    /// <summary>Inserts a node computing <paramref name="e"/> before <paramref name="index"/>.</summary>
    public static Value Insert(Graph g, int index, SymExpr e, bool floating)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(e);
        var n = g.Insert(index, floating ? FloatKind : IntKind, [], floating ? JitType.Float : JitType.Int);
        n.Attribute = e.ToString();
        n.HasAttribute = true;
        return n.Output;
    }

    /// <summary>The expression of a <c>prim::SymInt</c>/<c>prim::SymFloat</c> node.</summary>
    /// <exception cref="InvalidOperationException">The node is not one, or its attribute is not an expression.</exception>
    public static SymExpr Expression(Node n)
    {
        ArgumentNullException.ThrowIfNull(n);
        if (!Is(n) || n.Attribute is not string text) throw new InvalidOperationException($"IR: {n.Kind} is not a size expression node with a string value.");
        try
        {
            return SymExpr.Parse(text);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"IR: {n.Kind}[value=\"{text}\"]: {e.Message}", e);
        }
    }
}
