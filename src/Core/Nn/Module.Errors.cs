namespace Trace.Nn;

public abstract partial class Module
{
    /// <summary>
    /// Runs a layer's computation so that a bad-input error names the layer before the op's own message, e.g.
    /// <c>Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1)): aten::conv2d: ... expected input (2, 4, 10, 10) to have 3 channels</c>:
    /// the op says which rule broke and the shapes, the prefix says which layer of the model was called.
    /// </summary>
    private protected Tensor NamingErrors(Func<Tensor> forward)
    {
        try
        {
            return forward();
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(GetType().Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{GetType().Name}({ExtraRepr()}): {e.Message}", e);
        }
    }
}
