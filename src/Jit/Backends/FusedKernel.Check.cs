namespace Trace.Jit;

internal sealed partial class FusedKernel
{
    /// <summary>
    /// Throws <see cref="NotSupportedException"/> (so that <see cref="TryCompile"/> leaves the body to the interpreter,
    /// whose kernels check their arguments) for a body the code generator would mistranslate rather than reject: one
    /// that returns an input or a constant, an op it has no generator for or of the wrong arity, or an argument that is
    /// neither a tensor of the body nor a number constant where it expects one (a string where it expects a number, a
    /// tensor clamp bound it would drop). The fusion pass only builds bodies that pass; hand-written ones may not.
    /// </summary>
    private static void CheckExpressible(Graph body)
    {
        var sum = FinalSum(body);
        var result = sum?.Inputs[0] ?? body.Outputs[0];
        if (result.Node is null || result.Node.Kind == "prim::Constant") throw new NotSupportedException($"the body returns %{result.Name}, which it does not compute");
        foreach (var n in body.Nodes)
        {
            if (n.Kind is "prim::Constant" or "prim::ListConstruct" || n == sum) continue;
            if (!FusibleKinds.Contains(n.Kind)) throw new NotSupportedException($"{n.Kind} has no code generator");
            if (OpRegistry.ArityOf(n.Kind) is { } arity && !arity.Allows(n.Inputs.Count)) throw new NotSupportedException($"{n.Kind} takes {arity} input(s), not {n.Inputs.Count}");
            if (n.Outputs.Count != 1 || n.Output.TensorType is null) throw new NotSupportedException($"{n.Kind} must have one tensor output");
            for (int k = 0; k < n.Inputs.Count; k++)
            {
                var v = n.Inputs[k];
                bool text = (n.Kind == "aten::gelu" && k == 1) || (n.Kind == "aten::gelu_backward" && k == 2);
                bool bound = n.Kind == "aten::clamp" && k > 0;
                bool ok = v.Node is { Kind: "prim::Constant" } c && c.Attribute is not TensorRef
                    ? text ? c.Attribute is string : c.Attribute is long or double or bool || (bound && c.Attribute is null)
                    : !text && !bound && v.TensorType is not null;
                if (!ok) throw new NotSupportedException($"{n.Kind} argument {k} (%{v.Name} : {v.Type}) is not what its generator reads");
            }
        }
    }
}
