namespace Trace.Jit;

/// <summary>
/// A tensor's values and storage version at one moment, to put back later: tracing runs a forward more than once
/// (the recording, the trace check's eager and interpreted reruns), and state the forward writes in place
/// (running statistics, counters, its inputs) must end as after exactly one call — or, when tracing fails,
/// as before it. Restoring the version too keeps autograd's saved-tensor checks as after that one call.
/// </summary>
internal sealed class TensorState
{
    private readonly Tensor _values;
    private readonly int _version;

    private TensorState(Tensor target, Tensor values, int version) => (Target, _values, _version) = (target, values, version);

    /// <summary>The tensor (possibly a view) whose elements are saved.</summary>
    public Tensor Target { get; }

    /// <summary>A copy of <paramref name="t"/>'s elements and its storage version now.</summary>
    public static TensorState Of(Tensor t)
    {
        using var _ = Dispatch.Internal();
        using var __ = Autograd.NoGrad();
        return new TensorState(t, t.Detach().Clone(), t.Storage.Version);
    }

    /// <summary>Snapshots of each tensor's current state.</summary>
    public static TensorState[] Of(IEnumerable<Tensor> tensors) => [.. tensors.Select(Of)];

    /// <summary>Writes the saved elements back and resets the storage version.</summary>
    public void Restore()
    {
        using var _ = Dispatch.Internal();
        Tensor.CopyStrided(Target, _values, "jit::restore");
        Target.Storage.Version = _version;
    }

    /// <summary>Restores states in reverse order, so that overlapping views end at the earliest saved values.</summary>
    public static void RestoreAll(IReadOnlyList<TensorState> states)
    {
        for (int i = states.Count - 1; i >= 0; i--) states[i].Restore();
    }

    /// <summary>True when the target's elements are close to the saved ones (see <see cref="Closeness"/>); else the first that is not.</summary>
    public bool Matches(double rtol, double atol, out int index, out double saved, out double now)
    {
        var a = Tracer.ReadValues(_values);
        var b = Tracer.ReadValues(Target);
        index = Closeness.FirstMismatch(b, a, rtol, atol);
        (saved, now) = index < 0 ? (0, 0) : (a[index], b[index]);
        return index < 0;
    }
}
