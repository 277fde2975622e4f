namespace Trace;

public sealed partial class Tensor
{
    /// <summary>This tensor if already contiguous, else a contiguous copy.</summary>
    public Tensor Contiguous()
    {
        if (!Dispatch.IsObserved) return IsContiguous ? this : Clone();
        // Traced as one aten::contiguous op whatever the layout, as in PyTorch: a size-1 dim can make contiguous a
        // layout that needs a copy at other sizes. The result is then a new alias when no copy is needed.
        return Dispatch.Record("aten::contiguous", () => IsContiguous ? AsStrided(_shape, _strides, StorageOffset) : Clone(), this, g => g);
    }

    /// <summary>A contiguous copy with its own storage.</summary>
    public Tensor Clone() => Clone(null);

    /// <summary><see cref="Clone()"/>, or its out= form copying into <paramref name="out"/>.</summary>
    internal Tensor Clone(Tensor? @out) => Dispatch.Run("aten::clone", @out, () =>
    {
        var r = OutBuffer.Or(@out, (int[])_shape.Clone(), DType, Device, "aten::clone");
        CopyStrided(r, this, "aten::clone");
        return r;
    }, [this], _ => new(g => g));

    /// <summary>A copy converted to <paramref name="dtype"/> (this tensor when it already has that dtype).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        Tensor Compute()
        {
            var r = new Tensor((int[])_shape.Clone(), dtype, Device, op: "aten::to");
            CopyStrided(r, this, "aten::to");
            return r;
        }
        return IsFloatingPoint && dtype.IsFloatingPoint()
            ? Dispatch.Record(new OpCall("aten::to", dtype), Compute, this, g => g.To(DType))
            : Dispatch.Record(new OpCall("aten::to", dtype), Compute, this);
    }

    /// <summary>
    /// A contiguous copy on <paramref name="device"/> (this tensor when already there), as <c>tensor.to(device)</c>:
    /// differentiable (the gradient moves back to this tensor's device). Moving to an unusable device is an error
    /// saying why; moving inside a trace is refused (traces record one device's ops).
    /// </summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        if (Dispatch.IsObserved)
            throw new NotSupportedException($"aten::to: moving a tensor from {Device} to {device} inside a trace is not supported; move inputs and modules before tracing.");
        var from = Device;
        return Dispatch.Record(new OpCall("aten::to", device.ToString()), () => CudaTransfer.Move(this, device), this, g => g.To(from));
    }

    /// <summary>This tensor on the CPU (<c>tensor.cpu()</c>): a copy when it is on a GPU.</summary>
    public Tensor Cpu() => To(Device.Cpu);

    /// <summary>This tensor on CUDA device <paramref name="index"/> (<c>tensor.cuda()</c>): a copy when it is elsewhere.</summary>
    public Tensor Cuda(int index = 0) => To(Trace.Device.Cuda(index));

    /// <summary>
    /// Moves this tensor's data to <paramref name="device"/> in place, keeping the object (what <c>module.to(device)</c>
    /// does to parameters, buffers and their gradients): it then views a new contiguous storage there.
    /// </summary>
    internal void MoveStorageTo(Device device)
    {
        if (device == Device) return;
        Tensor moved;
        using (Autograd.NoGrad()) moved = CudaTransfer.Move(this, device);
        Storage = moved.Storage;
        _strides = moved._strides;
        StorageOffset = 0;
    }

    /// <summary>
    /// Converts this tensor's data to <paramref name="dtype"/> in place, keeping the object (what <c>module.to(dtype)</c>
    /// does to parameters, buffers and their gradients): it then views a new contiguous storage of that dtype.
    /// </summary>
    internal void ConvertStorageTo(DType dtype)
    {
        if (dtype == DType) return;
        var converted = new Tensor((int[])_shape.Clone(), dtype, Device, op: "aten::to");
        CopyStrided(converted, this, "aten::to");
        Storage = converted.Storage;
        _strides = converted._strides;
        StorageOffset = 0;
    }

    /// <summary>
    /// Copies <paramref name="src"/> (broadcast to this shape, converted to this dtype) into this tensor in place.
    /// A destination with repeated elements (an expanded view) and a source that partially overlaps it are refused; a
    /// source on another device is moved to this one first.
    /// </summary>
    public Tensor Copy_(Tensor src)
    {
        // As copy_ in PyTorch, the source may be on another device: it is moved here first.
        if (src.Device != Device) src = src.To(Device);
        var shape = Shapes.Broadcast(_shape, src._shape, "aten::copy_");
        if (!shape.AsSpan().SequenceEqual(_shape))
            throw new ArgumentException($"aten::copy_: source of shape {Shapes.Format(src._shape)} cannot be broadcast to destination shape {Shapes.Format(_shape)}.");
        CheckInPlace("aten::copy_");
        MemOverlap.CheckWritable(this, "aten::copy_");
        var read = MemOverlap.ReadableInput(this, src, "aten::copy_");
        Dispatch.Mutating(this);
        return Dispatch.Record("aten::copy_", () =>
        {
            CopyStrided(this, read, "aten::copy_");
            BumpVersion();
            return this;
        }, this, src);
    }

    internal void BumpVersion() => Storage.Version++;

    /// <summary>Concatenates tensors along an existing dim; all other dims must match.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Cat(tensors, dim, null);

    /// <summary><see cref="Cat(IReadOnlyList{Tensor}, int)"/>, written into <paramref name="out"/> when given (its out= form).</summary>
    internal static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim, Tensor? @out)
    {
        if (tensors.Count == 0) throw new ArgumentException("aten::cat: expected a non-empty list of tensors.");
        // Legacy rule kept by PyTorch: 1-D empty tensors are skipped.
        var parts = tensors.Where(t => !(t.Dim == 1 && t.Numel == 0)).ToList();
        if (parts.Count == 0)
        {
            if (@out is null) return tensors[0].Clone();
            OutBuffer.Check(@out, tensors[0]._shape, tensors[0].DType, tensors[0].Device, "aten::cat");
            return Dispatch.Out(new OpCall("aten::cat", dim), @out, [.. tensors], () => @out);
        }
        var first = parts[0];
        if (first.Dim == 0) throw new ArgumentException("aten::cat: zero-dimensional tensor cannot be concatenated.");
        int d = Shapes.NormDim(dim, first.Dim, "aten::cat");
        DType dtype = first.DType;
        long total = 0;
        foreach (var t in parts)
        {
            if (t.Dim != first.Dim)
                throw new ArgumentException($"aten::cat: tensors must have the same number of dimensions: got {first.Dim} ({Shapes.Format(first._shape)}) and {t.Dim} ({Shapes.Format(t._shape)}).");
            for (int i = 0; i < t.Dim; i++)
                if (i != d && t._shape[i] != first._shape[i])
                    throw new ArgumentException($"aten::cat: sizes of tensors must match except in dimension {d}: expected size {first._shape[i]} but got size {t._shape[i]} at dimension {i} (shapes {Shapes.Format(first._shape)} and {Shapes.Format(t._shape)}).");
            if (t.Device != first.Device) throw new ArgumentException($"aten::cat: expected all tensors on one device, got {first.Device} and {t.Device}.");
            dtype = DTypes.Promote(dtype, t.DType);
            total += t._shape[d];
        }
        if (total > int.MaxValue)
            throw new ArgumentException($"aten::cat: the {parts.Count} tensors have {total} elements along dimension {d} together, more than a Trace dimension can hold ({int.MaxValue}).");
        var shape = (int[])first._shape.Clone();
        shape[d] = (int)total;
        var rules = new Func<Tensor, Tensor>?[parts.Count];
        int at = 0;
        for (int i = 0; i < parts.Count; i++)
        {
            var t = parts[i];
            int offset = at, size = t._shape[d];
            rules[i] = g => { var gi = g.Narrow(d, offset, size); return t.IsFloatingPoint && gi.DType != t.DType ? gi.To(t.DType) : gi; };
            at += size;
        }
        Tensor Compute()
        {
            var r = OutBuffer.Or(@out, shape, dtype, first.Device, "aten::cat");
            int offset = 0;
            foreach (var t in parts)
            {
                CopyStrided(r.AsStrided(t._shape, r._strides, r.StorageOffset + offset * r._strides[d]), t, "aten::cat");
                offset += t._shape[d];
            }
            return r;
        }
        if (@out is not null)
        {
            OutBuffer.Check(@out, shape, dtype, first.Device, "aten::cat");
            return Dispatch.Out(new OpCall("aten::cat", d), @out, parts.ToArray(), Compute);
        }
        return Dispatch.Record(new OpCall("aten::cat", d), Compute, parts.ToArray(), rules);
    }

    /// <summary>Stacks same-shaped tensors along a new dim.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
    {
        if (tensors.Count == 0) throw new ArgumentException("aten::stack: expected a non-empty list of tensors.");
        var s0 = tensors[0]._shape;
        foreach (var t in tensors)
            if (!t._shape.AsSpan().SequenceEqual(s0))
                throw new ArgumentException($"aten::stack: stack expects each tensor to be equal size, but got {Shapes.Format(s0)} and {Shapes.Format(t._shape)}.");
        int d = Shapes.NormDim(dim, s0.Length + 1, "aten::stack");
        return Cat(tensors.Select(t => t.Unsqueeze(d)).ToList(), d);
    }

    /// <summary>Strided copy with broadcasting and dtype conversion; <paramref name="dst"/> may be any view.</summary>
    internal static void CopyStrided(Tensor dst, Tensor src, string op)
    {
        src = ElementwiseDispatch.Join(src, dst);
        ElementwiseDispatch.SameDevice(dst, src, op);
        DeviceKernels.For(dst.Device, op).Copy.Copy(dst, src);
    }
}
