using Trace.Ops;

namespace Trace.Jit;

// Peephole: local algebraic simplifications that are exact (the result is the same tensor, bit for bit).
//
// Needs: nothing; run CSE first when duplicates hide a pattern. Leaves the bypassed nodes dead: run DCE after.
// Rules (each only when the rewritten value is used, and "→ x" only when the node's output type equals x's
// type — same dtype, shape, strides, requires_grad and device — so no broadcast or type promotion is lost):
//   x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0 (an int or float constant operand)   → x
//   transpose(transpose(x, a, b), a, b) or (…, b, a)                             → x
//   reshape/view(reshape/view(x, s1), s2), x contiguous                          → reshape(x, s2) (view if both were views)
//   reshape/view/expand(x, s) whose result has x's type (same shape and strides)  → x
//   permute(permute(x, p), q)                                                    → permute(x, p[q[i]]), or x if that is the identity
//   aten::to(x, dtype) where x already has that dtype                            → x
// The arithmetic rules also skip results that are returned or that an in-place op may write to, and x when
// an in-place op may write to it: eager x * 1 is a fresh tensor, and the rewrite would make it alias x.
// (Transposes, reshapes, permutes and a no-op to() are views or x itself in eager too: aliasing is unchanged.)
// Note: x + 0 maps -0.0 to +0.0 in IEEE arithmetic; like TorchScript, the rule treats the two zeros as equal.
//
// Before:
//   graph(%x : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu)):
//     %1 : int = prim::Constant[value=1]()
//     %2 : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::mul(%x, %1)
//     %3 : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::relu(%2)
//     return (%3)
// After (%1 and %2 are left for DCE):
//   graph(%x : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu)):
//     %1 : int = prim::Constant[value=1]()
//     %2 : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::mul(%x, %1)
//     %3 : Float(2, 3, strides=[3, 1], requires_grad=0, device=cpu) = aten::relu(%x)
//     return (%3)

/// <summary>Exact local simplifications: arithmetic identities, transpose/permute/reshape chains, no-op casts.</summary>
public sealed class Peephole : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "peephole";

    /// <inheritdoc/>
    public bool Run(Graph g)
    {
        var mutated = PassUtil.MutatedValues(g);
        bool changed = false;
        foreach (var n in g.Nodes.ToList())
        {
            if (n.Outputs.Count != 1 || (n.Output.Uses.Count == 0 && !g.Outputs.Contains(n.Output))) continue;
            if (Identity(n) is { } x && x.Type.Equals(n.Output.Type) && (!IsArithmetic(n) || KeepsAliasing(g, n, x, mutated)))
            {
                g.ReplaceAllUses(n.Output, x);
                changed = true;
            }
            else if (CombineReshapes(g, n) || CombinePermutes(g, n)) changed = true;
        }
        return changed;
    }

    /// <summary>The value <paramref name="n"/> is equal to, if a rule shows one (type still to be checked).</summary>
    private static Value? Identity(Node n)
    {
        switch (n.Kind)
        {
            case "aten::mul" when n.Inputs.Count == 2:
                return IsNumber(n.Inputs[1], 1) ? n.Inputs[0] : IsNumber(n.Inputs[0], 1) ? n.Inputs[1] : null;
            case "aten::add" when n.Inputs.Count == 2:
                return IsNumber(n.Inputs[1], 0) ? n.Inputs[0] : IsNumber(n.Inputs[0], 0) ? n.Inputs[1] : null;
            case "aten::div" or "aten::sub" when n.Inputs.Count == 2:
                return IsNumber(n.Inputs[1], n.Kind == "aten::div" ? 1 : 0) ? n.Inputs[0] : null;
            case "aten::to" when n.Inputs.Count == 2:
                return n.Inputs[0].Type is TensorType x && PassUtil.IntConstant(n.Inputs[1]) is long code &&
                    code is 3 or 4 or 6 or 7 or 11 && ScalarTypes.FromCode(code) == x.DType ? n.Inputs[0] : null;
            case "aten::reshape" or "aten::view" or "aten::expand" when n.Inputs.Count == 2:
                return n.Inputs[0];
            case "aten::transpose" when n.Inputs.Count == 3 && n.Inputs[0].Node is { Kind: "aten::transpose" } inner && inner.Inputs.Count == 3:
                return inner.Inputs[0].Type is TensorType t && Dims(n, t.Shape.Length) is { } outer &&
                    Dims(inner, t.Shape.Length) is { } first && outer.SetEquals(first) ? inner.Inputs[0] : null;
            default:
                return null;
        }
    }

    private static bool IsArithmetic(Node n) => n.Kind is "aten::mul" or "aten::div" or "aten::add" or "aten::sub";

    /// <summary>Whether replacing the fresh result of <paramref name="n"/> by <paramref name="x"/> is invisible: nobody writes to either, and the result is not returned.</summary>
    private static bool KeepsAliasing(Graph g, Node n, Value x, HashSet<Value> mutated) =>
        !mutated.Contains(n.Output) && !mutated.Contains(x) && !g.Outputs.Contains(n.Output);

    private static bool IsNumber(Value v, double value) => v.Type is not TensorType && PassUtil.NumberConstant(v) == value;

    /// <summary>The two dims of a transpose, normalized against <paramref name="rank"/>.</summary>
    private static HashSet<long>? Dims(Node transpose, int rank)
    {
        if (PassUtil.IntConstant(transpose.Inputs[1]) is not { } a || PassUtil.IntConstant(transpose.Inputs[2]) is not { } b) return null;
        a = a < 0 ? a + rank : a;
        b = b < 0 ? b + rank : b;
        return a < 0 || a >= rank || b < 0 || b >= rank ? null : [a, b];
    }

    private static bool CombineReshapes(Graph g, Node n)
    {
        if (n.Kind is not ("aten::view" or "aten::reshape") || n.Inputs.Count != 2) return false;
        if (n.Inputs[0].Node is not { Kind: "aten::view" or "aten::reshape" } inner || inner.Inputs.Count != 2) return false;
        var x = inner.Inputs[0];
        if (x.Type is not TensorType t || !PassUtil.IsContiguous(t)) return false;
        string kind = n.Kind == "aten::view" && inner.Kind == "aten::view" ? "aten::view" : "aten::reshape";
        var combined = g.Insert(g.Nodes.IndexOf(n), kind, [x, n.Inputs[1]], n.Output.Type);
        g.ReplaceAllUses(n.Output, combined.Output);
        return true;
    }

    private static bool CombinePermutes(Graph g, Node n)
    {
        if (n.Kind != "aten::permute" || n.Inputs.Count != 2) return false;
        if (n.Inputs[0].Node is not { Kind: "aten::permute" } inner || inner.Inputs.Count != 2) return false;
        var x = inner.Inputs[0];
        if (x.Type is not TensorType t || Normalize(PassUtil.IntList(inner.Inputs[1]), t.Shape.Length) is not { } p ||
            Normalize(PassUtil.IntList(n.Inputs[1]), t.Shape.Length) is not { } q) return false;
        var r = q.Select(j => p[j]).ToArray();
        if (r.Select((d, i) => d == i).All(b => b) && x.Type.Equals(n.Output.Type))
        {
            g.ReplaceAllUses(n.Output, x);
            return true;
        }
        int at = g.Nodes.IndexOf(n);
        var elements = r.Select(d => g.InsertConstant(at++, d)).ToList();
        var list = g.Insert(at++, "prim::ListConstruct", elements, JitType.IntList);
        var combined = g.Insert(at, "aten::permute", [x, list.Output], n.Output.Type);
        g.ReplaceAllUses(n.Output, combined.Output);
        return true;
    }

    /// <summary>A permutation of 0..rank-1 with negative dims made positive, or null if it is not one.</summary>
    private static long[]? Normalize(long[]? perm, int rank)
    {
        if (perm is null || perm.Length != rank) return null;
        var r = perm.Select(d => d < 0 ? d + rank : d).ToArray();
        return r.All(d => d >= 0 && d < rank) && r.Distinct().Count() == rank ? r : null;
    }
}
