namespace Trace;

/// <summary>
/// A device's elementwise, comparison and select kernels. The op (<see cref="ElementwiseDispatch"/>) has already
/// checked the operands, picked the result dtype and broadcast shape and cast the operands to it; a kernel only
/// writes <c>r</c> (strided, possibly an in-place destination) from its broadcast operands.
/// </summary>
internal interface IElementwiseKernels
{
    /// <summary>r = op(x, y) over <paramref name="shape"/>; x, y and r share r's dtype.</summary>
    void Binary(BinaryKind k, int[] shape, Tensor r, Tensor x, Tensor y);

    /// <summary>r = op(x); x has r's dtype and shape.</summary>
    void Unary(UnaryKind k, Tensor r, Tensor x);

    /// <summary>r = TOp(x) for a float unary op defined by its kernel struct alone (the op table's <see cref="Ops.OpDef.Kernel"/>); x has r's dtype and shape.</summary>
    void UnaryFloating<TOp>(Tensor r, Tensor x) where TOp : Kernels.IUnaryOp<float>, Kernels.IUnaryOp<double>;

    /// <summary>r (bool) = x cmp y over <paramref name="shape"/>; x and y share one dtype.</summary>
    void Compare(CompareKind k, int[] shape, Tensor r, Tensor x, Tensor y);

    /// <summary>r = c ? x : y over <paramref name="shape"/>; c is bool, x and y have r's dtype.</summary>
    void Where(int[] shape, Tensor r, Tensor c, Tensor x, Tensor y);

    /// <summary>r = g·GELU'(x) (exact or tanh); r, g and x contiguous floating tensors of one shape and dtype.</summary>
    void GeluBackward(Tensor r, Tensor g, Tensor x, bool tanh);
}
