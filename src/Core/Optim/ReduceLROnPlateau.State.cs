using System.Text.Json.Nodes;

namespace Trace.Optim;

/// <summary>ReduceLROnPlateau's state dict (PyTorch's <c>state_dict()</c> / <c>load_state_dict()</c>).</summary>
public sealed partial class ReduceLROnPlateau
{
    private IEnumerable<(string Name, JsonNode Value)> Hyperparameters() =>
    [
        ("mode", Mode), ("factor", StateJson.Number(Factor)), ("patience", Patience), ("threshold", StateJson.Number(Threshold)),
        ("threshold_mode", ThresholdMode), ("cooldown", Cooldown), ("eps", StateJson.Number(Eps)),
    ];

    /// <summary>
    /// The state by PyTorch's names: <c>best</c> (<c>"inf"</c> before the first step in min mode), <c>num_bad_epochs</c>,
    /// <c>cooldown_counter</c>, <c>last_epoch</c>, <c>_last_lr</c>, <c>min_lrs</c>, the hyperparameters (<c>mode</c>,
    /// <c>factor</c>, <c>patience</c>, <c>threshold</c>, <c>threshold_mode</c>, <c>cooldown</c>, <c>eps</c>) and <c>type</c>.
    /// </summary>
    public JsonObject StateDict()
    {
        var o = new JsonObject
        {
            ["type"] = nameof(ReduceLROnPlateau),
            ["best"] = StateJson.Number(Best),
            ["num_bad_epochs"] = NumBadEpochs,
            ["cooldown_counter"] = CooldownCounter,
            ["last_epoch"] = LastEpoch,
            ["_last_lr"] = StateJson.Numbers(_lastLr),
            ["min_lrs"] = StateJson.Numbers(_minLrs),
        };
        foreach (var (k, v) in Hyperparameters()) o[k] = v;
        return o;
    }

    /// <summary>
    /// Restores the counters, <c>best</c>, <c>_last_lr</c> and <c>min_lrs</c> from <paramref name="state"/>, after checking
    /// that it has this scheduler's hyperparameters and one lr per param group. The optimizer's lrs are its own state.
    /// </summary>
    /// <exception cref="ArgumentException">The state dict does not fit; the message says what differs.</exception>
    public void LoadStateDict(JsonObject state) => Prepare(state)();

    /// <summary>Checks <paramref name="state"/> and returns what loads it (so that a checkpoint loads everything or nothing).</summary>
    internal Action Prepare(JsonObject state)
    {
        ArgumentNullException.ThrowIfNull(state);
        const string api = "ReduceLROnPlateau.LoadStateDict";
        try
        {
            StateJson.CheckSchedulerHeader(state, nameof(ReduceLROnPlateau), ["best", "num_bad_epochs", "cooldown_counter", "last_epoch", "_last_lr", "min_lrs"], [.. Hyperparameters()]);
            int groups = Optimizer.ParamGroups.Count;
            double best = StateJson.ReadDouble(state["best"], "'best'");
            int bad = StateJson.ReadInt(state["num_bad_epochs"], "'num_bad_epochs'");
            int cooldown = StateJson.ReadInt(state["cooldown_counter"], "'cooldown_counter'");
            int epoch = StateJson.ReadInt(state["last_epoch"], "'last_epoch'");
            if (bad < 0 || cooldown < 0 || epoch < 0)
                throw new ArgumentException($"counters must be >= 0, got num_bad_epochs {bad}, cooldown_counter {cooldown}, last_epoch {epoch}.");
            var lastLr = StateJson.ReadDoubles(state["_last_lr"], "'_last_lr'", groups);
            var minLrs = StateJson.ReadDoubles(state["min_lrs"], "'min_lrs'", groups);
            foreach (var m in minLrs)
                if (!(m >= 0 && double.IsFinite(m))) throw new ArgumentException($"'min_lrs' must be finite and >= 0, got {PyFloat.Repr(m)}.");
            return () => (Best, NumBadEpochs, CooldownCounter, LastEpoch, _lastLr, _minLrs) = (best, bad, cooldown, epoch, lastLr, minLrs);
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(api, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{api}: {e.Message}", nameof(state), e);
        }
    }

    /// <summary>Writes <see cref="StateDict"/> to <paramref name="path"/>: a safetensors file without tensors whose metadata entry
    /// <c>trace.scheduler</c> holds the JSON. The file is replaced atomically.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(string path) => Trace.Serialization.StateFiles.SaveScheduler(this, path, $"{"ReduceLROnPlateau"}.Save");

    /// <summary>Loads a file written by <see cref="Save"/>, as <see cref="LoadStateDict"/> does.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a safetensors file of scheduler state.</exception>
    /// <exception cref="ArgumentException">The state does not fit this scheduler.</exception>
    public void Load(string path) => Trace.Serialization.StateFiles.LoadScheduler(this, path, $"{"ReduceLROnPlateau"}.Load");
}
