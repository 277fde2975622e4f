namespace Trace;

public sealed partial class Tensor
{
    /// <summary>A view sharing this tensor's storage.</summary>
    internal Tensor AsStrided(int[] shape, int[] strides, int offset) => new(Storage, shape, strides, offset);

    /// <summary>
    /// Same data with a new shape, without copying (one size may be -1 and is inferred). Throws when the
    /// strides make that impossible; <see cref="Reshape"/> copies in that case.
    /// </summary>
    public Tensor View(params int[] shape)
    {
        var newShape = InferShape(shape, "aten::view");
        var st = ViewStrides(newShape) ?? throw new InvalidOperationException(
            $"aten::view: view size {Shapes.Format(newShape)} is not compatible with input tensor's size {Shapes.Format(_shape)} and stride " +
            $"[{string.Join(", ", _strides)}] (at least one dimension spans across two contiguous subspaces). Use .Reshape(...) instead.");
        return Dispatch.Record(new OpCall("aten::view", newShape), () => AsStrided(newShape, st, StorageOffset), this, g => g.Reshape(_shape));
    }

    /// <summary>
    /// Same data with a new shape: a view when possible, else a contiguous copy. Either way it is one
    /// <c>aten::reshape</c> op, as in PyTorch, so a trace does not depend on which it was (a size-1 dim can make a
    /// layout viewable that needs a copy at other sizes).
    /// </summary>
    public Tensor Reshape(params int[] shape)
    {
        var newShape = InferShape(shape, "aten::reshape");
        return Dispatch.Record(new OpCall("aten::reshape", newShape), () => ViewStrides(newShape) is { } st
            ? AsStrided(newShape, st, StorageOffset)
            : Clone().AsStrided(newShape, Shapes.ContiguousStrides(newShape), 0), this, g => g.Reshape(_shape));
    }

    /// <summary>Reshape to <paramref name="other"/>'s shape.</summary>
    public Tensor ViewAs(Tensor other) => View(other._shape);

    /// <summary>Flattens dims [startDim, endDim] into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Dim == 0) return Reshape(1);
        int s = Shapes.NormDim(startDim, Dim, "aten::flatten"), e = Shapes.NormDim(endDim, Dim, "aten::flatten");
        if (s > e) throw new ArgumentException($"aten::flatten: start_dim ({startDim}) cannot come after end_dim ({endDim}).");
        var shape = new List<int>();
        for (int d = 0; d < s; d++) shape.Add(_shape[d]);
        int prod = 1;
        for (int d = s; d <= e; d++) prod *= _shape[d];
        shape.Add(prod);
        for (int d = e + 1; d < Dim; d++) shape.Add(_shape[d]);
        return Reshape(shape.ToArray());
    }

    /// <summary>Swaps two dims (a view).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = Shapes.NormDim(dim0, Dim, "aten::transpose"), b = Shapes.NormDim(dim1, Dim, "aten::transpose");
        if (Dim == 0) return this;
        var shape = (int[])_shape.Clone();
        var st = (int[])_strides.Clone();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        (st[a], st[b]) = (st[b], st[a]);
        return Dispatch.Record(new OpCall("aten::transpose", a, b), () => AsStrided(shape, st, StorageOffset), this, g => g.Transpose(a, b));
    }

    /// <summary>Reorders dims (a view); <paramref name="dims"/> must be a permutation.</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != Dim)
            throw new ArgumentException($"aten::permute: number of dims in permutation ({dims.Length}) does not match the tensor's rank ({Dim}).");
        var seen = new bool[Dim];
        var shape = new int[Dim];
        var st = new int[Dim];
        for (int i = 0; i < Dim; i++)
        {
            int d = Shapes.NormDim(dims[i], Dim, "aten::permute");
            if (seen[d]) throw new ArgumentException($"aten::permute: dim {d} repeats in permutation [{string.Join(", ", dims)}].");
            seen[d] = true;
            shape[i] = _shape[d];
            st[i] = _strides[d];
        }
        var inverse = new int[Dim];
        for (int i = 0; i < Dim; i++) inverse[Shapes.NormDim(dims[i], Dim, "aten::permute")] = i;
        return Dispatch.Record(new OpCall("aten::permute", dims.Select(x => Shapes.NormDim(x, Dim, "aten::permute")).ToArray()), () => AsStrided(shape, st, StorageOffset), this, g => g.Permute(inverse));
    }

    /// <summary>All dims reversed (matrix transpose for 2-D), like NumPy's <c>.T</c>.</summary>
    public Tensor T => Permute(Enumerable.Range(0, Dim).Reverse().ToArray());

    /// <summary>Last two dims swapped (batched matrix transpose), like PyTorch's <c>.mT</c>.</summary>
    public Tensor MT => Dim < 2
        ? throw new InvalidOperationException($"aten::mT: tensor of rank {Dim} has no matrix dims; expected rank >= 2.")
        : Transpose(-2, -1);

    /// <summary>Removes all size-1 dims.</summary>
    public Tensor Squeeze()
    {
        var keep = Enumerable.Range(0, Dim).Where(d => _shape[d] != 1).ToArray();
        return Dispatch.Record(new OpCall("aten::squeeze"), () => AsStrided(keep.Select(d => _shape[d]).ToArray(), keep.Select(d => _strides[d]).ToArray(), StorageOffset),
            this, g => g.Reshape(_shape));
    }

    /// <summary>Removes dim <paramref name="dim"/> if its size is 1 (else returns the same shape).</summary>
    public Tensor Squeeze(int dim)
    {
        int d = Shapes.NormDim(dim, Dim, "aten::squeeze");
        if (Dim == 0 || _shape[d] != 1) return Dispatch.Record(new OpCall("aten::squeeze", d), () => AsStrided(_shape, _strides, StorageOffset), this, g => g);
        return Dispatch.Record(new OpCall("aten::squeeze", d), () => AsStrided(_shape.Where((_, i) => i != d).ToArray(), _strides.Where((_, i) => i != d).ToArray(), StorageOffset),
            this, g => g.Reshape(_shape));
    }

    /// <summary>Inserts a size-1 dim at <paramref name="dim"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int d = Shapes.NormDim(dim, Dim + 1, "aten::unsqueeze");
        var shape = _shape.ToList();
        var st = _strides.ToList();
        shape.Insert(d, 1);
        st.Insert(d, d < Dim ? (int)Math.Clamp((long)_strides[d] * _shape[d], int.MinValue, int.MaxValue) : 1);   // any stride is valid for a size-1 dim
        return Dispatch.Record(new OpCall("aten::unsqueeze", d), () => AsStrided(shape.ToArray(), st.ToArray(), StorageOffset), this, g => g.Reshape(_shape));
    }

    /// <summary>Broadcasts size-1 dims to larger sizes without copying (-1 keeps a size).</summary>
    public Tensor Expand(params int[] sizes)
    {
        if (sizes.Length < Dim)
            throw new ArgumentException($"aten::expand: the number of sizes provided ({sizes.Length}) must be greater or equal to the number of dimensions in the tensor ({Dim}).");
        int lead = sizes.Length - Dim;
        var shape = new int[sizes.Length];
        var st = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            int d = i - lead;
            int cur = d >= 0 ? _shape[d] : 1;
            int want = sizes[i] == -1 && d >= 0 ? cur : sizes[i];
            if (want < 0 || (cur != want && cur != 1))
                throw new ArgumentException($"aten::expand: the expanded size of the tensor ({sizes[i]}) must match the existing size ({cur}) at non-singleton dimension {i}. Target sizes: {Shapes.Format(sizes)}. Tensor sizes: {Shapes.Format(_shape)}.");
            shape[i] = want;
            st[i] = d < 0 || cur != want ? 0 : _strides[d];
        }
        Shapes.CheckViewNumel(shape, "aten::expand");
        return Dispatch.Record(new OpCall("aten::expand", shape), () => AsStrided(shape, st, StorageOffset), this, g => g.SumTo(this));
    }

    /// <summary>Expands to <paramref name="other"/>'s shape.</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other._shape);

    /// <summary>Elements [start, start+length) along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        int d = Shapes.NormDim(dim, Dim, "aten::narrow");
        if (Dim == 0) throw new ArgumentException("aten::narrow: cannot be applied to a 0-dim tensor.");
        if (start < 0) start += _shape[d];
        if (start < 0 || length < 0 || (long)start + length > _shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"aten::narrow: start ({start}) + length ({length}) exceeds dimension size ({_shape[d]}) of dim {d} in shape {Shapes.Format(_shape)}.");
        var shape = (int[])_shape.Clone();
        shape[d] = length;
        int s0 = start;
        return Dispatch.Record(new OpCall("aten::narrow", d, s0, length), () => AsStrided(shape, _strides, StorageOffset + start * _strides[d]),
            this, g => g.SliceBackward(_shape, d, s0, 1));
    }

    /// <summary>
    /// Python-style slice <c>[start:end:step]</c> along a dim (a view). Null bounds mean the ends;
    /// negative bounds count from the end; out-of-range bounds are clamped as in Python.
    /// </summary>
    public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
    {
        int d = Shapes.NormDim(dim, Dim, "aten::slice");
        if (Dim == 0) throw new ArgumentException("aten::slice: cannot be applied to a 0-dim tensor.");
        if (step <= 0) throw new ArgumentException($"aten::slice: step must be positive, got {step}.");
        int n = _shape[d];
        int s = Clamp(start ?? 0, n), e = Clamp(end ?? n, n);
        int len = e > s ? (int)(((long)e - s + step - 1) / step) : 0;
        var shape = (int[])_shape.Clone();
        var st = (int[])_strides.Clone();
        shape[d] = len;
        // With two or more elements the new stride reaches inside the storage; a single element keeps its stride.
        st[d] = len > 1 ? _strides[d] * step : _strides[d];
        return Dispatch.Record(new OpCall("aten::slice", d, s, e, step), () => AsStrided(shape, st, StorageOffset + (len > 0 ? s * _strides[d] : 0)),
            this, g => g.SliceBackward(_shape, d, s, step));

        static int Clamp(int i, int n) => Math.Clamp(i < 0 ? i + n : i, 0, n);
    }

    /// <summary>Index <paramref name="index"/> along <paramref name="dim"/>, removing that dim (a view).</summary>
    public Tensor Select(int dim, int index)
    {
        if (Dim == 0) throw new ArgumentException("aten::select: cannot be applied to a 0-dim tensor.");
        int d = Shapes.NormDim(dim, Dim, "aten::select");
        int n = _shape[d];
        if (index < -n || index >= n)
            throw new ArgumentOutOfRangeException(nameof(index), $"aten::select: index {index} out of range for tensor of size {Shapes.Format(_shape)} at dimension {d}.");
        if (index < 0) index += n;
        int at = index;
        return Dispatch.Record(new OpCall("aten::select", d, at), () => AsStrided(_shape.Where((_, i) => i != d).ToArray(), _strides.Where((_, i) => i != d).ToArray(), StorageOffset + index * _strides[d]),
            this, g => g.Unsqueeze(d).SliceBackward(_shape, d, at, 1));
    }

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along a dim (the last may be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        int d = Shapes.NormDim(dim, Dim, "aten::split");
        if (splitSize <= 0) throw new ArgumentException($"aten::split: split_size must be positive, got {splitSize}.");
        int n = _shape[d];
        var parts = new List<Tensor>();
        for (long s = 0; s < n || (n == 0 && parts.Count == 0); s += splitSize)
            parts.Add(Narrow(d, (int)s, (int)Math.Min(splitSize, n - s)));
        return parts.ToArray();
    }

    /// <summary>Splits into pieces of the given sizes along a dim; the sizes must sum to the dim's size.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = Shapes.NormDim(dim, Dim, "aten::split_with_sizes");
        if (sizes.Sum(s => (long)s) != _shape[d] || sizes.Any(s => s < 0))
            throw new ArgumentException($"aten::split_with_sizes: split sizes [{string.Join(", ", sizes)}] must be non-negative and sum to the size of dim {d} ({_shape[d]}) of shape {Shapes.Format(_shape)}.");
        var parts = new Tensor[sizes.Length];
        for (int i = 0, s = 0; i < sizes.Length; s += sizes[i], i++) parts[i] = Narrow(d, s, sizes[i]);
        return parts;
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces along a dim (like <c>torch.chunk</c>).</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"aten::chunk: number of chunks must be positive, got {chunks}.");
        int d = Shapes.NormDim(dim, Dim, "aten::chunk");
        int size = (int)(((long)_shape[d] + chunks - 1) / chunks);
        return Split(Math.Max(size, 1), d);
    }

    private int[] InferShape(int[] shape, string op)
    {
        int numel = Numel, infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"{op}: only one dimension can be inferred (-1) in shape {Shapes.Format(shape)}.");
                infer = i;
            }
            else if (shape[i] < 0) throw new ArgumentException($"{op}: invalid shape dimension {shape[i]} in {Shapes.Format(shape)}.");
            else known *= shape[i];
        }
        var r = (int[])shape.Clone();
        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"{op}: shape {Shapes.Format(shape)} is invalid for input of size {numel}.");
            r[infer] = (int)(numel / known);
        }
        else if (known != numel)
            throw new ArgumentException($"{op}: shape {Shapes.Format(shape)} is invalid for input of size {numel} (shape {Shapes.Format(_shape)}).");
        return r;
    }

    /// <summary>Strides viewing this tensor's elements as <paramref name="newShape"/>, or null (PyTorch's computeStride).</summary>
    private int[]? ViewStrides(int[] newShape)
    {
        if (Dim == 0 || Numel == 0) return Shapes.ContiguousStrides(newShape);
        var st = new int[newShape.Length];
        int viewD = newShape.Length - 1;
        long chunkBase = _strides[Dim - 1], tensorNumel = 1, viewNumel = 1;
        for (int td = Dim - 1; td >= 0; td--)
        {
            tensorNumel *= _shape[td];
            if (td == 0 || (_shape[td - 1] != 1 && _strides[td - 1] != tensorNumel * chunkBase))
            {
                while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] == 1))
                {
                    st[viewD] = (int)Math.Clamp(viewNumel * chunkBase, int.MinValue, int.MaxValue);   // only a size-1 dim can exceed int
                    viewNumel *= newShape[viewD];
                    viewD--;
                }
                if (viewNumel != tensorNumel) return null;
                if (td > 0)
                {
                    chunkBase = _strides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return viewD == -1 ? st : null;
    }

    /// <summary>
    /// Gradient of a strided slice: zeros of <paramref name="inputShape"/> with this tensor written at
    /// [start::step] along <paramref name="dim"/>. Its own gradient is that slice of the incoming gradient.
    /// </summary>
    internal Tensor SliceBackward(int[] inputShape, int dim, int start, int step, Tensor? @out = null)
    {
        const string op = "aten::slice_backward";
        Tensor Compute()
        {
            Tensor r;
            if (@out is null) r = Zeros(inputShape, DType, Device);
            else
            {
                r = @out;
                DeviceKernels.For(Device, op).Factory.Fill(r, 0);
            }
            var region = r.AsStrided(
                inputShape.Select((s, i) => i == dim ? _shape[dim] : s).ToArray(),
                r._strides.Select((s, i) => i == dim ? s * step : s).ToArray(),
                r.StorageOffset + start * r._strides[dim]);
            CopyStrided(region, this, op);
            return r;
        }
        var call = new OpCall(op, inputShape, dim, start, step);
        if (@out is not null)
        {
            OutBuffer.Check(@out, inputShape, DType, Device, op);
            return Dispatch.Out(call, @out, [this], Compute);
        }
        return Dispatch.Record(call, Compute, this, gg => gg.Slice(dim, start, start + (_shape[dim] - 1) * step + 1, step));
    }
}
