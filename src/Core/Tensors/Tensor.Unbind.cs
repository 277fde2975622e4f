namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// The slices along <paramref name="dim"/>, each a view without that dim (<c>torch.unbind</c>). Observers (a trace) see
    /// one <c>aten::select</c> per slice; autograd records one node for all of them, whose backward stacks the slices'
    /// gradients once (zeros for slices no gradient reached) — where separate selects would each give a zero-filled
    /// gradient of the whole tensor, summed. A recurrent layer reads each step's slice of the whole sequence's projection this way.
    /// </summary>
    public Tensor[] Unbind(int dim = 0)
    {
        const string op = "aten::unbind";
        if (Dim == 0) throw new ArgumentException($"{op}: cannot be applied to a 0-dim tensor.");
        int d = Shapes.NormDim(dim, Dim, op);
        Storage.CheckAlive(op);
        var shape = _shape.Where((_, i) => i != d).ToArray();
        var strides = _strides.Where((_, i) => i != d).ToArray();
        var pieces = new Tensor[_shape[d]];
        for (int t = 0; t < pieces.Length; t++) pieces[t] = AsStrided((int[])shape.Clone(), (int[])strides.Clone(), StorageOffset + t * _strides[d]);
        Dispatch.AttachMultiBackward(op, [this], pieces, pieces.Length, _ => new(grads =>
            [Stack([.. grads.Select(g => g ?? Zeros((int[])shape.Clone(), DType, Device))], d)]));
        if (Dispatch.Observer is { } observer)
            for (int t = 0; t < pieces.Length; t++) observer.OnOp(new OpCall("aten::select", d, t), [this], pieces[t], null);
        return pieces;
    }
}
