namespace Trace;

public static partial class Autograd
{
    /// <summary>
    /// Backward rules for a node whose gradients come from one computation for all inputs (a custom function's Backward, a
    /// compiled backward graph): rule k runs <paramref name="backward"/> once per incoming gradient and gives
    /// <paramref name="pick"/>'s answer for input k. The cache is one reference read once per rule, so backward passes
    /// through the node on several threads never mix results.
    /// </summary>
    internal static Func<Tensor, Tensor>?[] SharedRules(int count, Func<Tensor, Tensor?[]> backward, Func<Tensor?[], int, Tensor> pick)
    {
        Tuple<Tensor, Tensor?[]>? cache = null;
        var rules = new Func<Tensor, Tensor>?[count];
        for (int i = 0; i < count; i++)
        {
            int k = i;
            rules[i] = g =>
            {
                var hit = Volatile.Read(ref cache);
                if (hit is null || !ReferenceEquals(hit.Item1, g)) Volatile.Write(ref cache, hit = Tuple.Create(g, backward(g)));
                return pick(hit.Item2, k);
            };
        }
        return rules;
    }
}
