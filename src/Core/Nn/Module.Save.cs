using Trace.Serialization;

namespace Trace.Nn;

/// <summary>Saving and loading a module's state dict as a safetensors file.</summary>
public abstract partial class Module
{
    /// <summary>
    /// Writes <see cref="StateDict"/> (parameters and buffers, PyTorch's keys: <c>0.weight</c>, <c>layers.1.bias</c>) to
    /// <paramref name="path"/> as a safetensors file, which PyTorch's <c>safetensors.torch.load_file</c> reads. The file
    /// is replaced atomically: a crash while writing leaves the previous file intact.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="metadata">Optional string pairs stored in the file's <c>__metadata__</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = StateDict();
        AtomicFile.Write(path, s => SafeTensors.Save(s, state, metadata), $"{GetType().Name}.Save");
    }

    /// <summary>
    /// Loads a safetensors file written by <see cref="Save"/> (or by PyTorch's safetensors from a <c>state_dict()</c>)
    /// into this module's parameters and buffers, as <see cref="LoadStateDict"/> does: values are converted to each
    /// tensor's dtype and copied to its device; with <paramref name="strict"/> the keys must match exactly.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="strict">Refuse missing and unexpected keys (shape mismatches are always refused).</param>
    /// <returns>The missing and unexpected keys (both empty after a strict load).</returns>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException">The file's tensors do not fit the module (the message lists the keys and shapes).</exception>
    public IncompatibleKeys Load(string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{GetType().Name}.Load: there is no file '{path}'.", path);
        return LoadStateDict(SafeTensors.Load(path).Tensors, strict);
    }
}
