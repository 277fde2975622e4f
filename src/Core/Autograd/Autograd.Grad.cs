namespace Trace;

public static partial class Autograd
{
    /// <summary>
    /// Computes and returns the gradients of <paramref name="outputs"/> with respect to
    /// <paramref name="inputs"/> (like <c>torch.autograd.grad</c>) without touching any <see cref="Tensor.Grad"/>.
    /// Inputs may be leaves or intermediate tensors; only the part of the graph between them and the outputs runs.
    /// </summary>
    /// <param name="outputs">The differentiated tensors.</param>
    /// <param name="inputs">The tensors to differentiate with respect to (each must require grad).</param>
    /// <param name="gradOutputs">dL/d(output) for each output; null (or a null entry) means ones, allowed only for one-element outputs.</param>
    /// <param name="retainGraph">Keep the graph so that it can be differentiated again.</param>
    /// <param name="createGraph">Record the backward computation, for higher-order gradients.</param>
    /// <param name="allowUnused">Return null for inputs the outputs do not depend on instead of throwing.</param>
    /// <returns>One gradient per input, shaped like it (null only for unused inputs with <paramref name="allowUnused"/>).</returns>
    public static Tensor?[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor?[]? gradOutputs = null,
        bool retainGraph = false, bool createGraph = false, bool allowUnused = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(inputs);
        return Engine.Grad(outputs, inputs, gradOutputs, retainGraph || createGraph, createGraph, allowUnused);
    }
}
