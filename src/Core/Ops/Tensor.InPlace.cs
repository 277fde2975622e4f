namespace Trace;

public sealed partial class Tensor
{
    // In-place ops write into this tensor's storage (which may be a view) and bump its version counter,
    // so that autograd notices tensors modified after they were saved for backward. Under grad mode they
    // refuse tensors that are part of a graph; the usual place for them is a NoGrad parameter update.
    // Aliasing is checked first (MemOverlap): a destination with repeated elements (an expanded view) and an
    // input that partially overlaps it are refused, as in PyTorch; Fill_ alone may write an expanded view.

    private Tensor InPlace(BinaryKind k, Tensor other, string op)
    {
        CheckInPlace(op);
        MemOverlap.CheckWritable(this, op);
        var read = MemOverlap.ReadableInput(this, other, op);
        Dispatch.Mutating(this);
        return Dispatch.Record(op, () =>
        {
            ElementwiseDispatch.Binary(k, this, read, op, into: this);
            BumpVersion();
            return this;
        }, this, other);
    }

    /// <summary>this += other (broadcast to this shape), in place.</summary>
    public Tensor Add_(Tensor other) => InPlace(BinaryKind.Add, other, "aten::add_");
    /// <summary>this += alpha·other, in place (like <c>add_(other, alpha=...)</c>).</summary>
    public Tensor Add_(Tensor other, double alpha)
    {
        if (alpha == 1) return Add_(other);
        MemOverlap.ReadableInput(this, other, "aten::add_");   // other·alpha is a new tensor: refuse what add_ itself would
        return Add_(other.Mul(alpha));
    }
    /// <summary>this += s, in place.</summary>
    public Tensor Add_(double s) => Add_(WrapScalar(s, ScalarKind.Floating));

    /// <summary>In-place add of an integer scalar (an integer tensor stays integer, as PyTorch's <c>t += 1</c>).</summary>
    public Tensor Add_(long s) => Add_(WrapScalar(s, ScalarKind.Integer));
    /// <summary>this -= other, in place.</summary>
    public Tensor Sub_(Tensor other) => InPlace(BinaryKind.Sub, other, "aten::sub_");
    /// <summary>this -= s, in place.</summary>
    public Tensor Sub_(double s) => Sub_(WrapScalar(s, ScalarKind.Floating));
    /// <summary>this *= other, in place.</summary>
    public Tensor Mul_(Tensor other) => InPlace(BinaryKind.Mul, other, "aten::mul_");
    /// <summary>this *= s, in place.</summary>
    public Tensor Mul_(double s) => Mul_(WrapScalar(s, ScalarKind.Floating));
    /// <summary>this /= other, in place (floating tensors only).</summary>
    public Tensor Div_(Tensor other) => InPlace(BinaryKind.Div, other, "aten::div_");
    /// <summary>this /= s, in place.</summary>
    public Tensor Div_(double s) => Div_(WrapScalar(s, ScalarKind.Floating));
    /// <summary>Clamps in place.</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        CheckInPlace("aten::clamp_");
        MemOverlap.CheckWritable(this, "aten::clamp_");
        Dispatch.Mutating(this);
        return Dispatch.Record(new OpCall("aten::clamp_", min, max), () =>
        {
            CopyStrided(this, Clamp(min, max), "aten::clamp_");
            BumpVersion();
            return this;
        }, this);
    }

    /// <summary>Sets every element to <paramref name="value"/>, in place (an expanded view may be filled: every alias gets the value).</summary>
    public Tensor Fill_(double value)
    {
        CheckInPlace("aten::fill_");
        Dispatch.Mutating(this);
        return Dispatch.Record(new OpCall("aten::fill_", value), () =>
        {
            CopyStrided(this, Scalar(value, DType), "aten::fill_");
            BumpVersion();
            return this;
        }, this);
    }

    /// <summary>Sets every element to zero, in place.</summary>
    public Tensor Zero_() => Fill_(0);
}
