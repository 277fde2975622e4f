using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>
/// A learning-rate scheduler whose state round-trips through a JSON state dict (PyTorch's <c>state_dict()</c> /
/// <c>load_state_dict()</c>): every <see cref="LRScheduler"/> and <see cref="ReduceLROnPlateau"/>. A checkpoint takes one.
/// </summary>
public interface IStateful
{
    /// <summary>The state (counters, base and last lrs) and the hyperparameters, by PyTorch's names, with the class name under <c>type</c>.</summary>
    JsonObject StateDict();

    /// <summary>Restores the state saved by <see cref="StateDict"/>; everything is checked before anything changes.</summary>
    /// <exception cref="ArgumentException">The state dict is another scheduler's, has other hyperparameters, or does not fit the optimizer.</exception>
    void LoadStateDict(JsonObject state);
}
