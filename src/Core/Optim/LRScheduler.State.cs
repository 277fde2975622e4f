using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>A scheduler's state dict (PyTorch's <c>state_dict()</c> / <c>load_state_dict()</c>).</summary>
public abstract partial class LRScheduler
{
    /// <summary>
    /// The scheduler's hyperparameters by PyTorch's names (<c>step_size</c>, <c>gamma</c>, …), written into the state
    /// dict and checked on load: a state dict loads only into a scheduler made with the same ones.
    /// </summary>
    private protected virtual IEnumerable<(string Name, JsonNode Value)> Hyperparameters() => [];

    /// <summary>Keys of the state dict that a subclass writes and reads itself (<see cref="SequentialLR"/>'s <c>_schedulers</c>).</summary>
    private protected virtual IEnumerable<string> ExtraKeys => [];

    /// <summary>Writes a subclass's own entries (<see cref="ExtraKeys"/>) into <paramref name="state"/>.</summary>
    private protected virtual void WriteExtra(JsonObject state) { }

    /// <summary>Checks a subclass's own entries of <paramref name="state"/> and returns what applies them.</summary>
    /// <exception cref="ArgumentException">An entry does not fit.</exception>
    private protected virtual Action PrepareExtra(JsonObject state) => () => { };

    /// <summary>
    /// The scheduler's state as PyTorch's <c>state_dict()</c> names it: <c>last_epoch</c>, <c>base_lrs</c>, <c>_last_lr</c>,
    /// the hyperparameters (e.g. <c>step_size</c> and <c>gamma</c> for <see cref="StepLR"/>), and the class name under
    /// <c>type</c>. Functions (<see cref="LambdaLR"/>'s lambdas) are not state: the scheduler being loaded brings its own.
    /// </summary>
    public JsonObject StateDict()
    {
        var o = new JsonObject
        {
            ["type"] = GetType().Name,
            ["last_epoch"] = LastEpoch,
            ["base_lrs"] = StateJson.Numbers(BaseLrs),
            ["_last_lr"] = StateJson.Numbers(_lastLr),
        };
        foreach (var (k, v) in Hyperparameters()) o[k] = v;
        WriteExtra(o);
        return o;
    }

    /// <summary>
    /// Restores <c>last_epoch</c>, <c>base_lrs</c> and <c>_last_lr</c> (and a <see cref="SequentialLR"/>'s schedulers)
    /// from <paramref name="state"/>, after checking that it is this class's, has this scheduler's hyperparameters and one
    /// lr per param group. The optimizer's lrs are not touched: they are the optimizer's state (load it too).
    /// </summary>
    /// <exception cref="ArgumentException">The state dict does not fit; the message says what differs.</exception>
    public void LoadStateDict(JsonObject state) => Prepare(state)();

    /// <summary>Checks <paramref name="state"/> and returns what loads it (so that a <see cref="SequentialLR"/> loads all or none).</summary>
    internal Action Prepare(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        string api = $"{GetType().Name}.LoadStateDict";
        try
        {
            StateJson.CheckSchedulerHeader(state, GetType().Name, ["last_epoch", "base_lrs", "_last_lr", .. ExtraKeys], [.. Hyperparameters()]);
            int groups = Optimizer.ParamGroups.Count;
            int epoch = StateJson.ReadInt(state["last_epoch"], "'last_epoch'");
            if (epoch < 0) throw new ArgumentException($"'last_epoch' is {epoch}; it counts steps from 0.");
            var baseLrs = StateJson.ReadDoubles(state["base_lrs"], "'base_lrs'", groups);
            var lastLr = StateJson.ReadDoubles(state["_last_lr"], "'_last_lr'", groups);
            var extra = PrepareExtra(state);
            return () =>
            {
                BaseLrs = baseLrs;
                LastEpoch = epoch;
                _lastLr = lastLr;
                extra();
            };
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(api, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{api}: {e.Message}", nameof(state), e);
        }
    }

    /// <summary>Writes <see cref="StateDict"/> to <paramref name="path"/>: a safetensors file without tensors whose metadata entry
    /// <c>trace.scheduler</c> holds the JSON. The file is replaced atomically.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(string path) => Trace.Serialization.StateFiles.SaveScheduler(this, path, $"{GetType().Name}.Save");

    /// <summary>Loads a file written by <see cref="Save"/>, as <see cref="LoadStateDict"/> does.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a safetensors file of scheduler state.</exception>
    /// <exception cref="ArgumentException">The state does not fit this scheduler.</exception>
    public void Load(string path) => Trace.Serialization.StateFiles.LoadScheduler(this, path, $"{GetType().Name}.Load");
}
