using Trace.Serialization;

namespace Trace.Optim;

/// <summary>Saving and loading an optimizer's state dict as a safetensors file.</summary>
public abstract partial class Optimizer
{
    /// <summary>
    /// Writes <see cref="StateDict"/> to <paramref name="path"/> as a safetensors file: the buffers as tensors named
    /// <c>state.&lt;index&gt;.&lt;name&gt;</c> (<c>state.0.exp_avg</c>), the step counts and the param groups' options as JSON
    /// in the metadata entry <c>trace.optimizer</c>. The file is replaced atomically.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        var json = StateFiles.WriteOptimizer(this, "", tensors);
        AtomicFile.Write(path, s => SafeTensors.Save(s, tensors, new Dictionary<string, string> { [StateFiles.OptimizerKey] = json }), $"{Name}.Save");
    }

    /// <summary>Loads a file written by <see cref="Save"/> into this optimizer, as <see cref="LoadStateDict"/> does.</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a safetensors file of optimizer state.</exception>
    /// <exception cref="ArgumentException">The state is another optimizer's or does not fit this one (the message says what differs).</exception>
    public void Load(string path)
    {
        var file = StateFiles.Open(path, $"{Name}.Load");
        foreach (var name in file.Tensors.Keys)
            if (!name.StartsWith("state.", StringComparison.Ordinal))
                throw new InvalidDataException($"{Name}.Load: '{path}' has a tensor '{name}'; an optimizer file's tensors are named state.<index>.<name>.");
        var json = StateFiles.Required(file, StateFiles.OptimizerKey, path, "optimizer state");
        LoadStateDict(StateFiles.ReadOptimizer(this, json, file.Tensors, "", $"'{path}'"));
    }
}
