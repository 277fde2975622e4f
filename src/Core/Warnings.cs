namespace Trace;

/// <summary>
/// PyTorch-style user warnings (<c>warnings.warn</c>): each distinct message is reported once per process, to
/// <see cref="Console.Error"/> and to <see cref="Raised"/> subscribers. Used where PyTorch warns and carries on,
/// e.g. <c>MseLoss</c> with a target that broadcasts against the input.
/// </summary>
public static class Warnings
{
    private static readonly HashSet<string> Seen = [];

    /// <summary>Raised with the message text, once per distinct message.</summary>
    public static event Action<string>? Raised;

    /// <summary>Reports <paramref name="message"/> unless the same text was reported before.</summary>
    public static void Warn(string message)
    {
        lock (Seen)
            if (!Seen.Add(message)) return;
        Console.Error.WriteLine("UserWarning: " + message);
        Raised?.Invoke(message);
    }
}
