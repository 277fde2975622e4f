namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// The elements where the bool <paramref name="mask"/> is true, as a 1-D tensor in row-major order, as
    /// <c>torch.masked_select</c> (this tensor and the mask broadcast together). Its length depends on the mask's data:
    /// while tracing, the number of true elements becomes a value guard, so a call whose mask selects another count
    /// retraces (or raises) instead of replaying a graph built for the old length.
    /// </summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        const string op = "aten::masked_select";
        CheckMask(mask, op);
        ElementwiseDispatch.SameDevice(this, mask, op);
        var shape = Shapes.Broadcast(_shape, mask._shape, op);
        var x = _shape.AsSpan().SequenceEqual(shape) ? this : Expand(shape);
        var m = mask._shape.AsSpan().SequenceEqual(shape) ? mask : mask.Expand(shape);
        if (Dispatch.IsObserved) Dispatch.Read(m.Sum(), "MaskedSelect (the selected count fixes the result's shape)");
        Tensor Compute()
        {
            var positions = Positions(m);
            var flat = x.Contiguous().Reshape(-1);
            return positions.Numel == 0 ? Empty([0], DType, Device) : flat.IndexSelect(0, positions);
        }
        return Dispatch.Record(op, Compute, [x, m], [g => x.ZerosLike().MaskedScatter(m, g), null]);
    }

    /// <summary>
    /// A copy with the true positions of <paramref name="mask"/> (broadcastable to this shape) taking <paramref name="source"/>'s
    /// elements in row-major order, as <c>torch.masked_scatter</c>: source needs at least as many elements as the mask has
    /// true ones. Gradients: this tensor's is the output's with the masked positions zeroed, source's the masked output's (zero-extended).
    /// </summary>
    public Tensor MaskedScatter(Tensor mask, Tensor source)
    {
        const string op = "aten::masked_scatter";
        var kernels = DeviceKernels.For(Device, op).Indexing;
        CheckMask(mask, op);
        ElementwiseDispatch.SameDevice(this, mask, op);
        ElementwiseDispatch.SameDevice(this, source, op);
        if (source.DType != DType)
            throw new ArgumentException($"{op}: expected self and source to have the same dtype, got {DType.TorchName()} and {source.DType.TorchName()}.");
        var shape = Shapes.Broadcast(_shape, mask._shape, op);
        if (!shape.AsSpan().SequenceEqual(_shape))
            throw new ArgumentException($"{op}: mask of shape {Shapes.Format(mask._shape)} cannot be broadcast to input shape {Shapes.Format(_shape)}.");
        var m = mask._shape.AsSpan().SequenceEqual(shape) ? mask : mask.Expand(shape);
        var sourceShape = source._shape;
        Tensor Compute()
        {
            var positions = Positions(m);
            if (positions.Numel > source.Numel)
                throw new ArgumentException($"{op}: number of elements in source ({source.Numel}, shape {Shapes.Format(source._shape)}) < number of ones in mask ({positions.Numel}, shape {Shapes.Format(m._shape)}).");
            var r = Contiguous() is var c && ReferenceEquals(c, this) ? Clone() : c;
            if (positions.Numel == 0) return r;
            var flat = r.AsStrided([r.Numel], [1], r.StorageOffset);
            var values = source.Contiguous().Reshape(-1).Narrow(0, 0, positions.Numel).Contiguous();
            kernels.Scatter(flat, 0, positions, values, op);
            return r;
        }
        return Dispatch.Record(op, Compute, [this, m, source], [g => g.MaskedFill(m, 0), null, g =>
        {
            var picked = g.MaskedSelect(m);
            int n = Shapes.Numel(sourceShape, op);
            var all = picked.Numel == n ? picked : Cat([picked, Zeros([n - picked.Numel], g.DType, g.Device)], 0);
            return all.Reshape(sourceShape);
        }]);
    }

    /// <summary>
    /// Boolean-mask indexing: <c>t[mask]</c> is <see cref="MaskedSelect"/> (a 1-D tensor of the selected elements);
    /// <c>t[mask] = value</c> writes in place — a one-element value fills the selected positions (masked_fill), a longer
    /// one is scattered into them in order (masked_scatter); the mask must broadcast to this tensor's shape.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Index")]
    public Tensor this[Tensor mask]
    {
        get => MaskedSelect(mask);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Numel == 1) Copy_(Where(mask, value.To(DType).To(Device).Reshape(), this));
            else Copy_(MaskedScatter(mask, value.To(DType).To(Device)));
        }
    }

    /// <summary>The flat row-major positions where the contiguous bool <paramref name="m"/> is true, as int64 on its device (a host read).</summary>
    private static Tensor Positions(Tensor m)
    {
        var flags = m.ToArray<bool>();
        var positions = new List<long>();
        for (int i = 0; i < flags.Length; i++)
            if (flags[i]) positions.Add(i);
        var t = From(positions.ToArray());
        return t.Device == m.Device ? t : t.To(m.Device);
    }

    private static void CheckMask(Tensor mask, string op)
    {
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"{op}: expected mask of dtype torch.bool, got {mask.DType.TorchName()} (shape {Shapes.Format(mask._shape)}).");
    }
}
