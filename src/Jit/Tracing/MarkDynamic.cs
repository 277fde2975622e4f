namespace Trace.Jit;

public static partial class Jit
{
    /// <summary>
    /// Marks <paramref name="dims"/> of <paramref name="tensor"/> dynamic, as <c>torch._dynamo.mark_dynamic(t, dim)</c>
    /// does: a traced module or function that gets this tensor as an input when it traces treats those dims as
    /// <see cref="TraceOptions.DynamicDims"/> of that input from then on. Returns the tensor.
    /// </summary>
    /// <example><code>
    /// var traced = Jit.Trace(model, Jit.MarkDynamic(Tensor.Randn([1, 3, 16]), 1));   // sequence length varies
    /// </code></example>
    /// <exception cref="ArgumentException">A dim is out of range for the tensor's shape.</exception>
    public static Tensor MarkDynamic(Tensor tensor, params int[] dims)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(dims);
        DynamicShapes.Mark(tensor, dims);
        return tensor;
    }
}
