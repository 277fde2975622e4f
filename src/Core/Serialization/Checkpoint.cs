using System.Globalization;
using Trace.Nn;
using Trace.Optim;

namespace Trace.Serialization;

/// <summary>What <see cref="Checkpoint.Load"/> read besides the states it loaded.</summary>
/// <param name="Epoch">The epoch given to <see cref="Checkpoint.Save"/>.</param>
/// <param name="Metadata">The extra metadata given to <see cref="Checkpoint.Save"/>.</param>
/// <param name="ModelKeys">The model's missing and unexpected keys (both empty after a strict load).</param>
public sealed record CheckpointInfo(int Epoch, IReadOnlyDictionary<string, string> Metadata, IncompatibleKeys ModelKeys);

/// <summary>
/// A training checkpoint in one safetensors file: the model's state dict (tensors <c>model.&lt;key&gt;</c>), optionally the
/// optimizer's buffers (<c>optimizer.state.&lt;index&gt;.&lt;name&gt;</c>) and, in the metadata, the optimizer's steps and
/// options and the scheduler's state as JSON, the epoch, and string pairs of the caller's. The file is written atomically
/// (a temporary file flushed to disk, then renamed over the old one), so a crash while saving leaves the previous
/// checkpoint whole; loading checks everything before it changes the model, the optimizer or the scheduler.
/// </summary>
/// <example>
/// <code>
/// Checkpoint.Save("run.ckpt", model, optimizer, scheduler, epoch);
/// // later, in a fresh process, with the model, optimizer and scheduler built as before:
/// int start = Checkpoint.Load("run.ckpt", model, optimizer, scheduler).Epoch + 1;
/// </code>
/// </example>
public static class Checkpoint
{
    private const string FormatKey = "trace.format", Format = "trace.checkpoint/1", EpochKey = "trace.epoch";
    private const string ModelPrefix = "model.", OptimizerPrefix = "optimizer.";

    /// <summary>Writes <paramref name="model"/>, and the optimizer and scheduler when given, to <paramref name="path"/>.</summary>
    /// <param name="path">The checkpoint file to create or replace (atomically).</param>
    /// <param name="model">The model whose <see cref="Module.StateDict"/> is saved.</param>
    /// <param name="optimizer">The optimizer whose state is saved, or null.</param>
    /// <param name="scheduler">The LR scheduler whose state is saved, or null.</param>
    /// <param name="epoch">The epoch (or step) to store; <see cref="Load"/> returns it.</param>
    /// <param name="metadata">Extra string pairs to store (keys must not start with <c>trace.</c>).</param>
    /// <exception cref="ArgumentException">A metadata key starts with <c>trace.</c> or a value is null.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Save(string path, Module model, Optimizer? optimizer = null, IStateful? scheduler = null, int epoch = 0,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var meta = new Dictionary<string, string> { [FormatKey] = Format, [EpochKey] = epoch.ToString(CultureInfo.InvariantCulture) };
        if (metadata is not null)
            foreach (var (k, v) in metadata)
            {
                if (k.StartsWith("trace.", StringComparison.Ordinal))
                    throw new ArgumentException($"Checkpoint.Save: metadata key '{k}' starts with 'trace.', which is reserved for the checkpoint's own entries.", nameof(metadata));
                meta[k] = v ?? throw new ArgumentException($"Checkpoint.Save: metadata value of '{k}' is null (metadata values are strings).", nameof(metadata));
            }
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, t) in model.StateDict()) tensors[ModelPrefix + k] = t;
        if (optimizer is not null) meta[StateFiles.OptimizerKey] = StateFiles.WriteOptimizer(optimizer, OptimizerPrefix, tensors);
        if (scheduler is not null) meta[StateFiles.SchedulerKey] = scheduler.StateDict().ToJsonString();
        AtomicFile.Write(path, s => SafeTensors.Save(s, tensors, meta), "Checkpoint.Save");
    }

    /// <summary>
    /// Loads a checkpoint written by <see cref="Save"/> into <paramref name="model"/> and, when given, the optimizer and the
    /// scheduler (built as when it was saved). Every part is checked before any is changed.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="model">The model to load into (<see cref="Module.LoadStateDict"/>'s rules).</param>
    /// <param name="optimizer">The optimizer to load into, or null to skip the optimizer state.</param>
    /// <param name="scheduler">The scheduler to load into, or null to skip the scheduler state.</param>
    /// <param name="strict">Refuse missing and unexpected model keys.</param>
    /// <returns>The stored epoch, the caller's metadata and the model's incompatible keys.</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a Trace checkpoint, or is damaged.</exception>
    /// <exception cref="ArgumentException">A state does not fit, or an optimizer or scheduler was given but the checkpoint has none.</exception>
    public static CheckpointInfo Load(string path, Module model, Optimizer? optimizer = null, IStateful? scheduler = null, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var file = StateFiles.Open(path, "Checkpoint.Load");
        if (!file.Metadata.TryGetValue(FormatKey, out var format) || format != Format)
            throw new InvalidDataException($"Checkpoint.Load: '{path}' is not a Trace checkpoint (its metadata has {FormatKey} = {(format is null ? "nothing" : $"'{format}'")}, expected '{Format}').");
        if (!int.TryParse(StateFiles.Required(file, EpochKey, path, "epoch"), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int epoch))
            throw new InvalidDataException($"Checkpoint.Load: '{path}' has an epoch '{file.Metadata[EpochKey]}' that is not an integer.");
        var modelState = new Dictionary<string, Tensor>();
        foreach (var (k, t) in file.Tensors)
            if (k.StartsWith(ModelPrefix, StringComparison.Ordinal)) modelState[k[ModelPrefix.Length..]] = t;
            else if (!k.StartsWith(OptimizerPrefix + "state.", StringComparison.Ordinal))
                throw new InvalidDataException($"Checkpoint.Load: '{path}' has a tensor '{k}' that is neither the model's (model.…) nor the optimizer's (optimizer.state.…).");
        var loads = new List<Action> { model.PrepareLoad(modelState, strict, out var keys) };
        if (optimizer is not null)
        {
            if (!file.Metadata.TryGetValue(StateFiles.OptimizerKey, out var json))
                throw new ArgumentException($"Checkpoint.Load: '{path}' holds no optimizer state (it was saved without an optimizer); pass no optimizer to load it.", nameof(optimizer));
            loads.Add(optimizer.PrepareLoad(StateFiles.ReadOptimizer(optimizer, json, file.Tensors, OptimizerPrefix, $"'{path}'")));
        }
        if (scheduler is not null)
        {
            if (!file.Metadata.TryGetValue(StateFiles.SchedulerKey, out var json))
                throw new ArgumentException($"Checkpoint.Load: '{path}' holds no scheduler state (it was saved without a scheduler); pass no scheduler to load it.", nameof(scheduler));
            var state = StateFiles.ReadScheduler(json, $"'{path}'");
            loads.Add(scheduler switch
            {
                LRScheduler s => s.Prepare(state),
                ReduceLROnPlateau r => r.Prepare(state),
                _ => () => scheduler.LoadStateDict(state),
            });
        }
        foreach (var load in loads) load();
        var extra = file.Metadata.Where(kv => !kv.Key.StartsWith("trace.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new CheckpointInfo(epoch, extra, keys);
    }
}
