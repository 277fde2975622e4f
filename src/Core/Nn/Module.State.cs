namespace Trace.Nn;

/// <summary>A module's state as a whole: moving and converting it in place, clearing gradients, saving and loading it.</summary>
public abstract partial class Module
{
    /// <summary>
    /// Moves every parameter, its gradient and every buffer to <paramref name="device"/> in place, as PyTorch's
    /// <c>module.to(device)</c>: the tensor objects stay the same (an optimizer built over them keeps working), their
    /// data moves. Returns this module.
    /// </summary>
    public Module To(Device device)
    {
        foreach (var p in Parameters())
        {
            p.MoveStorageTo(device);
            p.Grad?.MoveStorageTo(device);
        }
        foreach (var (_, b) in NamedBuffers()) b.MoveStorageTo(device);
        // Callers caching this tree's tensors (the JIT) see new storage.
        Interlocked.Increment(ref _structureVersion);
        return this;
    }

    /// <summary>
    /// Converts every floating point parameter, its gradient and every floating point buffer to
    /// <paramref name="dtype"/> in place, as PyTorch's <c>module.to(dtype)</c>: the tensor objects stay the same (an
    /// optimizer built over them keeps working; its state, such as Adam's moments, keeps its dtype, so build the
    /// optimizer after converting), their data is replaced by a converted contiguous copy. Integer and bool buffers
    /// (counters, masks) keep their dtype. Returns this module.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not floating point (PyTorch refuses it too).</exception>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"Module.To: only floating point dtypes are accepted (as nn.Module.to), got {dtype.TorchName()}; integer buffers keep their dtype and parameters must stay floating point.", nameof(dtype));
        foreach (var p in Parameters())
        {
            if (!p.IsFloatingPoint) continue;
            p.ConvertStorageTo(dtype);
            p.Grad?.ConvertStorageTo(dtype);
        }
        foreach (var (_, b) in NamedBuffers())
            if (b.IsFloatingPoint) b.ConvertStorageTo(dtype);
        // Callers caching this tree's tensors (the JIT) see new storage.
        Interlocked.Increment(ref _structureVersion);
        return this;
    }

    /// <summary>Converts floating point parameters and buffers to float64 in place (<c>module.double()</c>); returns this module.</summary>
    public Module Double() => To(DType.Float64);

    /// <summary>Converts floating point parameters and buffers to float32 in place (<c>module.float()</c>); returns this module.</summary>
    public Module Float() => To(DType.Float32);

    /// <summary>Clears parameter gradients: sets them to null (default, as PyTorch 2.x) or to zero.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in Parameters())
        {
            if (setToNone) p.Grad = null;
            else if (p.Grad is not null)
                using (Autograd.NoGrad()) p.Grad.Zero_();
        }
    }

    /// <summary>Parameters and buffers by dotted name (detached tensors sharing storage).</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters()) d[n] = p.Detach();
        foreach (var (n, b) in NamedBuffers()) d[n] = b.Detach();
        return d;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into the parameters and buffers (converting the dtype, as
    /// PyTorch does). With <paramref name="strict"/>, missing and unexpected keys are errors; shapes must always
    /// match and values must not be null. Every key is checked before anything is copied. Returns the keys that
    /// were missing and unexpected (PyTorch's <c>_IncompatibleKeys</c>; both empty after a strict load).
    /// </summary>
    /// <exception cref="ArgumentException">A strict load found missing or unexpected keys, or a value is null or of another shape.</exception>
    public IncompatibleKeys LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        var load = PrepareLoad(state, strict, out var keys);
        load();
        return keys;
    }

    /// <summary>Checks <paramref name="state"/> as <see cref="LoadStateDict"/> does and returns what copies it in (so that a checkpoint loads everything or nothing).</summary>
    internal Action PrepareLoad(IReadOnlyDictionary<string, Tensor> state, bool strict, out IncompatibleKeys keys)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = new Dictionary<string, Tensor>();
        foreach (var (n, p) in NamedParameters()) own[n] = p;
        foreach (var (n, b) in NamedBuffers()) own[n] = b;
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var errors = new List<string>();
        if (strict && missing.Count > 0) errors.Add($"Missing key(s) in state_dict: {string.Join(", ", missing.Select(k => $"\"{k}\""))}.");
        if (strict && unexpected.Count > 0) errors.Add($"Unexpected key(s) in state_dict: {string.Join(", ", unexpected.Select(k => $"\"{k}\""))}.");
        foreach (var (k, t) in own)
            if (state.TryGetValue(k, out var v) && v is null)
                errors.Add($"While copying the parameter named \"{k}\", expected a Tensor from checkpoint but received null.");
            else if (v is not null && !v.Shape.SequenceEqual(t.Shape))
                errors.Add($"size mismatch for {k}: copying a param with shape {Shapes.Format(v.Shape)} from checkpoint, the shape in current model is {Shapes.Format(t.Shape)}.");
        if (errors.Count > 0)
            throw new ArgumentException($"Error(s) in loading state_dict for {GetType().Name}:\n\t" + string.Join("\n\t", errors));
        keys = new IncompatibleKeys(missing, unexpected);
        return () =>
        {
            using var _ = Autograd.NoGrad();
            foreach (var (k, t) in own)
                if (state.TryGetValue(k, out var v)) t.Copy_(v);
        };
    }
}
