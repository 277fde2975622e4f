namespace Trace.Nn;

/// <summary>
/// What a non-strict <see cref="Module.LoadStateDict"/> or <see cref="Module.Load"/> left out (PyTorch's
/// <c>_IncompatibleKeys</c>): the module's keys the state dict did not have, and the state dict's keys the module does not have.
/// </summary>
/// <param name="MissingKeys">Parameters and buffers of the module that the state dict did not set (they keep their values).</param>
/// <param name="UnexpectedKeys">Keys of the state dict that name no parameter or buffer of the module (ignored).</param>
public sealed record IncompatibleKeys(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>True when every key matched (no missing and no unexpected keys).</summary>
    public bool IsEmpty => MissingKeys.Count == 0 && UnexpectedKeys.Count == 0;

    /// <summary>PyTorch's form: <c>_IncompatibleKeys(missing_keys=['a'], unexpected_keys=[])</c>, or <c>&lt;All keys matched successfully&gt;</c>.</summary>
    public override string ToString() => IsEmpty
        ? "<All keys matched successfully>"
        : $"_IncompatibleKeys(missing_keys=[{Quote(MissingKeys)}], unexpected_keys=[{Quote(UnexpectedKeys)}])";

    private static string Quote(IReadOnlyList<string> keys) => string.Join(", ", keys.Select(k => $"'{k}'"));
}
