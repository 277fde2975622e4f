using System.Reflection;
using System.Runtime.CompilerServices;

namespace Trace.Core.Tests;

/// <summary>
/// Finds, by reflection, every tensor the backward rules of a graph close over (lambdas, the closures they share,
/// delegates they call, custom functions' contexts), in a deterministic order, so that a test can modify each one.
/// </summary>
internal static class ClosureTensors
{
    private static readonly FieldInfo Rules = typeof(FunctionNode).GetField("_rules", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("FunctionNode._rules not found: update ClosureTensors.");

    /// <summary>The graph's nodes from <paramref name="root"/>, depth first, each once.</summary>
    public static List<GradNode> Nodes(Tensor root)
    {
        var order = new List<GradNode>();
        var seen = new HashSet<GradNode>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<GradNode>();
        if (root.GradFn is { } start) stack.Push(start);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            order.Add(n);
            for (int i = n.Next.Count - 1; i >= 0; i--)
                if (n.Next[i] is { } next) stack.Push(next);
        }
        return order;
    }

    /// <summary>The tensors the rules of the graph under <paramref name="root"/> close over, each once.</summary>
    public static List<Tensor> Of(Tensor root)
    {
        var found = new List<Tensor>();
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var node in Nodes(root))
            if (node is FunctionNode && Rules.GetValue(node) is Delegate?[] rules)
                foreach (var r in rules) Collect(r, found, seen);
        return found;
    }

    /// <summary>The name of the first node whose rules close over <paramref name="t"/>.</summary>
    public static string Owner(Tensor root, Tensor t)
    {
        foreach (var node in Nodes(root))
        {
            if (node is not FunctionNode || Rules.GetValue(node) is not Delegate?[] rules) continue;
            var found = new List<Tensor>();
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            foreach (var r in rules) Collect(r, found, seen);
            if (found.Any(f => ReferenceEquals(f, t))) return node.Name;
        }
        return "?";
    }

    private static void Collect(object? o, List<Tensor> found, HashSet<object> seen)
    {
        if (o is null || o.GetType().IsPrimitive || o is string || !seen.Add(o)) return;
        switch (o)
        {
            case Tensor t:
                found.Add(t);
                return;
            case Delegate d:
                foreach (var each in d.GetInvocationList()) Collect(each.Target, found, seen);
                return;
            case FunctionContext ctx:
                foreach (var t in ctx.SavedTensors) Collect(t, found, seen);
                return;
            case Array a when !a.GetType().GetElementType()!.IsPrimitive:
                foreach (var e in a) Collect(e, found, seen);
                return;
        }
        var type = o.GetType();
        if (type.GetCustomAttribute<CompilerGeneratedAttribute>() is null) return;
        foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Collect(f.GetValue(o), found, seen);
    }

    /// <summary>
    /// Changes every element of <paramref name="t"/>'s storage as an in-place op would (and bumps its version):
    /// floats to 1.5·x + 0.25, integers to 0 (a valid index), bools negated.
    /// </summary>
    public static void Scramble(Tensor t)
    {
        switch (t.Storage)
        {
            case CpuStorage<double> s: for (int i = 0; i < s.Data.Length; i++) s.Data[i] = 1.5 * s.Data[i] + 0.25; break;
            case CpuStorage<float> s: for (int i = 0; i < s.Data.Length; i++) s.Data[i] = 1.5f * s.Data[i] + 0.25f; break;
            case CpuStorage<long> s: Array.Clear(s.Data); break;
            case CpuStorage<int> s: Array.Clear(s.Data); break;
            case CpuStorage<bool> s: for (int i = 0; i < s.Data.Length; i++) s.Data[i] = !s.Data[i]; break;
        }
        t.BumpVersion();
    }
}
