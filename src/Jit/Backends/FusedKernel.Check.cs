using Trace.Ops;

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
    internal static void CheckExpressible(Graph body)
    {
        var sum = FinalSum(body);
        var result = sum?.Inputs[0] ?? body.Outputs[0];
        if (result.Node is null || result.Node.Kind == "prim::Constant") throw new NotSupportedException($"the body returns %{result.Name}, which it does not compute");
        foreach (var n in body.Nodes)
        {
            // Row reductions (a row program's stages, softmax) are checked by RowProgram.Lower.
            if (n.Kind is "prim::Constant" or "prim::ListConstruct" || n == sum || RowProgram.RowDims(n) is not null) continue;
            if (n.Def is not { } def || !def.Has(OpTraits.Fusible)) throw new NotSupportedException($"{n.Kind} has no code generator");
            if (!def.Schema.AllowsInputs(n.Inputs.Count)) throw new NotSupportedException($"{n.Kind} takes {def.Schema.ArityText} input(s), not {n.Inputs.Count}");
            if (n.Outputs.Count != 1 || n.Output.TensorType is null) throw new NotSupportedException($"{n.Kind} must have one tensor output");
            for (int k = 0; k < n.Inputs.Count; k++)
            {
                var v = n.Inputs[k];
                var arg = def.Schema.Args[k];
                bool constant = v.Node is { Kind: "prim::Constant" } c && c.Attribute is not TensorRef;
                object? value = constant ? v.Node!.Attribute : null;
                bool ok = arg.Kind switch
                {
                    // Tensor operands: a tensor of the body, or a number folded into the code (a wrapped scalar).
                    ArgKind.Tensor => constant ? value is long or double or bool : v.TensorType is not null,
                    ArgKind.Float => constant && (value is long or double || (arg.Nullable && value is null)),
                    ArgKind.Str => constant && value is string,
                    _ => false,
                };
                if (!ok) throw new NotSupportedException($"{n.Kind} argument {k} (%{v.Name} : {v.Type}) is not what its generator reads");
            }
        }
    }
}
