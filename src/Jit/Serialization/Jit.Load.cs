namespace Trace.Jit;

public static partial class Jit
{
    /// <summary>
    /// Loads a module written by <see cref="TracedModule.Save"/>: it runs without the model's C# code — each call runs the
    /// saved graph for its input types and modes, traced, differentiated and compiled as the original was (same kernels, same
    /// outputs) — and stays differentiable: its <see cref="TracedModule.Parameters"/> get gradients and can be fine-tuned.
    /// With <paramref name="device"/>, weights, constants and graphs move there (a model traced on the CPU runs on CUDA).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, corrupt, of another format or version, or inconsistent; the message says what and where.</exception>
    public static TracedModule Load(string path, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return ModelArchive.Read(path, device);
    }
}
