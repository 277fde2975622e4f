namespace Trace;

public sealed partial class Tensor
{
    /// <summary>
    /// Opens a scope that frees the storage of every tensor created inside it when disposed, unless moved out
    /// (<see cref="MoveToOuterDisposeScope"/>): <c>using (var scope = Tensor.NewDisposeScope()) { ... }</c>.
    /// Scopes nest; a tensor used after its scope ended is an <see cref="ObjectDisposedException"/> naming the op.
    /// </summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Moves this tensor's storage out of the innermost dispose scope into the enclosing one (or none) and returns it.</summary>
    public Tensor MoveToOuterDisposeScope() => DisposeScope.Current?.MoveOut(this) ?? this;

    /// <summary>True when this tensor's storage was released (by <see cref="Storage.Dispose"/> or its dispose scope).</summary>
    public bool IsDisposed => Storage.IsDisposed;
}
