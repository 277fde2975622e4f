namespace Trace;

/// <summary>
/// Frees the storage created while it is the innermost scope on its thread when it is disposed, except
/// storage moved out of it (<see cref="MoveOut(Tensor)"/>, <see cref="Tensor.MoveToOuterDisposeScope"/>):
/// <c>using (var scope = Tensor.NewDisposeScope()) { ... }</c>, like TorchSharp's DisposeScope. On the CPU
/// this drops the buffers early; on a GPU it is what returns device memory, which no garbage collector frees.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly DisposeScope? _outer;
    private HashSet<Storage>? _owned = new(ReferenceEqualityComparer.Instance);

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    /// <summary>The innermost open scope of this thread (null when none).</summary>
    internal static DisposeScope? Current => _current;

    /// <summary>Number of storages this scope will free.</summary>
    public int Count => _owned?.Count ?? 0;

    /// <summary>Takes ownership of storage created while this scope is innermost.</summary>
    internal void Track(Storage storage) => _owned?.Add(storage);

    /// <summary>
    /// Takes <paramref name="storage"/>, just created, out of the innermost scope (which tracked it on creation): for
    /// buffers that live as long as their owner rather than a step, such as a compiled graph's planned intermediates.
    /// </summary>
    internal static void Untrack(Storage storage) => _current?._owned?.Remove(storage);

    /// <summary>
    /// Keeps <paramref name="tensor"/>'s storage alive past this scope: it moves to the enclosing scope
    /// (or to none, then the garbage collector or an explicit <see cref="Storage.Dispose"/> frees it).
    /// </summary>
    public Tensor MoveOut(Tensor tensor)
    {
        if (_owned is null) throw new ObjectDisposedException(nameof(DisposeScope), "DisposeScope.MoveOut: the scope was already disposed.");
        if (_owned.Remove(tensor.Storage)) _outer?.Track(tensor.Storage);
        return tensor;
    }

    /// <summary>Frees every storage still owned and makes the enclosing scope innermost again.</summary>
    public void Dispose()
    {
        if (_owned is null) return;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("DisposeScope.Dispose: scopes must be disposed innermost first, on the thread that opened them.");
        _current = _outer;
        var owned = _owned;
        _owned = null;
        foreach (var s in owned) s.Dispose();
    }
}
